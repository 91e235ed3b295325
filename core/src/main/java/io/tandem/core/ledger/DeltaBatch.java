package io.tandem.core.ledger;

import java.util.Map;

/**
 * The owner's coalesced row changes since its previous batch: key to signed change. Sequence numbers start at 1
 * and are consecutive per incarnation. Immutable.
 */
public record DeltaBatch(Incarnation owner, long seq, Map<String, Long> changes) {
    public DeltaBatch {
        changes = Map.copyOf(changes);
    }
}
