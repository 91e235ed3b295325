package io.tandem.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class KeysTest {
    @Test
    void shouldBuildKeysOfEachShape() {
        assertEquals("n/alice", Keys.namespace("alice"));
        assertEquals("i/inv-0", Keys.invoker("inv-0"));
        assertEquals("m/42/alice", Keys.minute(42, "alice"));
    }

    @Test
    void shouldReadTheWindowOfMinuteKeysOnly() {
        assertEquals(42, Keys.minuteWindow(Keys.minute(42, "a/b")));
        assertEquals(-1, Keys.minuteWindow("n/alice"));
        assertEquals(-1, Keys.minuteWindow("m/x/alice"));
        assertEquals(-1, Keys.minuteWindow("m/42"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"s", "n/alice", "i/inv-0", "m/42/alice"})
    void shouldAcceptWellFormedKeys(String key) {
        assertTrue(Keys.isValid(key));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "x", "n/", "i/", "m/", "m/42/", "m/-/a", "m/4x/alice", "q/alice", "S"})
    void shouldRejectMalformedKeys(String key) {
        assertFalse(Keys.isValid(key));
    }

    @Test
    void shouldLeaveMinuteWindowsOutOfTheLeakCheck() {
        assertTrue(Keys.isInFlightKey(Keys.SYSTEM));
        assertTrue(Keys.isInFlightKey(Keys.namespace("a")));
        assertTrue(Keys.isInFlightKey(Keys.invoker("a")));
        assertFalse(Keys.isInFlightKey(Keys.minute(1, "a")));
    }
}
