package io.tandem.core.admission;

import static io.tandem.core.admission.Fixtures.actionWithHash;
import static io.tandem.core.admission.Fixtures.healthyPool;
import static io.tandem.core.admission.Fixtures.invokerId;
import static io.tandem.core.admission.Fixtures.invokers;
import static io.tandem.core.admission.Fixtures.limits;
import static io.tandem.core.admission.Fixtures.wholeCluster;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.FakeClock;
import io.tandem.core.activation.ActionSpec;
import io.tandem.core.invoker.Invoker;
import io.tandem.core.invoker.InvokerPool;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Keys;
import io.tandem.core.ledger.Ledger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Invoker choice: OpenWhisk's sharding walk from floorMod(hash, n) by a coprime step, capacity in MB, health. */
class BalancerSelectionTest {
    private static final String NS = "alice";
    private static final int SLOT_MB = 256;

    private final FakeClock clock = new FakeClock(1_000_000);
    private final Ledger ledger = new Ledger(new Incarnation("c1", 1_000, 1));

    private Balancer balancer(InvokerPool pool) {
        return balancer(ledger, pool, wholeCluster());
    }

    private Balancer balancer(Ledger l, InvokerPool pool, SharePolicy policy) {
        return new Balancer(l, pool, limits(10_000, 100_000, 100_000), policy, clock, new Random(42), HeadroomPacer.off());
    }

    /** An action of one slot whose combined hash with {@link #NS} is {@code hash}. */
    private static ActionSpec actionHashing(int hash) {
        return new ActionSpec(actionWithHash(NS, hash), "echo", SLOT_MB, 60_000);
    }

    private static Ticket admitted(Decision d) {
        return assertInstanceOf(Decision.Admitted.class, d).ticket();
    }

    /** The invoker indexes of {@code count} admissions of {@code action}, none released. */
    private static List<Integer> placements(Balancer b, ActionSpec action, int count) {
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            Ticket t = admitted(b.admit(NS, action));
            assertFalse(t.forced(), "placement " + i + " was forced");
            out.add(t.invokerIndex());
        }
        return out;
    }

    @Test
    void shouldReduceHashWithFloorModIncludingMinValue() {
        assertTrue(Math.abs(Integer.MIN_VALUE) < 0, "why abs is not used: it leaves MIN_VALUE negative");
        assertEquals(2, Math.floorMod(Integer.MIN_VALUE, 10));
        String action = actionWithHash(NS, Integer.MIN_VALUE);
        assertEquals(Integer.MIN_VALUE, Balancer.hash(NS, NS + "/" + action));
    }

    @Test
    void shouldPlaceMinValueHashOnItsFloorModHomeAndWalkFromThere() {
        // floorMod(MIN_VALUE, 10) = 2; floorMod(MIN_VALUE, 3) = 1 picks step 3 of {1, 3, 7}
        Balancer b = balancer(healthyPool(10, SLOT_MB));

        assertEquals(List.of(2, 5, 8, 1, 4, 7, 0, 3, 6, 9),
                placements(b, actionHashing(Integer.MIN_VALUE), 10));
    }

    @Test
    void shouldWalkFromHomeByCoprimeStep() {
        // hash 13, n = 10: home 3; 13 mod 3 = 1 picks step 3 of {1, 3, 7}
        Balancer b = balancer(healthyPool(10, SLOT_MB));

        assertEquals(List.of(3, 6, 9, 2, 5, 8, 1, 4, 7, 0), placements(b, actionHashing(13), 10));
    }

    @Test
    void shouldWalkFromFloorModHomeForNegativeHash() {
        // hash -7, n = 10: home floorMod = 3 (abs would say 7); floorMod(-7, 3) = 2 picks step 7
        Balancer b = balancer(healthyPool(10, SLOT_MB));

        assertEquals(List.of(3, 0, 7, 4, 1, 8, 5, 2, 9, 6), placements(b, actionHashing(-7), 10));
    }

    @Test
    void shouldWalkTwelveInvokersByStepOfTheirOwnCoprimeSet() {
        // hash 14, n = 12: home 2; steps {1, 5, 7, 11}, 14 mod 4 = 2 picks step 7
        Balancer b = balancer(healthyPool(12, SLOT_MB));

        assertEquals(List.of(2, 9, 4, 11, 6, 1, 8, 3, 10, 5, 0, 7), placements(b, actionHashing(14), 12));
    }

    @Test
    void shouldWalkTwoInvokers() {
        Balancer b = balancer(healthyPool(2, SLOT_MB));

        assertEquals(List.of(1, 0), placements(b, actionHashing(3), 2));
    }

    @Test
    void shouldForceTheOnlyInvokerWhenItIsFull() {
        Balancer b = balancer(healthyPool(1, SLOT_MB));
        ActionSpec action = actionHashing(-12345);

        assertEquals(List.of(0), placements(b, action, 1));
        Ticket forced = admitted(b.admit(NS, action));

        assertTrue(forced.forced());
        assertEquals(invokerId(0), forced.invokerId());
        assertEquals(2 * SLOT_MB, ledger.total(Keys.invoker(invokerId(0))), "a forced activation is booked too");
        assertEquals(1, b.forcedCount());
    }

    @Test
    void shouldSkipUnhealthyInvokers() {
        InvokerPool pool = healthyPool(10, SLOT_MB);
        Fixtures.superviseUntil(pool, 0, Fixtures.OFFLINE_AFTER_MS); // everyone offline...
        for (int i = 0; i < 10; i++) {
            if (i != 3 && i != 6) {
                pool.onCheckOk(i, Fixtures.OFFLINE_AFTER_MS); // ...but home 3 and its next stop 6 stay so
            }
        }
        Balancer b = balancer(pool);

        assertEquals(List.of(9, 2, 5, 8, 1, 4, 7, 0), placements(b, actionHashing(13), 8));
        assertTrue(admitted(b.admit(NS, actionHashing(13))).forced(), "the two unhealthy ones never get work");
    }

    @Test
    void shouldSkipInvokerUnhealthyFromSystemErrors() {
        InvokerPool pool = healthyPool(10, 10 * SLOT_MB);
        for (int k = 0; k < 4; k++) {
            pool.onActivationResult(3, true);
        }
        Balancer b = balancer(pool);

        assertEquals(6, admitted(b.admit(NS, actionHashing(13))).invokerIndex());
    }

    @Test
    void shouldFitActionsIntoInvokerCapacityInMegabytes() {
        Balancer b = balancer(healthyPool(10, 512));
        ActionSpec big = new ActionSpec(actionWithHash(NS, 13), "echo", 300, 60_000);
        ActionSpec small = new ActionSpec(actionWithHash(NS, 43), "echo", 200, 60_000); // also home 3, step 3

        assertEquals(3, admitted(b.admit(NS, big)).invokerIndex());
        assertEquals(6, admitted(b.admit(NS, big)).invokerIndex(), "300 + 300 > 512: the next stop");
        assertEquals(3, admitted(b.admit(NS, small)).invokerIndex(), "300 + 200 <= 512 still fits at home");
        assertEquals(6, admitted(b.admit(NS, small)).invokerIndex());
        assertEquals(500, ledger.total(Keys.invoker(invokerId(3))));
    }

    @Test
    void shouldCountRemoteBookingsAgainstInvokerCapacity() {
        Balancer b = balancer(healthyPool(10, 512));
        Ledger remote = new Ledger(new Incarnation("c2", 1_000, 2));
        remote.add(Keys.invoker(invokerId(3)), 300);
        ledger.applyDelta(remote.drain());

        assertEquals(6, admitted(b.admit(NS, actionHashing(13))).invokerIndex());
    }

    @Test
    void shouldUseOnlyThisControllersShareOfCapacityWithClusteringOff() {
        Balancer b = balancer(ledger, healthyPool(10, 2 * SLOT_MB), SharePolicy.local(2));

        assertEquals(List.of(3, 6), placements(b, actionHashing(13), 2));
    }

    @Test
    void shouldForceRandomHealthyInvokerWhenEveryOneIsFull() {
        InvokerPool pool = new InvokerPool(invokers(4, SLOT_MB), Fixtures.OFFLINE_AFTER_MS);
        pool.onCheckOk(0, 0);
        pool.onCheckOk(2, 0);
        Balancer b = balancer(pool);
        ActionSpec action = actionHashing(13);
        placements(b, action, 2);

        Set<Integer> chosen = new HashSet<>();
        for (int i = 0; i < 200; i++) {
            Ticket t = admitted(b.admit(NS, action));
            assertTrue(t.forced());
            chosen.add(t.invokerIndex());
        }

        assertEquals(Set.of(0, 2), chosen, "only healthy invokers are forced, and the pick is spread");
        assertEquals(200, b.forcedCount());
        assertEquals(202, b.admittedCount());
        assertEquals(202L * SLOT_MB,
                ledger.total(Keys.invoker(invokerId(0))) + ledger.total(Keys.invoker(invokerId(2))));
    }

    @Test
    void shouldAnswerUnavailableWhenNoInvokerIsHealthyAndBookNothing() {
        InvokerPool pool = new InvokerPool(invokers(3, SLOT_MB), Fixtures.OFFLINE_AFTER_MS);
        Balancer b = balancer(pool);

        Decision.Unavailable u = assertInstanceOf(Decision.Unavailable.class, b.admit(NS, actionHashing(13)));

        assertEquals(Balancer.UNAVAILABLE, u.message());
        assertEquals(Map.of(), ledger.totals(Keys.INVOKER_PREFIX));
        assertEquals(Map.of(), ledger.totals(Keys.NAMESPACE_PREFIX));
        assertEquals(0, ledger.total(Keys.SYSTEM));
        assertEquals(1, b.unavailableCount());
    }

    @Test
    void shouldAnswerUnavailableWithoutInvokers() {
        Balancer b = balancer(new InvokerPool(List.of(), Fixtures.OFFLINE_AFTER_MS));

        assertInstanceOf(Decision.Unavailable.class, b.admit(NS, actionHashing(13)));
    }

    @Test
    void shouldWalkTheSameRingOnEveryControllerWhateverTheConfiguredOrder() {
        List<Invoker> configured = invokers(11, SLOT_MB);
        List<Invoker> shuffled = new ArrayList<>(configured);
        Collections.shuffle(shuffled, new Random(7));
        Balancer one = balancer(new Ledger(new Incarnation("c1", 1, 1)), healthyPool(configured), wholeCluster());
        Balancer two = balancer(new Ledger(new Incarnation("c2", 1, 1)), healthyPool(shuffled), wholeCluster());
        ActionSpec action = actionHashing(13);

        List<String> walkOne = new ArrayList<>();
        List<String> walkTwo = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            walkOne.add(admitted(one.admit(NS, action)).invokerId());
            walkTwo.add(admitted(two.admit(NS, action)).invokerId());
        }

        assertEquals(walkOne, walkTwo);
        // n = 11: home 13 mod 11 = 2; steps {1, 2, 3, 5, 7}, 13 mod 5 = 3 picks step 5
        List<String> expected = new ArrayList<>();
        for (int index : List.of(2, 7, 1, 6, 0, 5, 10, 4, 9, 3, 8)) {
            expected.add(invokerId(index));
        }
        assertEquals(expected, walkOne);
    }

    @Test
    void shouldMoveHomeWhenInvokersAreAdded() {
        ActionSpec action = actionHashing(13);
        Balancer ten = balancer(new Ledger(new Incarnation("c1", 1, 1)), healthyPool(10, SLOT_MB), wholeCluster());
        Balancer eleven = balancer(new Ledger(new Incarnation("c1", 2, 1)), healthyPool(11, SLOT_MB), wholeCluster());

        String homeOfTen = admitted(ten.admit(NS, action)).invokerId();
        String homeOfEleven = admitted(eleven.admit(NS, action)).invokerId();

        assertEquals(invokerId(3), homeOfTen);
        assertEquals(invokerId(2), homeOfEleven);
        assertNotEquals(homeOfTen, homeOfEleven);
    }
}
