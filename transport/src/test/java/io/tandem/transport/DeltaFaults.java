package io.tandem.transport;

import java.util.concurrent.atomic.AtomicInteger;
import org.jgroups.Message;
import org.jgroups.stack.Protocol;
import org.jgroups.util.MessageBatch;

/**
 * Test protocol placed at the top of the stack, above NAKACK2/UNICAST3 (which would otherwise repair any loss
 * below them): drops or duplicates the next incoming DELTA messages, so that the replicator's own gap and
 * duplicate handling is what gets exercised. Thread-safe.
 */
final class DeltaFaults extends Protocol {
    private final AtomicInteger dropNext = new AtomicInteger();
    private final AtomicInteger duplicateNext = new AtomicInteger();
    private volatile boolean dropHellos;
    private volatile boolean dropRows;
    private volatile boolean dropAll;
    private volatile boolean dropMulticasts;
    final AtomicInteger dropped = new AtomicInteger();
    final AtomicInteger duplicated = new AtomicInteger();

    DeltaFaults dropNextDeltas(int n) {
        dropNext.set(n);
        return this;
    }

    /** Drops every HELLO while on, so that a lost delta can only be noticed as a gap by the next delta. */
    DeltaFaults dropHellos(boolean on) {
        dropHellos = on;
        return this;
    }

    /** Drops every Tandem message while on (JGroups' own traffic, heartbeats included, still passes). */
    DeltaFaults dropAll(boolean on) {
        dropAll = on;
        return this;
    }

    /**
     * Drops every multicast Tandem message (DELTA, HELLO, merge ROW) while on; unicasts (RESYNC_REQUEST and its ROW
     * answer) pass. What a receiver sees when NAKACK2 holds a sender's multicasts behind a gap.
     */
    DeltaFaults dropMulticasts(boolean on) {
        dropMulticasts = on;
        return this;
    }

    /** Drops every ROW while on, so that a peer's row cannot arrive after a merge. */
    DeltaFaults dropRows(boolean on) {
        dropRows = on;
        return this;
    }

    DeltaFaults duplicateNextDeltas(int n) {
        duplicateNext.set(n);
        return this;
    }

    @Override
    public Object up(Message msg) {
        int type = typeOf(msg);
        if (dropAll && type >= 0 || dropMulticasts && type >= 0 && msg.getDest() == null) {
            return null;
        }
        if (type == WireCodec.HELLO && dropHellos || type == WireCodec.ROW && dropRows) {
            return null;
        }
        if (type == WireCodec.DELTA) {
            if (takeOne(dropNext)) {
                dropped.incrementAndGet();
                return null;
            }
            if (takeOne(duplicateNext)) {
                duplicated.incrementAndGet();
                up_prot.up(msg.copy(true, true));
            }
        }
        return up_prot.up(msg);
    }

    @Override
    public void up(MessageBatch batch) {
        // one by one, in order: a batch of one sender is delivered by one thread
        for (Message m : batch) {
            up(m);
        }
    }

    private static boolean takeOne(AtomicInteger counter) {
        return counter.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0;
    }

    private static int typeOf(Message msg) {
        return msg.hasArray() && msg.getLength() > 0
                ? WireCodec.typeOf(msg.getArray(), msg.getOffset(), msg.getLength()) : -1;
    }
}
