package io.tandem.core.admission;

import static io.tandem.core.admission.Fixtures.healthyPool;
import static io.tandem.core.admission.Fixtures.limits;
import static io.tandem.core.admission.Fixtures.wholeCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.FakeClock;
import io.tandem.core.activation.ActionSpec;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Keys;
import io.tandem.core.ledger.Ledger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Admission: the per-minute window, concurrency, system overload, their order, and the limits' shares. */
class BalancerAdmissionTest {
    private static final long MINUTE_MS = 60_000;
    /** One second before the end of minute window 10. */
    private static final long T0 = 10 * MINUTE_MS + 59_000;
    private static final ActionSpec ECHO = new ActionSpec("echo", "echo", 256, 60_000);
    private static final String ALICE = "alice";
    private static final String BOB = "bob";

    private final FakeClock clock = new FakeClock(T0);
    private final Ledger ledger = new Ledger(new Incarnation("c1", 1_000, 1));

    private Balancer balancer(Limits limits, SharePolicy policy) {
        return new Balancer(ledger, healthyPool(4, 1_000_000), limits, policy, clock, new Random(42), HeadroomPacer.off());
    }

    private Balancer balancer(Limits limits) {
        return balancer(limits, wholeCluster());
    }

    private static Ticket admitted(Decision d) {
        return assertInstanceOf(Decision.Admitted.class, d).ticket();
    }

    private static Decision.Throttled throttled(Decision d, Decision.Reason reason) {
        Decision.Throttled t = assertInstanceOf(Decision.Throttled.class, d);
        assertEquals(reason, t.reason(), t.message());
        return t;
    }

    private static List<Ticket> admitN(Balancer b, String ns, int n) {
        List<Ticket> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(admitted(b.admit(ns, ECHO)));
        }
        return out;
    }

    private long minuteCount(String ns) {
        return ledger.total(Keys.minute(Math.floorDiv(clock.millis(), MINUTE_MS), ns));
    }

    /**
     * Changes far from every limit may wait to be coalesced; from half of a limit on they are urgent, so that near
     * a limit the peers see them at the next flush (the flusher's rule, JGroupsReplicator).
     */
    @Test
    void shouldMarkChangesUrgentFromHalfOfTheConcurrencyLimitOn() {
        Balancer b = balancer(limits(10, 1_000, 1_000));
        List<Ticket> four = admitN(b, ALICE, 4);
        assertTrue(ledger.hasPending());
        assertFalse(ledger.hasUrgentPending(), "4 of 10 in flight: far from the limit");
        ledger.drain();

        Ticket fifth = admitted(b.admit(ALICE, ECHO));
        assertTrue(ledger.hasUrgentPending(), "5 of 10: half of the limit");
        ledger.drain();

        b.release(fifth);
        assertTrue(ledger.hasUrgentPending(), "a slot freed at half of the limit");
        ledger.drain();
        b.release(four.get(0));
        assertFalse(ledger.hasUrgentPending(), "4 of 10 before the release");
        assertTrue(ledger.hasPending());
    }

    /** What this controller has not sent yet is assumed unsent at each peer too: a burst turns urgent early. */
    @Test
    void shouldMarkABurstUrgentBeforeTheCountsItSeesReachHalfOfTheLimit() {
        Balancer b = balancer(limits(30, 1_000, 1_000), SharePolicy.clustered(() -> 3, 3));
        admitN(b, ALICE, 4);
        assertFalse(ledger.hasUrgentPending(), "4 booked and unsent, as if 12 in the cluster: below 15 of 30");
        admitN(b, ALICE, 1);
        assertTrue(ledger.hasUrgentPending(), "5 booked and unsent, as if 15 in the cluster");
        ledger.drain();
        admitN(b, ALICE, 1);
        assertFalse(ledger.hasUrgentPending(), "6 in flight of which 1 unsent, as if 8: far again once sent");
    }

    @Test
    void shouldMarkChangesUrgentNearTheMinuteTheSystemAndTheInvokerLimits() {
        Balancer minute = balancer(limits(100, 10, 1_000));
        admitN(minute, ALICE, 4);
        assertFalse(ledger.hasUrgentPending());
        admitN(minute, ALICE, 1);
        assertTrue(ledger.hasUrgentPending(), "5 of 10 requests this minute");
        ledger.drain();

        Balancer system = balancer(limits(100, 1_000, 12));
        admitN(system, BOB, 1);
        assertTrue(ledger.hasUrgentPending(), "6 of 12 in flight in the system");
        ledger.drain();

        Ledger fresh = new Ledger(new Incarnation("c2", 1_000, 1));
        Balancer invoker = new Balancer(fresh, healthyPool(1, 1_000), limits(100, 1_000, 1_000), wholeCluster(),
                clock, new Random(42), HeadroomPacer.off());
        admitted(invoker.admit(ALICE, ECHO));
        assertFalse(fresh.hasUrgentPending(), "256 of 1,000 MB");
        admitted(invoker.admit(ALICE, ECHO));
        assertTrue(fresh.hasUrgentPending(), "512 of 1,000 MB of the invoker");
    }

    @Test
    void shouldBookNamespaceSystemAndInvokerMemoryOnAdmission() {
        Balancer b = balancer(limits(10, 100, 100));

        Ticket t = admitted(b.admit(ALICE, ECHO));

        assertEquals(ALICE, t.namespace());
        assertEquals(256, t.memoryMb());
        assertFalse(t.forced());
        assertEquals(1, ledger.local(Keys.namespace(ALICE)));
        assertEquals(1, ledger.local(Keys.SYSTEM));
        assertEquals(256, ledger.local(Keys.invoker(t.invokerId())));
        assertEquals(1, minuteCount(ALICE));
        assertEquals(1, b.admittedCount());
    }

    @Test
    void shouldThrottlePerMinuteOnceTheWindowIsFull() {
        Balancer b = balancer(limits(100, 3, 1_000));
        admitN(b, ALICE, 3);

        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.PER_MINUTE);

        assertEquals("Too many requests in the last minute (count: 4, allowed: 3).", t.message());
        assertEquals(3, ledger.total(Keys.namespace(ALICE)), "a throttled request books nothing in flight");
        assertEquals(1, b.throttledCount(Decision.Reason.PER_MINUTE));
        admitted(b.admit(BOB, ECHO));
    }

    @Test
    void shouldResetPerMinuteWindowAtTheMinuteBoundary() {
        Balancer b = balancer(limits(100, 3, 1_000));
        admitN(b, ALICE, 3);
        throttled(b.admit(ALICE, ECHO), Decision.Reason.PER_MINUTE);

        clock.set(11 * MINUTE_MS - 1);
        throttled(b.admit(ALICE, ECHO), Decision.Reason.PER_MINUTE);
        clock.set(11 * MINUTE_MS);

        admitN(b, ALICE, 3);
        throttled(b.admit(ALICE, ECHO), Decision.Reason.PER_MINUTE);
        assertEquals(4, minuteCount(ALICE));
    }

    @Test
    void shouldCountRequestRejectedLaterInTheMinuteWindow() {
        Balancer b = balancer(limits(1, 3, 1_000));
        Ticket first = admitted(b.admit(ALICE, ECHO));
        throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);
        throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);
        b.release(first);

        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.PER_MINUTE);

        assertEquals(4, t.count());
        assertEquals(4, minuteCount(ALICE));
        assertEquals(0, ledger.total(Keys.namespace(ALICE)));
    }

    @Test
    void shouldThrottleAtConcurrencyLimitNamingCountAndConfiguredLimit() {
        Balancer b = balancer(limits(2, 100, 1_000));
        List<Ticket> held = admitN(b, ALICE, 2);

        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);

        assertEquals("Too many concurrent requests in flight (count: 2, allowed: 2).", t.message());
        assertEquals(2, t.count());
        assertEquals(2, t.allowed());
        b.release(held.get(0));
        admitted(b.admit(ALICE, ECHO));
        admitted(b.admit(BOB, ECHO));
    }

    @Test
    void shouldApplyPerNamespaceOverride() {
        Limits limits = new Limits(new NamespaceLimits(5, 100), Map.of(BOB, new NamespaceLimits(1, 100)), 1_000);
        Balancer b = balancer(limits);
        admitted(b.admit(BOB, ECHO));

        Decision.Throttled t = throttled(b.admit(BOB, ECHO), Decision.Reason.CONCURRENCY);

        assertTrue(t.message().contains("allowed: 1)"), t.message());
        admitN(b, ALICE, 5);
    }

    @Test
    void shouldThrottleSystemOverloadAcrossNamespaces() {
        Balancer b = balancer(limits(10, 100, 3));
        admitN(b, ALICE, 2);
        admitted(b.admit(BOB, ECHO));

        Decision.Throttled t = throttled(b.admit("carol", ECHO), Decision.Reason.SYSTEM_OVERLOAD);

        assertEquals(Balancer.OVERLOADED, t.message());
        assertEquals(3, t.count());
        assertEquals(3, ledger.total(Keys.SYSTEM));
        assertEquals(0, ledger.total(Keys.namespace("carol")));
    }

    @Test
    void shouldCheckPerMinuteBeforeConcurrencyBeforeSystemOverload() {
        Balancer b = balancer(limits(2, 3, 2));
        admitN(b, ALICE, 2); // alice: minute 2 of 3, in flight 2 of 2; system 2 of 2

        throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY); // minute 3 passes; concurrency and system full
        throttled(b.admit(ALICE, ECHO), Decision.Reason.PER_MINUTE); // all three full: per-minute speaks first
        throttled(b.admit(BOB, ECHO), Decision.Reason.SYSTEM_OVERLOAD); // only the system is full

        assertEquals(1, b.throttledCount(Decision.Reason.PER_MINUTE));
        assertEquals(1, b.throttledCount(Decision.Reason.CONCURRENCY));
        assertEquals(1, b.throttledCount(Decision.Reason.SYSTEM_OVERLOAD));
        assertEquals(2, b.admittedCount());
    }

    @Test
    void shouldCountRemoteRowsAgainstTheLimit() {
        Balancer b = balancer(limits(5, 100, 1_000));
        Ledger remote = new Ledger(new Incarnation("c2", 1_000, 2));
        remote.add(Keys.namespace(ALICE), 3);
        remote.add(Keys.SYSTEM, 3);
        ledger.applyDelta(remote.drain());

        admitN(b, ALICE, 2);
        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);

        assertEquals("Too many concurrent requests in flight (count: 5, allowed: 5).", t.message());
        remote.add(Keys.namespace(ALICE), -3);
        remote.add(Keys.SYSTEM, -3);
        ledger.applyDelta(remote.drain());
        admitN(b, ALICE, 3);
    }

    @Test
    void shouldCountRemoteMinuteWindowAgainstThePerMinuteLimit() {
        Balancer b = balancer(limits(100, 4, 1_000));
        Ledger remote = new Ledger(new Incarnation("c2", 1_000, 2));
        remote.add(Keys.minute(Math.floorDiv(T0, MINUTE_MS), ALICE), 3);
        ledger.applyDelta(remote.drain());

        admitted(b.admit(ALICE, ECHO));
        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.PER_MINUTE);

        assertEquals("Too many requests in the last minute (count: 5, allowed: 4).", t.message());
    }

    @Test
    void shouldAdmitOnlyThisControllersShareWithClusteringOff() {
        Balancer b = balancer(limits(10, 100, 1_000), SharePolicy.local(3));

        admitN(b, ALICE, 3);
        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);

        assertEquals(3, t.count());
        assertEquals(3, t.allowed());
        String m = t.message();
        assertTrue(m.startsWith("Too many concurrent requests in flight (count: 3, allowed: 3)."), m);
        assertTrue(m.contains("1/3 share"), m);
        assertTrue(m.contains("configured limit of 10"), m);
        assertTrue(m.contains("clustering is off"), m);
    }

    @Test
    void shouldCountOnlyOwnWorkWithClusteringOff() {
        Balancer b = balancer(limits(10, 100, 1_000), SharePolicy.local(3));
        Ledger other = new Ledger(new Incarnation("c2", 1_000, 2));
        other.add(Keys.namespace(ALICE), 10);
        ledger.applyDelta(other.drain());

        admitN(b, ALICE, 3);
        throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);
    }

    @Test
    void shouldFloorShareAtOneWithClusteringOff() {
        Balancer b = balancer(limits(2, 100, 1_000), SharePolicy.local(3));

        admitted(b.admit(ALICE, ECHO));
        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);

        assertEquals(1, t.allowed());
    }

    @Test
    void shouldAdmitDegradedShareWhileViewIsSmallerThanExpected() {
        AtomicInteger view = new AtomicInteger(2);
        Balancer b = balancer(limits(100, 1_000, 10_000), SharePolicy.clustered(view::get, 3));

        admitN(b, ALICE, 66);
        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);

        assertEquals(66, t.count());
        assertEquals(66, t.allowed());
        String m = t.message();
        assertTrue(m.startsWith("Too many concurrent requests in flight (count: 66, allowed: 100)."), m);
        assertTrue(m.contains("degraded"), m);
        assertTrue(m.contains("2 of 3"), m);
        assertTrue(m.contains("at most 66"), m);
        assertTrue(b.policy().degraded());

        view.set(3);
        assertFalse(b.policy().degraded());
        admitted(b.admit(ALICE, ECHO));
    }

    @Test
    void shouldKeepTheDegradedShareAfterAMergeUntilTheOtherSidesRowsAreCounted() {
        AtomicInteger counted = new AtomicInteger(2);
        Balancer b = balancer(limits(100, 1_000, 10_000),
                SharePolicy.clustered(() -> 3, counted::get, () -> 0, 3));

        admitN(b, ALICE, 66);
        Decision.Throttled t = throttled(b.admit(ALICE, ECHO), Decision.Reason.CONCURRENCY);

        assertEquals(66, t.allowed(), "three in the view, but only two members' rows are in the counts");
        assertTrue(t.message().contains("2 of 3"), t.message());
        assertTrue(b.policy().degraded());
        assertEquals(3, b.policy().visible());

        counted.set(3);
        assertFalse(b.policy().degraded());
        admitted(b.admit(ALICE, ECHO));
    }

    @Test
    void shouldGiveEverythingBackOnRelease() {
        Balancer b = new Balancer(ledger, healthyPool(3, 512), limits(100, 1_000, 1_000), wholeCluster(), clock,
                new Random(42), HeadroomPacer.off());
        List<Ticket> tickets = new ArrayList<>();
        tickets.addAll(admitN(b, ALICE, 5));
        tickets.addAll(admitN(b, BOB, 4));
        ActionSpec big = new ActionSpec("big", "cpu", 300, 1_000);
        tickets.add(admitted(b.admit("carol", big)));
        assertTrue(b.forcedCount() > 0, "the invokers were overbooked on purpose");

        tickets.forEach(b::release);

        assertEquals(Map.of(), ledger.totals(Keys.NAMESPACE_PREFIX));
        assertEquals(Map.of(), ledger.totals(Keys.INVOKER_PREFIX));
        assertEquals(0, ledger.total(Keys.SYSTEM));
        assertEquals(0, ledger.anomalies());
        assertEquals(ledger.totals(Keys.MINUTE_PREFIX).size(), ledger.keyCount(), "only minute windows remain");
    }
}
