package io.tandem.transport;

import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.RowSnapshot;
import java.util.List;
import java.util.Objects;

/** The messages controllers exchange on the channel; {@link WireCodec} turns them into bytes. All immutable. */
sealed interface WireMessage {

    /** The owner's next coalesced change set, multicast. */
    record Delta(DeltaBatch batch) implements WireMessage {
        public Delta {
            Objects.requireNonNull(batch, "batch");
        }
    }

    /** The sender's own full row: a resync answer (unicast) or a re-send after a merge (multicast). */
    record Row(RowSnapshot row) implements WireMessage {
        public Row {
            Objects.requireNonNull(row, "row");
        }
    }

    /** {@code requester} found a gap in {@code owner}'s deltas after {@code appliedSeq} and asks for the full row. */
    record ResyncRequest(Incarnation requester, Incarnation owner, long appliedSeq) implements WireMessage {
        public ResyncRequest {
            Objects.requireNonNull(requester, "requester");
            Objects.requireNonNull(owner, "owner");
        }
    }

    /**
     * Who the sender is and how to reach it, multicast on joining, on every view change and periodically.
     * {@code publishedSeq} is the sequence number of the sender's last delta sent before this HELLO: deltas and
     * HELLOs of one sender arrive in order, so a receiver that has applied less than that missed a delta that will
     * not come again, and asks for the row.
     */
    record Hello(Incarnation incarnation, int wireVersion, String apiUrl, String adminUrl, String configHash,
                 long publishedSeq) implements WireMessage {
        public Hello {
            Objects.requireNonNull(incarnation, "incarnation");
        }
    }

    /** Every row the sender holds (its own included), each with its sequence number: the state transfer. */
    record State(Incarnation sender, List<RowSnapshot> rows) implements WireMessage {
        public State {
            Objects.requireNonNull(sender, "sender");
            rows = List.copyOf(rows);
        }
    }
}
