package io.tandem.core.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

class ActivationIdsTest {
    @Test
    void shouldMakeThirtyTwoLowerHexDigitsTaggedWithTheController() {
        String tag = ActivationIds.controllerTag("controller-0");
        SplittableRandom random = new SplittableRandom(3);
        Set<String> seen = new HashSet<>();

        for (int i = 0; i < 1_000; i++) {
            String id = ActivationIds.next(tag, random);
            assertTrue(id.matches("[0-9a-f]{32}"), id);
            assertTrue(ActivationIds.isValid(id), id);
            assertEquals(tag, ActivationIds.tagOf(id));
            seen.add(id);
        }
        assertEquals(1_000, seen.size());
    }

    @Test
    void shouldKeepThirtyTwoDigitsForNegativeRandomValues() {
        RandomGenerator allOnes = () -> -1L; // nextInt() derives from nextLong(): -1 as well
        RandomGenerator smallest = () -> Long.MIN_VALUE;

        assertEquals("00000000ffffffffffffffffffffffff", ActivationIds.next("00000000", allOnes));
        assertEquals(32, ActivationIds.next("00000000", smallest).length());
        assertTrue(ActivationIds.isValid(ActivationIds.next("00000000", smallest)));
    }

    @Test
    void shouldDeriveTheTagFromTheControllerIdAlone() {
        String tag = ActivationIds.controllerTag("controller-0");

        assertTrue(tag.matches("[0-9a-f]{8}"), tag);
        assertEquals(tag, ActivationIds.controllerTag("controller-0"));
        assertNotEquals(tag, ActivationIds.controllerTag("controller-1"));
        assertEquals("00000000", ActivationIds.controllerTag(""), "CRC32 of nothing keeps the leading zeros");
    }

    @ParameterizedTest
    @NullSource
    @ValueSource(strings = {"", "0123456789abcdef0123456789abcde", "0123456789abcdef0123456789abcdef0",
            "0123456789ABCDEF0123456789abcdef", "0123456789abcdeg0123456789abcdef", "0123456789abcdef-123456789abcdef"})
    void shouldRejectMalformedIds(String id) {
        assertFalse(ActivationIds.isValid(id));
    }
}
