package io.tandem.it.single;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.it.harness.Cluster;
import io.tandem.it.harness.Wait;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * 10,000 long `sleep` activations in flight on one controller need no more threads and no more sockets than a
 * handful do: dispatch and completion are asynchronous (see docs/invoker-protocol.md). Figures are read from /proc.
 */
class ThousandsInFlightIT {
    private static final int IN_FLIGHT = 10_000;

    @Test
    void tenThousandActivationsInFlightNeedNoExtraThreadsOrSockets() throws Exception {
        try (Cluster cluster = Cluster.builder("ThousandsInFlightIT", 22).controllers(1).invokers(1, 4_000_000)
                .namespaces(1).concurrencyLimit(20_000).heap("512m")
                .invokerEnv("INVOKER_QUEUE_LIMIT", "50000").build().start().awaitReady(Duration.ofSeconds(60))) {
            Cluster.Node c = cluster.controller(1);
            String auth = io.tandem.it.harness.Http.basic(cluster.key("ns1"));
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String url = c.apiUrl() + "/api/v1/namespaces/_/actions/sleep?blocking=false";

            // Warm up through the same client window (so its keep-alive connections already exist), then take the idle figures.
            send(client, url, auth, 512, 256, 200);
            Wait.until(Duration.ofSeconds(30), () -> Cluster.inFlightSum(c.bookkeeping()) == 0, "warm-up drained");
            long idleThreads = c.proc().threads();
            long idleFiles = c.proc().openFiles();

            int accepted = send(client, url, auth, IN_FLIGHT, 256, 30_000);
            assertEquals(IN_FLIGHT, accepted, "every invoke accepted (202)");
            Wait.until(Duration.ofSeconds(30), () -> c.bookkeeping().getAsJsonObject("totals").get("system")
                    .getAsLong() == IN_FLIGHT, "10,000 in flight");
            long busyThreads = c.proc().threads();
            long busyFiles = c.proc().openFiles();
            System.out.printf("in flight %d: threads idle %d busy %d, open files idle %d busy %d%n",
                    IN_FLIGHT, idleThreads, busyThreads, idleFiles, busyFiles);
            assertTrue(busyThreads <= idleThreads + 16, "threads idle " + idleThreads + " busy " + busyThreads);
            assertTrue(busyFiles <= idleFiles + 64, "open files idle " + idleFiles + " busy " + busyFiles);
            // They all end and release.
            cluster.awaitNoLeak(Duration.ofSeconds(90));
        }
    }

    /** Sends {@code n} non-blocking invokes with at most {@code window} in flight; returns how many got 202. */
    private static int send(HttpClient client, String url, String auth, int n, int window, int sleepMs)
            throws Exception {
        Semaphore permits = new Semaphore(window);
        AtomicInteger accepted = new AtomicInteger();
        List<CompletableFuture<?>> all = new ArrayList<>();
        String body = "{\"ms\": " + sleepMs + "}";
        for (int i = 0; i < n; i++) {
            permits.acquire();
            HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                    .header("Authorization", auth).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build();
            all.add(client.sendAsync(req, HttpResponse.BodyHandlers.discarding()).whenComplete((r, e) -> {
                if (e == null && r.statusCode() == 202) {
                    accepted.incrementAndGet();
                }
                permits.release();
            }));
        }
        CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(120, java.util.concurrent.TimeUnit.SECONDS);
        return accepted.get();
    }
}
