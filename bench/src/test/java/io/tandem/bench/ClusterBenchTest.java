package io.tandem.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The cluster benchmark, small: it measures what it says (every probe seen by both peers, the state joined). */
@Timeout(120)
class ClusterBenchTest {
    @Test
    void shouldTimeEveryProbeOnBothPeersAndJoinTheState() throws Exception {
        ClusterBench.Result r = ClusterBench.run(30, 500, 2_000);

        assertEquals(60, r.atRest().getTotalCount(), "30 probes, 2 peers each");
        assertEquals(60, r.underLoad().getTotalCount());
        assertEquals(60, r.atRestUrgent().getTotalCount());
        assertEquals(60, r.underLoadUrgent().getTotalCount());
        assertTrue(r.loadChanges() > 0, "the load ran");
        assertTrue(r.atRest().getMinValue() > 0);
        assertTrue(r.stateBytes() > 2_000 * 8, "the state carried the namespaces: " + r.stateBytes());
        assertEquals(2_000, r.namespaces());
    }
}
