package io.tandem.core.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StallGuardTest {
    private final StallGuard guard = new StallGuard(2_000, 1_500);

    @Test
    void shouldNotHoldWhilePassesComeRegularly() {
        for (long t = 0; t <= 10_000; t += 100) {
            assertEquals(0, guard.pass(t));
            assertFalse(guard.holding(t));
        }
        assertEquals(0, guard.stalls());
    }

    /** ControllerCrashIT's pause: a controller resumed after SIGSTOP must read the completions that waited first. */
    @Test
    void shouldHoldDeadlineActionsForAWhileAfterTheProcessWasStalled() {
        guard.pass(1_000);
        guard.pass(1_100);

        assertEquals(14_900, guard.pass(16_000), "paused from 1.1 s to 16 s");
        assertTrue(guard.holding(16_000));
        guard.pass(16_100);
        assertTrue(guard.holding(17_499));
        guard.pass(17_500);
        assertFalse(guard.holding(17_500), "an activation whose completion is really lost still ends");
        assertEquals(1, guard.stalls());
    }

    @Test
    void shouldIgnoreAClockThatStepsBack() {
        guard.pass(5_000);
        assertEquals(0, guard.pass(4_000));
        assertEquals(0, guard.pass(5_100));
        assertFalse(guard.holding(5_100));
    }

    @Test
    void shouldRejectNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new StallGuard(0, 1));
        assertThrows(IllegalArgumentException.class, () -> new StallGuard(1, -1));
    }
}
