package io.tandem.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class MixTest {
    @Test
    void shouldParseNamesAndWeights() {
        Mix m = Mix.parse("--mix", "echo:70, sleep:20 ,fail:10");
        assertEquals(Map.of("echo", 70, "sleep", 20, "fail", 10), m.weights());
        assertEquals(List.of("echo", "sleep", "fail"), m.actions());
        assertEquals(10, m.cycleLength(), "weights are reduced by their gcd");
        assertEquals("echo:70,sleep:20,fail:10", m.toString());
    }

    @Test
    void shouldKeepExactProportionsOverWholeCycles() {
        Mix m = Mix.parse("--mix", "echo:70,sleep:20,fail:10");
        Map<String, Integer> counts = new HashMap<>();
        for (int k = 0; k < 1000; k++) {
            counts.merge(m.pick(k), 1, Integer::sum);
        }
        assertEquals(Map.of("echo", 700, "sleep", 200, "fail", 100), counts);
    }

    @Test
    void shouldInterleaveEqualWeightsInsteadOfRuns() {
        Mix m = Mix.parse("--mix", "a:1,b:1,c:1");
        assertEquals(List.of("a", "b", "c", "a", "b", "c"),
                List.of(m.pick(0), m.pick(1), m.pick(2), m.pick(3), m.pick(4), m.pick(5)));
        Mix w = Mix.parse("--mix", "a:2,b:1");
        assertEquals(List.of("a", "b", "a"), List.of(w.pick(0), w.pick(1), w.pick(2)));
    }

    @Test
    void shouldAcceptPackageActionsAndDefaultWeightOne() {
        Mix m = Mix.parse("--mix", "demo/sleep,echo:3");
        assertEquals(Map.of("demo/sleep", 1, "echo", 3), m.weights());
        assertEquals(4, m.cycleLength());
    }

    @Test
    void shouldDropZeroWeights() {
        assertEquals(List.of("echo"), Mix.parse("--mix", "echo:1,sleep:0").actions());
    }

    @Test
    void shouldRejectBadSpecsNamingTheOption() {
        for (String bad : List.of("", "echo:x", "echo:-1", "echo:0", "echo:1,echo:2", "a/b/c:1", "/echo:1", "echo:1.5",
                "a:99999,b:99998")) {
            BadArgumentException e = assertThrows(BadArgumentException.class, () -> Mix.parse("--mix", bad), bad);
            assertEquals("--mix", e.option());
        }
    }

    @Test
    void shouldParseSleepMs() {
        assertEquals(new SleepMs(100, 100), SleepMs.parse("--sleep-ms", "100"));
        assertEquals(new SleepMs(50, 200), SleepMs.parse("--sleep-ms", "50-200"));
        SleepMs r = SleepMs.parse("--sleep-ms", "5-7");
        for (int i = 0; i < 100; i++) {
            int v = r.next();
            assertTrue(v >= 5 && v <= 7, "out of range: " + v);
        }
        assertThrows(BadArgumentException.class, () -> SleepMs.parse("--sleep-ms", "-5"));
        assertThrows(BadArgumentException.class, () -> SleepMs.parse("--sleep-ms", "9-3"));
    }
}
