package io.tandem.http.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class CompletionPublisherTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long[] RETRIES_MS = {100, 500};

    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    private final ExecutorService receiverThreads = Executors.newFixedThreadPool(40);
    private CallbackReceiver controller;
    private CompletionPublisher publisher;

    @AfterEach
    void stop() {
        if (publisher != null) {
            publisher.close();
        }
        if (controller != null) {
            controller.close();
        }
        receiverThreads.shutdownNow();
        scheduler.shutdownNow();
    }

    private CompletionPublisher publisher(String token, int senders) {
        publisher = new CompletionPublisher("inv", token, scheduler, senders, RETRIES_MS);
        return publisher;
    }

    private static Completion completion(String id, URI callback) {
        byte[] body = ("{\"activationId\": \"" + id + "\", \"status\": \"success\"}").getBytes(StandardCharsets.UTF_8);
        return new Completion(id, callback, body);
    }

    @Test
    void shouldRetryAfterA5xxAndDeliverWithTheToken() throws Exception {
        controller = CallbackReceiver.start();
        AtomicInteger calls = new AtomicInteger();
        controller.respondWith(c -> calls.incrementAndGet() < 3 ? 503 : 204);
        CompletionPublisher p = publisher("tok", 2);

        p.publish(completion("a", controller.url()));

        controller.await("a", TIMEOUT);
        assertEquals(3, controller.attempts("a"));
        assertEquals("Bearer tok", controller.find("a").authorization());
        // The receiver sees the request before the publisher has read the answer and counted it.
        Wait.until(TIMEOUT, () -> p.delivered() == 1, () -> "delivery counted");
        assertEquals(2, p.retried());
    }

    @Test
    void shouldDropAfterTwoRetries() throws Exception {
        controller = CallbackReceiver.start();
        controller.respondWith(c -> 500);
        CompletionPublisher p = publisher(null, 2);

        p.publish(completion("a", controller.url()));

        Wait.until(TIMEOUT, () -> p.dropped() == 1, () -> "the drop");
        assertEquals(3, controller.attempts("a"));
    }

    @Test
    void shouldNotRetryWhenTheControllerNoLongerKnowsTheActivation() throws Exception {
        controller = CallbackReceiver.start();
        controller.respondWith(c -> c.get("activationId").getAsString().equals("gone") ? 404 : 204);
        CompletionPublisher p = publisher(null, 1);

        p.publish(completion("gone", controller.url()));
        p.publish(completion("marker", controller.url()));

        // One sender delivers in order, so once the marker is in, "gone" has had its only attempt.
        controller.await("marker", TIMEOUT);
        assertEquals(1, controller.attempts("gone"));
        Wait.until(TIMEOUT, () -> p.dropped() == 1, () -> "the drop counted");
        assertEquals(0, p.retried());
    }

    @Test
    void shouldRetryAConnectionFailureTwiceThenDrop() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        CompletionPublisher p = publisher(null, 1);

        p.publish(completion("a", URI.create("http://127.0.0.1:" + closedPort + "/c")));

        Wait.until(TIMEOUT, () -> p.dropped() == 1, () -> "the drop");
        assertEquals(2, p.retried());
    }

    @Test
    void shouldKeepAtMostSendersCompletionsOnTheWire() throws Exception {
        controller = CallbackReceiver.start(receiverThreads);
        CountDownLatch hold = new CountDownLatch(1);
        controller.respondWith(c -> {
            hold.await(30, TimeUnit.SECONDS);
            return 204;
        });
        int senders = 4;
        CompletionPublisher p = publisher(null, senders);

        for (int i = 0; i < 30; i++) {
            p.publish(completion("c" + i, controller.url()));
        }

        Wait.until(TIMEOUT, () -> controller.inFlight() == senders && p.waiting() == 30 - senders,
                () -> "four on the wire and the rest waiting; in flight " + controller.inFlight());
        hold.countDown();
        Wait.until(TIMEOUT, () -> controller.deliveredCount() == 30, () -> "all delivered");
        assertTrue(controller.maxInFlight() <= senders, "max in flight " + controller.maxInFlight());
        Wait.until(TIMEOUT, () -> p.delivered() == 30, () -> "all deliveries counted");
    }
}
