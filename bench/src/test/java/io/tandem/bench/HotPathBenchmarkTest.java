package io.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Keys;
import org.junit.jupiter.api.Test;

/**
 * Runs the benchmark methods directly, without JMH, to check that they measure what they claim: every activation
 * admitted on a free invoker and released, counts back where they started, a drain that carries the batch.
 */
class HotPathBenchmarkTest {
    private final HotPathBenchmark bench = new HotPathBenchmark();

    private static HotPathBenchmark.Controller controller(int namespaces) {
        HotPathBenchmark.Controller c = new HotPathBenchmark.Controller();
        c.namespaces = namespaces;
        c.setUp();
        c.nextMinute();
        return c;
    }

    private static HotPathBenchmark.Flusher flusher(int namespaces, boolean afterMinuteExpiry) {
        HotPathBenchmark.Flusher f = new HotPathBenchmark.Flusher();
        f.namespaces = namespaces;
        f.activationsPerBatch = 32;
        f.afterMinuteExpiry = afterMinuteExpiry;
        f.setUp();
        return f;
    }

    @Test
    void shouldAdmitAndReleaseEveryActivationAcrossManyNamespaces() {
        int namespaces = 1_000;
        HotPathBenchmark.Controller c = controller(namespaces);
        HotPathBenchmark.Cursor cursor = new HotPathBenchmark.Cursor();
        long admittedBefore = c.node.balancer.admittedCount();

        for (int i = 0; i < 2 * namespaces + 7; i++) {
            assertNotNull(bench.admitRelease(c, cursor));
        }

        assertEquals(2 * namespaces + 7, c.node.balancer.admittedCount() - admittedBefore);
        assertEquals(0, c.node.balancer.forcedCount());
        assertEquals(namespaces, c.node.ledger.total(Keys.SYSTEM), "only the pre-populated activations are in flight");
        assertEquals(1, c.node.ledger.total(Keys.namespace("ns-000007")));
        assertEquals(0, c.node.ledger.anomalies());
    }

    @Test
    void shouldKeepAdmittingInOneNamespaceAfterTheMinuteWindowMoves() {
        HotPathBenchmark.Controller c = controller(1);
        HotPathBenchmark.Cursor cursor = new HotPathBenchmark.Cursor();
        for (int round = 0; round < 3; round++) {
            for (int i = 0; i < 100; i++) {
                bench.admitRelease(c, cursor);
            }
            c.nextMinute();
        }
        assertEquals(1, c.node.ledger.total(Keys.SYSTEM));
        assertEquals(1, c.node.ledger.total(Keys.namespace("ns-000000")));
    }

    @Test
    void shouldDrainAboutThreeKeysPerActivationWhenNamespacesAreSpread() {
        for (boolean afterMinuteExpiry : new boolean[] {false, true}) {
            HotPathBenchmark.Flusher f = flusher(1_000, afterMinuteExpiry);
            for (int batch = 0; batch < 100; batch++) {
                f.fill();
                DeltaBatch drained = bench.drain(f);

                // 32 namespaces up, their 32 per-minute keys up, 32 other namespaces down; invoker keys vary
                assertEquals(96, drained.changes().keySet().stream()
                        .filter(k -> !k.startsWith(Keys.INVOKER_PREFIX)).count());
                assertFalse(f.node.ledger.hasPending());
            }
            assertEquals(1_000 + HotPathBenchmark.MOVING_IN_FLIGHT, f.node.ledger.total(Keys.SYSTEM));
            assertEquals(0, f.node.ledger.anomalies());
        }
    }

    @Test
    void shouldDrainOnlyThePerMinuteKeyWithOneNamespace() {
        HotPathBenchmark.Flusher f = flusher(1, false);
        f.fill();
        DeltaBatch drained = bench.drain(f);
        assertEquals(1, drained.changes().size(), drained.changes().toString());
    }
}
