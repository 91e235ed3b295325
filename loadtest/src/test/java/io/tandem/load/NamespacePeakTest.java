package io.tandem.load;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class NamespacePeakTest {
    @Test
    void shouldStateAnExactOvershootWhenOneInvokerRanTheNamespace() {
        assertEquals("3 (60.0%)", new Report.NamespacePeak(8, 6, 100, 3, 1, 60.0, 1).overshootText());
    }

    @Test
    void shouldStateARangeWhenSeveralInvokersRanIt() {
        assertEquals("1..3 (at most 60.0%)", new Report.NamespacePeak(8, 6, 100, 3, 1, 60.0, 2).overshootText());
        assertEquals("0..3 (at most 60.0%)", new Report.NamespacePeak(8, 4, 100, 3, -1, 60.0, 2).overshootText());
    }

    @Test
    void shouldStateNoOvershootAtOrUnderTheLimit() {
        assertEquals("0", new Report.NamespacePeak(5, 5, 100, 0, 0, 0.0, 2).overshootText());
        assertEquals("-2", new Report.NamespacePeak(3, 3, 100, -2, -2, 0.0, 1).overshootText());
        assertEquals("-", new Report.NamespacePeak(3, 3, 100, null, null, null, 1).overshootText());
    }
}
