package io.tandem.core.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CatalogTest {
    private static final ActionSpec ANY_ECHO = new ActionSpec("echo", "echo", 128, 1_000);
    private static final ActionSpec ALICE_ECHO = new ActionSpec("echo", "echo", 512, 1_000);
    private static final ActionSpec PKG_SLEEP = new ActionSpec("tools/sleep", "sleep", 256, 5_000);

    private final Catalog catalog = new Catalog(Map.of(
            "*/echo", ANY_ECHO,
            "alice/echo", ALICE_ECHO,
            "*/tools/sleep", PKG_SLEEP));

    @Test
    void shouldPreferTheEntryOfTheConcreteNamespace() {
        assertEquals(Optional.of(ALICE_ECHO), catalog.find("alice", "echo"));
        assertEquals(Optional.of(ANY_ECHO), catalog.find("bob", "echo"));
    }

    @Test
    void shouldFindPackagedActionsAndNothingUnknown() {
        assertEquals(Optional.of(PKG_SLEEP), catalog.find("bob", "tools/sleep"));
        assertEquals(Optional.empty(), catalog.find("bob", "sleep"));
        assertEquals(Optional.empty(), catalog.find("bob", "nope"));
    }

    @Test
    void shouldRejectActionWithoutMemoryOrTimeLimit() {
        assertThrows(IllegalArgumentException.class, () -> new ActionSpec("x", "echo", 0, 1_000));
        assertThrows(IllegalArgumentException.class, () -> new ActionSpec("x", "echo", 128, 0));
    }
}
