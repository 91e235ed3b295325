package io.tandem.core.ledger;

import java.util.Map;

/** One row as of a sequence number: what state transfer, resync answers and merge re-sends carry. Immutable. */
public record RowSnapshot(Incarnation owner, long seq, Map<String, Long> counts) {
    public RowSnapshot {
        counts = Map.copyOf(counts);
    }
}
