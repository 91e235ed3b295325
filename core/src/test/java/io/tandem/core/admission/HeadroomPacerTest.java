package io.tandem.core.admission;

import static io.tandem.core.admission.Fixtures.healthyPool;
import static io.tandem.core.admission.Fixtures.limits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.FakeClock;
import io.tandem.core.activation.ActionSpec;
import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Keys;
import io.tandem.core.ledger.Ledger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The headroom pacer: its quotas split the headroom exactly, it lets a lone controller reach the limit, and in a
 * simulated three-controller cluster whose deltas arrive a few milliseconds late it keeps the true total within the
 * limit where admission without it overshoots.
 */
class HeadroomPacerTest {
    private static final ActionSpec SLEEP = new ActionSpec("sleep", "sleep", 128, 60_000);
    private static final String NS = "ns1";
    private static final String KEY = Keys.namespace(NS);

    @Test
    void quotasOfAllRanksAddUpToTheHeadroomInEveryWindow() {
        Random r = new Random(7);
        for (int i = 0; i < 10_000; i++) {
            int members = 2 + r.nextInt(6);
            long headroom = r.nextInt(200);
            long index = r.nextInt(1_000_000);
            long sum = 0;
            for (int rank = 0; rank < members; rank++) {
                long q = HeadroomPacer.quota(headroom, members, rank, index);
                assertTrue(q >= headroom / members && q <= headroom / members + 1, "q=" + q);
                sum += q;
            }
            assertEquals(headroom, sum, "h=" + headroom + " n=" + members + " window=" + index);
        }
    }

    @Test
    void shouldGiveTheRemainderToEveryRankInTurn() {
        for (int rank = 0; rank < 3; rank++) {
            int got = 0;
            for (long index = 0; index < 6; index++) {
                got += (int) HeadroomPacer.quota(1, 3, rank, index);
            }
            assertEquals(2, got, "rank " + rank + " gets the single free slot two windows in every six");
        }
    }

    /**
     * Found by trying the README's two-controller example: on an idle cluster one slot below the limit, a request
     * that retried every window never got the slot (429 after ADMISSION_PACE_MAX_WAIT), for one of the two starting
     * windows, whenever the view held an even number of controllers.
     */
    @Test
    void shouldGiveTheLastSlotToARetryingControllerWhateverTheViewSizeAndStartingWindow() {
        for (int members = 2; members <= 6; members++) {
            for (int rank = 0; rank < members; rank++) {
                for (long start = 0; start < 2L * members; start++) {
                    HeadroomPacer pacer = new HeadroomPacer(10);
                    long window = start;
                    // 5 of 6 booked (by this controller), the peers idle; one retry per window, 20 windows = 200 ms
                    while (!pacer.allow(KEY, window * 10, 5, 5, 6, members, rank) && window < start + 20) {
                        window++;
                    }
                    assertTrue(window < start + 20, "n=" + members + " rank=" + rank + " first window " + start
                            + ": the last free slot was never granted");
                    assertTrue(window - start <= 2L * members, "n=" + members + " rank=" + rank + " waited "
                            + (window - start) + " windows");
                }
            }
        }
    }

    @Test
    void shouldNeverPaceAloneOrWhenOff() {
        HeadroomPacer on = new HeadroomPacer(10);
        HeadroomPacer off = HeadroomPacer.off();
        for (int own = 0; own < 100; own++) {
            assertTrue(on.allow(KEY, 5, own, own, 100, 1, 0));
            assertTrue(off.allow(KEY, 5, own, own, 100, 3, 0));
        }
    }

    @Test
    void shouldLetOwnFreedSlotsBeReusedWithinTheWindow() {
        HeadroomPacer p = new HeadroomPacer(10);
        // window 0: 40 of 100 in use cluster-wide, 10 of them ours; headroom 60, our quota 20
        assertTrue(p.allow(KEY, 0, 10, 40, 100, 3, 0));
        assertTrue(p.allow(KEY, 1, 29, 59, 100, 3, 0));
        assertEquals(false, p.allow(KEY, 2, 30, 60, 100, 3, 0), "quota used: 10 + 20");
        // one of ours ends: its slot is ours again at once
        assertTrue(p.allow(KEY, 3, 29, 59, 100, 3, 0));
        // next window: headroom 10, but the peers were entitled to 40 in window 0 and have been seen to take 30
        assertEquals(false, p.allow(KEY, 10, 30, 90, 100, 3, 0), "the peers' unseen 10 is left out");
        // the window after: nothing unseen any more, the 10 are split (3 or 4 for us)
        assertTrue(p.allow(KEY, 20, 30, 90, 100, 3, 0));
    }

    @Test
    void aLoneBusyControllerInAClusterStillReachesTheLimitWithinAFewWindows() {
        FakeClock clock = new FakeClock(1_000_000);
        Ledger ledger = new Ledger(new Incarnation("c1", 1, 1));
        Balancer b = new Balancer(ledger, healthyPool(2, 1_000_000), limits(10, 1_000_000, 1_000_000),
                SharePolicy.clustered(() -> 3, () -> 0, 3), clock, new Random(1), new HeadroomPacer(10));
        int windows = 0;
        while (ledger.local(KEY) < 10 && windows < 100) {
            Decision d;
            do {
                d = b.admit(NS, SLEEP);
            } while (d instanceof Decision.Admitted && ledger.local(KEY) < 10);
            if (ledger.local(KEY) == 10) {
                break;
            }
            Decision.Paced paced = assertInstanceOf(Decision.Paced.class, d, "within the limit: paced, not 429");
            assertTrue(paced.retryInMs() >= 1 && paced.retryInMs() <= 10);
            clock.advance(paced.retryInMs());
            windows++;
        }
        assertEquals(10, ledger.local(KEY));
        // 10 -> quotas 3(+1), 2(+1), 1(+1), ...: about a dozen windows of 10 ms, not seconds
        assertTrue(windows <= 15, "windows to reach the limit: " + windows);
        assertInstanceOf(Decision.Throttled.class, b.admit(NS, SLEEP), "at the limit: 429");
        assertEquals(0, ledger.total(Keys.minute(Math.floorDiv(clock.millis(), 60_000), NS)) - b.admittedCount() - 1,
                "a paced attempt takes back its per-minute increment; the admitted and the final 429 count");
    }

    @Test
    void shouldKeepThreeControllersWithinTheLimitOnDeltasThreeMillisecondsLate() {
        Sim without = Sim.run(100, 0, 3, 42);
        Sim with = Sim.run(100, 10, 3, 42);
        System.out.printf("PACER-SIM limit=100 delay=3ms: without pacing max=%d admitted=%d; with pacing max=%d"
                + " admitted=%d paced=%d%n", without.maxTrueTotal, without.admitted, with.maxTrueTotal, with.admitted,
                with.paced);
        assertTrue(without.maxTrueTotal > 110, "the simulation does reproduce the overshoot: " + without.maxTrueTotal);
        assertTrue(with.maxTrueTotal <= 101, "paced: " + with.maxTrueTotal);
        assertTrue(with.admitted >= without.admitted * 8 / 10,
                "pacing keeps the throughput: " + with.admitted + " vs " + without.admitted);
    }

    @Test
    void shouldStayWithinTheLimitWhenDeltasAreLateByMoreThanAWindow() {
        Sim without = Sim.run(100, 0, 15, 5);
        Sim with = Sim.run(100, 10, 15, 5);
        System.out.printf("PACER-SIM limit=100 delay=15ms window=10ms: without pacing max=%d admitted=%d;"
                + " with pacing max=%d admitted=%d%n", without.maxTrueTotal, without.admitted, with.maxTrueTotal,
                with.admitted);
        assertTrue(with.maxTrueTotal <= 102, "paced: " + with.maxTrueTotal);
        assertTrue(with.admitted >= without.admitted * 7 / 10,
                "pacing keeps most of the throughput: " + with.admitted + " vs " + without.admitted);
    }

    @Test
    void aWindowLeavesOutWhatPeersMayHaveTakenUnseenInThePreviousOne() {
        HeadroomPacer p = new HeadroomPacer(10);
        // window 0, idle cluster of 3: headroom 90 of 90, our quota 30, the peers' 60
        assertTrue(p.allow(KEY, 0, 0, 0, 90, 3, 0));
        // window 1: we took 30, the peers' 60 not seen yet: nothing left to split
        assertEquals(false, p.allow(KEY, 10, 30, 30, 90, 3, 0));
        // window 2: the peers' 60 arrived; what they were entitled to in window 1 (0) is all seen
        assertEquals(false, p.allow(KEY, 20, 30, 90, 90, 3, 0));
    }

    @Test
    void shouldKeepASmallLimitWithinBoundsToo() {
        Sim with = Sim.run(10, 10, 3, 9);
        Sim without = Sim.run(10, 0, 3, 9);
        System.out.printf("PACER-SIM limit=10 delay=3ms: without pacing max=%d; with pacing max=%d%n",
                without.maxTrueTotal, with.maxTrueTotal);
        assertTrue(with.maxTrueTotal <= 11, "paced: " + with.maxTrueTotal);
        assertTrue(with.maxTrueTotal < without.maxTrueTotal);
    }

    /**
     * Three controllers, 1 ms ticks. Every tick each controller gets a burst of attempts (closed-loop clients that
     * retry at once after a 429, as the load test does); activations last 20-60 ms. Every 2 ms each ledger drains
     * its delta, which the others apply {@code delayMs} later. The true total is the sum of the own counts.
     */
    private static final class Sim {
        long maxTrueTotal;
        long admitted;
        long paced;

        static Sim run(int limit, long windowMs, long delayMs, long seed) {
            Sim sim = new Sim();
            Random r = new Random(seed);
            FakeClock clock = new FakeClock(5_000_000);
            int n = 3;
            List<Ledger> ledgers = new ArrayList<>();
            List<Balancer> balancers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                Ledger l = new Ledger(new Incarnation("c" + i, 1, 1));
                int rank = i;
                ledgers.add(l);
                balancers.add(new Balancer(l, healthyPool(2, 100_000_000), limits(limit, 100_000_000, 100_000_000),
                        SharePolicy.clustered(() -> n, () -> rank, n), clock, new Random(seed + i),
                        new HeadroomPacer(windowMs)));
            }
            record Delivery(long at, int to, DeltaBatch batch) {
            }
            record End(long at, int controller, Ticket ticket) {
            }
            ArrayDeque<Delivery> network = new ArrayDeque<>();
            PriorityQueue<End> ends = new PriorityQueue<>((a, b) -> Long.compare(a.at, b.at));
            for (int tick = 0; tick < 3_000; tick++) {
                clock.advance(1);
                long now = clock.millis();
                while (!ends.isEmpty() && ends.peek().at <= now) {
                    End e = ends.poll();
                    balancers.get(e.controller).release(e.ticket);
                }
                while (!network.isEmpty() && network.peek().at <= now) {
                    Delivery d = network.poll();
                    ledgers.get(d.to).applyDelta(d.batch);
                }
                for (int c = 0; c < n; c++) {
                    int attempts = 1 + r.nextInt(2 * limit / n + 2);
                    for (int a = 0; a < attempts; a++) {
                        Decision d = balancers.get(c).admit(NS, SLEEP);
                        if (d instanceof Decision.Admitted ad) {
                            sim.admitted++;
                            ends.add(new End(now + 20 + r.nextInt(41), c, ad.ticket()));
                        } else if (d instanceof Decision.Paced) {
                            sim.paced++;
                        }
                    }
                }
                long trueTotal = 0;
                for (Ledger l : ledgers) {
                    trueTotal += l.local(KEY);
                }
                sim.maxTrueTotal = Math.max(sim.maxTrueTotal, trueTotal);
                if (tick % 2 == 0) {
                    for (int c = 0; c < n; c++) {
                        DeltaBatch batch = ledgers.get(c).drain();
                        if (batch == null) {
                            continue;
                        }
                        for (int to = 0; to < n; to++) {
                            if (to != c) {
                                network.add(new Delivery(now + delayMs, to, batch));
                            }
                        }
                    }
                }
            }
            return sim;
        }
    }
}
