package io.tandem.http.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.tandem.http.invoker.ActivationPool.Verdict;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class ActivationPoolTest {
    private final AtomicLong clock = new AtomicLong(1_000);

    private ActivationPool pool(int capacityMb, int queueLimit, int runLogLimit) {
        return new ActivationPool(capacityMb, queueLimit, runLogLimit, clock::get);
    }

    private static Activation act(String id, String ns, int memoryMb) {
        return new Activation(new RunRequest(id, ns, ns + "/a", ActionKind.SLEEP, memoryMb, 60_000, new JsonObject(),
                "c1", URI.create("http://127.0.0.1:1/c")));
    }

    private static List<String> ids(List<Activation> as) {
        return as.stream().map(Activation::id).collect(Collectors.toList());
    }

    @Test
    void shouldStartWhileMemoryFitsAndQueueTheRest() {
        ActivationPool p = pool(512, 10, 100);

        assertEquals(Verdict.STARTED, p.admit(act("a", "ns", 256)).verdict());
        assertEquals(Verdict.STARTED, p.admit(act("b", "ns", 256)).verdict());
        ActivationPool.Admission c = p.admit(act("c", "ns", 256));

        assertEquals(new ActivationPool.Admission(Verdict.QUEUED, 2, 1), c);
        assertEquals(new ActivationPool.Health(512, 512, 2, 1), p.health());
    }

    @Test
    void shouldStartQueuedActivationsInArrivalOrderEvenWhenALaterOneWouldFit() {
        ActivationPool p = pool(512, 10, 100);
        Activation a = act("a", "ns", 256);
        Activation b = act("b", "ns", 256);
        p.admit(a);
        p.admit(b);
        p.admit(act("big", "ns", 512));
        p.admit(act("small", "ns", 128));

        assertEquals(List.of(), ids(p.release(a)), "the head needs 512 MB; the small one behind it must wait");
        assertEquals(Verdict.QUEUED, p.admit(act("late", "ns", 128)).verdict(), "no overtaking the queue");
        List<Activation> started = p.release(b);
        assertEquals(List.of("big"), ids(started));
        assertEquals(List.of("small", "late"), ids(p.release(started.get(0))));
        assertEquals(List.of("a", "b", "big", "small", "late"), p.runs().activationIds());
    }

    @Test
    void shouldAcknowledgeADuplicateWithoutRunningItTwice() {
        ActivationPool p = pool(256, 10, 100);
        Activation running = act("x", "ns", 256);
        p.admit(running);
        p.admit(act("y", "ns", 256));

        assertEquals(Verdict.DUPLICATE, p.admit(act("x", "ns", 256)).verdict());
        assertEquals(Verdict.DUPLICATE, p.admit(act("y", "ns", 256)).verdict());
        assertEquals(1, p.health().queued());
        p.release(running);
        assertEquals(2, p.runs().count());
    }

    @Test
    void shouldRefuseWhenTheQueueIsFullOrTheActionCanNeverFit() {
        ActivationPool p = pool(256, 1, 100);
        p.admit(act("a", "ns", 256));
        p.admit(act("b", "ns", 256));

        assertEquals(Verdict.QUEUE_FULL, p.admit(act("c", "ns", 256)).verdict());
        assertEquals(Verdict.TOO_LARGE, p.admit(act("d", "ns", 257)).verdict());
        assertEquals(new ActivationPool.Health(256, 256, 1, 1), p.health());
    }

    @Test
    void shouldIgnoreASecondReleaseOfTheSameActivation() {
        ActivationPool p = pool(256, 10, 100);
        Activation a = act("a", "ns", 128);
        p.admit(a);

        p.release(a);
        p.release(a);

        assertEquals(new ActivationPool.Health(256, 0, 0, 0), p.health());
        assertEquals(0, p.stats().namespaces().get("ns").running());
    }

    @Test
    void shouldKeepOnlyTheNewestIdsInTheRunLogButCountThemAll() {
        ActivationPool p = pool(1024, 10, 2);
        for (String id : List.of("a", "b", "c")) {
            p.release(admitted(p, id));
        }

        assertEquals(new ActivationPool.Runs(3, List.of("b", "c")), p.runs());
    }

    private Activation admitted(ActivationPool p, String id) {
        Activation a = act(id, "ns", 1);
        assertEquals(Verdict.STARTED, p.admit(a).verdict());
        return a;
    }

    @Test
    void shouldStampTheStartTimeFromTheClock() {
        ActivationPool p = pool(512, 10, 100);
        Activation a = act("a", "ns", 512);
        Activation b = act("b", "ns", 512);
        p.admit(a);
        p.admit(b);
        clock.set(5_000);

        p.release(a);

        assertEquals(1_000, a.startMs());
        assertEquals(5_000, b.startMs());
    }

    @Test
    void shouldResetHighWaterMarksToTheCurrentCounts() {
        ActivationPool p = pool(1024, 10, 100);
        Activation a1 = admitted(p, "a1");
        admitted(p, "a2");
        Activation b1 = act("b1", "other", 1);
        p.admit(b1);
        p.release(a1);
        p.release(b1);

        ActivationPool.Stats s = p.resetStats();

        assertEquals(1, s.running());
        assertEquals(1, s.maxRunning());
        assertEquals(0, s.total());
        assertEquals(List.of("ns"), new ArrayList<>(s.namespaces().keySet()));
        assertEquals(new ActivationPool.NamespaceStats(1, 1, 0), s.namespaces().get("ns"));
    }

    @Test
    void shouldKeepCountsExactUnderConcurrentStartsAndEnds() throws Exception {
        int slots = 8;
        int threads = 8;
        int perThread = 20_000;
        ActivationPool p = pool(slots, 0, 0);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Integer>> started = new ArrayList<>();
        try {
            for (int t = 0; t < threads; t++) {
                int thread = t;
                started.add(pool.submit(() -> {
                    go.await();
                    int n = 0;
                    for (int i = 0; i < perThread; i++) {
                        Activation a = act(thread + "-" + i, "ns" + (i % 3), 1);
                        if (p.admit(a).verdict() == Verdict.STARTED) {
                            n++;
                            p.release(a);
                        }
                    }
                    return n;
                }));
            }
            go.countDown();
            long total = 0;
            for (Future<Integer> f : started) {
                total += f.get(60, TimeUnit.SECONDS);
            }

            ActivationPool.Stats s = p.stats();
            assertEquals(total, s.total());
            assertEquals(0, s.running());
            assertTrue(s.maxRunning() >= 1 && s.maxRunning() <= slots, "maxRunning " + s.maxRunning());
            assertEquals(total, s.namespaces().values().stream().mapToLong(ActivationPool.NamespaceStats::total).sum());
            assertEquals(new ActivationPool.Health(slots, 0, 0, 0), p.health());
            assertEquals(total, p.runs().count());
        } finally {
            pool.shutdownNow();
        }
    }
}
