package io.tandem.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class IncarnationTest {
    @Test
    void shouldOrderByStartTimeThenTiebreak() {
        Incarnation early = new Incarnation("c1", 1_000, 99);
        Incarnation laterSameMs = new Incarnation("c1", 2_000, 1);
        Incarnation laterHigherTiebreak = new Incarnation("c1", 2_000, 2);

        assertTrue(laterSameMs.newerThan(early), "start time decides first");
        assertTrue(laterHigherTiebreak.newerThan(laterSameMs), "the tiebreak decides equal start times");
        assertFalse(early.newerThan(laterSameMs));
        assertFalse(early.newerThan(early));
        assertTrue(early.compareTo(laterHigherTiebreak) < 0);
    }

    @Test
    void shouldTellWhetherTwoIncarnationsShareAController() {
        assertTrue(new Incarnation("c1", 1, 1).sameController(new Incarnation("c1", 2, 2)));
        assertFalse(new Incarnation("c1", 1, 1).sameController(new Incarnation("c2", 1, 1)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"c1", "controller-0.tandem.svc", "a_b"})
    void shouldRoundTripThroughToStringAndParse(String id) {
        Incarnation i = new Incarnation(id, 1_712_000_000_123L, 424_242);

        assertEquals(id + "@1712000000123.424242", i.toString());
        assertEquals(i, Incarnation.parse(i.toString()));
    }

    @Test
    void shouldCreateNextIncarnationWithNonNegativeTiebreak() {
        SplittableRandom random = new SplittableRandom(7);
        for (int k = 0; k < 100; k++) {
            Incarnation i = Incarnation.next("c1", 5_000, random);
            assertEquals(5_000, i.startMs());
            assertTrue(i.tiebreak() >= 0);
            assertEquals(i, Incarnation.parse(i.toString()));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"c1", "@1.2", "c1@12", "c1.x@12", "c1@x.2", "c1@1.y"})
    void shouldRejectMalformedText(String text) {
        assertThrows(IllegalArgumentException.class, () -> Incarnation.parse(text));
    }

    @Test
    void shouldRejectEmptyControllerId() {
        assertThrows(IllegalArgumentException.class, () -> new Incarnation("", 1, 1));
        assertThrows(NullPointerException.class, () -> new Incarnation(null, 1, 1));
    }
}
