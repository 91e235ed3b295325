package io.tandem.core.admission;

import static io.tandem.core.admission.Fixtures.actionWithHash;
import static io.tandem.core.admission.Fixtures.healthyPool;
import static io.tandem.core.admission.Fixtures.invokerId;
import static io.tandem.core.admission.Fixtures.invokers;
import static io.tandem.core.admission.Fixtures.limits;
import static io.tandem.core.admission.Fixtures.wholeCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.Concurrently;
import io.tandem.core.FakeClock;
import io.tandem.core.activation.ActionSpec;
import io.tandem.core.invoker.Invoker;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Keys;
import io.tandem.core.ledger.Ledger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.RepeatedTest;

/**
 * Check-and-acquire is atomic: many threads admitting and releasing at once never take more than the last slot of
 * a namespace or the last memory of an invoker. The outstanding counters are decremented before each release, so
 * they can only lag behind the ledger and any excess they show is a real overshoot.
 */
class BalancerConcurrencyTest {
    private static final int THREADS = 8;
    private static final int ITERATIONS = 5_000;
    private static final String NS = "alice";

    private final FakeClock clock = new FakeClock(1_000_000);
    private final Ledger ledger = new Ledger(new Incarnation("c1", 1_000, 1));

    @RepeatedTest(3)
    void shouldNeverAdmitMoreThanTheNamespaceLimitUnderConcurrentCallers() throws InterruptedException {
        int limit = 5;
        Balancer b = new Balancer(ledger, healthyPool(4, 1_000_000), limits(limit, Integer.MAX_VALUE, 1_000_000),
                wholeCluster(), clock, new Random(1), HeadroomPacer.off());
        ActionSpec action = new ActionSpec("echo", "echo", 128, 60_000);
        AtomicInteger outstanding = new AtomicInteger();
        AtomicInteger maxOutstanding = new AtomicInteger();
        AtomicLong maxInFlight = new AtomicLong();

        Concurrently.run(THREADS, worker -> {
            SplittableRandom random = new SplittableRandom(worker);
            Deque<Ticket> held = new ArrayDeque<>();
            for (int i = 0; i < ITERATIONS; i++) {
                if (b.admit(NS, action) instanceof Decision.Admitted a) {
                    held.add(a.ticket());
                    maxOutstanding.accumulateAndGet(outstanding.incrementAndGet(), Math::max);
                }
                maxInFlight.accumulateAndGet(ledger.total(Keys.namespace(NS)), Math::max);
                if (!held.isEmpty() && random.nextInt(3) == 0) {
                    outstanding.decrementAndGet();
                    b.release(held.poll());
                }
            }
            while (!held.isEmpty()) {
                outstanding.decrementAndGet();
                b.release(held.poll());
            }
        });

        assertTrue(maxOutstanding.get() <= limit, "admitted and not released: " + maxOutstanding.get());
        assertTrue(maxInFlight.get() <= limit, "in flight: " + maxInFlight.get());
        assertTrue(b.throttledCount(Decision.Reason.CONCURRENCY) > 0, "the limit was never reached");
        assertTrue(b.admittedCount() > limit, "too little was admitted to race");
        assertEquals(Map.of(), ledger.totals(Keys.NAMESPACE_PREFIX));
        assertEquals(Map.of(), ledger.totals(Keys.INVOKER_PREFIX));
        assertEquals(0, ledger.total(Keys.SYSTEM));
        assertEquals(0, ledger.anomalies());
    }

    @RepeatedTest(3)
    void shouldNeverBookMoreThanTheLastMemoryOfAnInvokerUnderConcurrentCallers() throws InterruptedException {
        int slots = 3;
        int memoryMb = 256;
        // home (even hash, n = 2) is the small inv-00; inv-01 takes the rest, so nothing is ever forced
        List<Invoker> pool = List.of(invokers(1, slots * memoryMb).get(0),
                new Invoker(invokerId(1), "http://big", 1_000_000_000));
        Balancer b = new Balancer(ledger, healthyPool(pool), limits(1_000_000, Integer.MAX_VALUE, 1_000_000),
                wholeCluster(), clock, new Random(1), HeadroomPacer.off());
        ActionSpec action = new ActionSpec(actionWithHash(NS, 42), "echo", memoryMb, 60_000);
        String small = invokerId(0);
        AtomicInteger outstandingOnSmall = new AtomicInteger();
        AtomicInteger maxOnSmall = new AtomicInteger();
        AtomicLong maxBookedOnSmall = new AtomicLong();
        AtomicInteger placedOnSmall = new AtomicInteger();

        Concurrently.run(THREADS, worker -> {
            SplittableRandom random = new SplittableRandom(100 + worker);
            List<Ticket> held = new ArrayList<>();
            for (int i = 0; i < ITERATIONS; i++) {
                if (b.admit(NS, action) instanceof Decision.Admitted a) {
                    held.add(a.ticket());
                    if (a.ticket().invokerId().equals(small)) {
                        placedOnSmall.incrementAndGet();
                        maxOnSmall.accumulateAndGet(outstandingOnSmall.incrementAndGet(), Math::max);
                    }
                }
                maxBookedOnSmall.accumulateAndGet(ledger.total(Keys.invoker(small)), Math::max);
                if (!held.isEmpty() && random.nextInt(2) == 0) {
                    release(b, held.remove(random.nextInt(held.size())), small, outstandingOnSmall);
                }
            }
            for (Ticket t : held) {
                release(b, t, small, outstandingOnSmall);
            }
        });

        assertTrue(maxOnSmall.get() <= slots, "activations on the small invoker: " + maxOnSmall.get());
        assertTrue(maxBookedOnSmall.get() <= (long) slots * memoryMb, "booked MB: " + maxBookedOnSmall.get());
        assertTrue(placedOnSmall.get() > slots, "the small invoker was not contended");
        assertTrue(b.admittedCount() > placedOnSmall.get(), "nothing overflowed to the next invoker");
        assertEquals(0, b.forcedCount());
        assertEquals(Map.of(), ledger.totals(Keys.INVOKER_PREFIX));
        assertEquals(0, ledger.anomalies());
    }

    private static void release(Balancer b, Ticket t, String small, AtomicInteger outstandingOnSmall) {
        if (t.invokerId().equals(small)) {
            outstandingOnSmall.decrementAndGet();
        }
        b.release(t);
    }
}
