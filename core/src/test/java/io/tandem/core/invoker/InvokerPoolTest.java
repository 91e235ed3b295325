package io.tandem.core.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class InvokerPoolTest {
    private static final long OFFLINE_AFTER_MS = 10_000;

    private final InvokerPool pool = new InvokerPool(List.of(
            new Invoker("inv-b", "http://b", 1024),
            new Invoker("inv-a", "http://a", 2048),
            new Invoker("inv-c", "http://c", 512)), OFFLINE_AFTER_MS);

    /** Supervision ticking every second, as the health supervisor does. */
    private void superviseUntil(long fromMs, long toMs) {
        for (long t = fromMs; t <= toMs; t += 1_000) {
            pool.tick(t);
        }
    }

    private void results(int index, boolean systemError, int times) {
        for (int i = 0; i < times; i++) {
            pool.onActivationResult(index, systemError);
        }
    }

    @Test
    void shouldKeepInvokersSortedById() {
        assertEquals(List.of("inv-a", "inv-b", "inv-c"), pool.invokers().stream().map(Invoker::id).toList());
        assertEquals(1, pool.indexOf("inv-b"));
        assertEquals(-1, pool.indexOf("inv-z"));
        assertEquals(2048, pool.get(0).capacityMb());
    }

    @Test
    void shouldRejectDuplicateInvokerIds() {
        assertThrows(IllegalArgumentException.class, () -> new InvokerPool(List.of(
                new Invoker("inv-a", "http://a", 1), new Invoker("inv-a", "http://other", 1)), OFFLINE_AFTER_MS));
    }

    @Test
    void shouldBeOfflineUntilFirstSuccessfulCheck() {
        assertEquals(InvokerState.OFFLINE, pool.state(0));
        assertFalse(pool.isHealthy(0));
        pool.onCheckFailed(0, 1_000);
        assertEquals(InvokerState.OFFLINE, pool.state(0));
        results(0, false, 5);
        assertEquals(InvokerState.OFFLINE, pool.state(0), "activation results do not bring an invoker online");

        assertEquals(InvokerState.OFFLINE, pool.onCheckOk(0, 2_000));

        assertEquals(InvokerState.HEALTHY, pool.state(0));
        assertTrue(pool.isHealthy(0));
        assertEquals(1, pool.healthyCount());
    }

    @Test
    void shouldGoOfflineAfterTheTimeoutWithoutSuccessfulCheck() {
        pool.onCheckOk(0, 1_000);
        pool.onCheckOk(1, 1_000);
        pool.onCheckOk(1, 5_000);

        assertEquals(List.of(), pool.tick(8_000));
        assertEquals(List.of(), pool.tick(10_999));
        assertEquals(List.of(0), pool.tick(11_000));

        assertEquals(InvokerState.OFFLINE, pool.state(0));
        assertEquals(InvokerState.HEALTHY, pool.state(1), "its last good check is recent enough");
        assertEquals(List.of(), pool.tick(11_001), "going offline is reported once");
        assertEquals(List.of(1), pool.tick(15_000));
    }

    @Test
    void shouldGoOfflineWhenAFailedCheckComesAfterTheTimeout() {
        pool.onCheckOk(0, 1_000);
        pool.onCheckFailed(0, 5_000);
        assertEquals(InvokerState.HEALTHY, pool.state(0));
        pool.onCheckFailed(0, 8_000);

        pool.onCheckFailed(0, 11_000);

        assertEquals(InvokerState.OFFLINE, pool.state(0));
    }

    /** ControllerCrashIT's pause scenario: a controller resumed after SIGSTOP ended its activations as system errors. */
    @Test
    void shouldNotHoldAPauseOfTheControllerAgainstItsInvokers() {
        for (long t = 1_000; t <= 5_000; t += 1_000) {
            pool.onCheckOk(0, t);
            pool.tick(t);
        }

        // paused for 15 s: the first thing after SIGCONT is the check that timed out meanwhile
        pool.onCheckFailed(0, 20_000);
        assertEquals(List.of(), pool.tick(20_001));
        assertEquals(InvokerState.HEALTHY, pool.state(0), "the silence was the controller's own");

        pool.onCheckOk(0, 21_000);
        assertEquals(InvokerState.HEALTHY, pool.state(0));
    }

    @Test
    void shouldStillMarkADeadInvokerOfflineWhenSupervisionRunsSlowly() {
        pool.onCheckOk(0, 1_000);
        long t = 1_000;
        while (pool.state(0) != InvokerState.OFFLINE && t < 100_000) {
            t += 6_000; // every report comes later than half the offline time
            pool.onCheckFailed(0, t);
        }
        assertEquals(InvokerState.OFFLINE, pool.state(0));
        assertTrue(t <= 1_000 + 6 * OFFLINE_AFTER_MS, "offline after " + (t - 1_000) + " ms");
    }

    @Test
    void shouldBecomeUnhealthyAfterMoreThanThreeSystemErrorsInTheLastTen() {
        pool.onCheckOk(0, 0);
        results(0, true, 3);
        assertEquals(InvokerState.HEALTHY, pool.state(0), "three errors are tolerated");

        assertEquals(InvokerState.UNHEALTHY, pool.onActivationResult(0, true));
        assertFalse(pool.isHealthy(0));
        pool.onCheckOk(0, 1_000);
        assertEquals(InvokerState.UNHEALTHY, pool.state(0), "one answered health check does not clear errors");
    }

    @Test
    void shouldGiveAnUnhealthyInvokerAFreshWindowAfterAnsweringChecksForTheOfflineTimeout() {
        pool.onCheckOk(0, 0);
        results(0, true, 4);
        assertEquals(InvokerState.UNHEALTHY, pool.state(0));
        pool.onCheckOk(0, 1_000);
        pool.onCheckOk(0, 1_000 + OFFLINE_AFTER_MS - 1);
        assertEquals(InvokerState.UNHEALTHY, pool.state(0), "not before the timeout");
        pool.onCheckOk(0, 1_000 + OFFLINE_AFTER_MS);
        assertEquals(InvokerState.HEALTHY, pool.state(0), "it gets no work, so only its checks can clear it");
        assertEquals(InvokerState.HEALTHY, pool.onActivationResult(0, true), "the old errors are forgotten");
    }

    @Test
    void shouldCountOnlyTheLastTenResults() {
        pool.onCheckOk(0, 0);
        results(0, true, 3);
        results(0, false, 7);
        results(0, true, 3); // pushes the first three errors out

        assertEquals(InvokerState.HEALTHY, pool.state(0));
        assertEquals(InvokerState.UNHEALTHY, pool.onActivationResult(0, true));
    }

    @Test
    void shouldRecoverOnceTheWindowHoldsAtMostThreeErrors() {
        pool.onCheckOk(0, 0);
        results(0, true, 4);
        results(0, false, 6);
        assertEquals(InvokerState.UNHEALTHY, pool.state(0), "the four errors are still among the last ten");

        assertEquals(InvokerState.HEALTHY, pool.onActivationResult(0, false));
        assertTrue(pool.isHealthy(0));
    }

    @Test
    void shouldStartWithCleanWindowWhenComingBackOnline() {
        pool.onCheckOk(0, 0);
        results(0, true, 4);
        superviseUntil(0, OFFLINE_AFTER_MS);
        assertEquals(InvokerState.OFFLINE, pool.state(0));

        pool.onCheckOk(0, 20_000);
        pool.onActivationResult(0, true);

        assertEquals(InvokerState.HEALTHY, pool.state(0));
    }

    @Test
    void shouldFinishFirstRoundOnceEveryInvokerWasChecked() {
        assertFalse(pool.firstRoundDone());
        pool.onCheckOk(0, 0);
        pool.onCheckFailed(2, 0);
        assertFalse(pool.firstRoundDone());

        pool.onCheckFailed(1, 0);

        assertTrue(pool.firstRoundDone(), "a failed check counts as checked");
        assertTrue(new InvokerPool(List.of(), OFFLINE_AFTER_MS).firstRoundDone());
    }
}
