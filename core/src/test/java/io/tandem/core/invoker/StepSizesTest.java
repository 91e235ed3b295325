package io.tandem.core.invoker;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class StepSizesTest {
    @Test
    void shouldMatchOpenWhiskStepSizes() {
        assertArrayEquals(new int[] {1, 3, 7}, StepSizes.of(10));
        assertArrayEquals(new int[] {1}, StepSizes.of(1));
        assertArrayEquals(new int[] {1}, StepSizes.of(2));
        assertArrayEquals(new int[] {1, 5, 7, 11}, StepSizes.of(12));
        assertArrayEquals(new int[] {1, 2, 3, 5, 7}, StepSizes.of(11));
        assertArrayEquals(new int[] {1}, StepSizes.of(0), "an empty pool still has a step to index");
    }

    @Test
    void shouldKeepOnlyStepsCoprimeWithTheCountAndWithEachOther() {
        for (int n = 1; n <= 64; n++) {
            int[] steps = StepSizes.of(n);
            for (int i = 0; i < steps.length; i++) {
                assertEquals(1, StepSizes.gcd(steps[i], n), "n=" + n + " step " + steps[i]);
                for (int j = 0; j < i; j++) {
                    assertEquals(1, StepSizes.gcd(steps[i], steps[j]), "n=" + n);
                }
            }
            assertEquals(1, steps[0]);
        }
    }
}
