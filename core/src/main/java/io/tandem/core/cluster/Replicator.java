package io.tandem.core.cluster;

import java.util.List;
import java.util.Map;

/**
 * The port through which the bookkeeping is shared. Core defines it; {@code transport} implements it over JGroups
 * (and as a local-only variant for {@code CLUSTERING=off}).
 *
 * <p>An implementation owns the ledger's replication: it drains local deltas and broadcasts them, applies remote
 * ones, answers and installs state transfers, drops rows of incarnations that leave the view, re-sends the own row
 * on a merge. The invoke path never calls it: admission reads the ledger only.
 *
 * <p>Implementations are thread-safe.
 */
public interface Replicator extends AutoCloseable {
    /** Connects (joins the cluster). Returns once connected; state may still be installing. */
    void start() throws Exception;

    /** True once the state is installed and discovery has settled (see DESIGN.md "Ready"). */
    boolean ready();

    /**
     * Members in the current view (1 when alone or with clustering off). Must never block or take a lock that is
     * held while the ledger is updated: admission calls it under the ledger's monitor.
     */
    int viewSize();

    /**
     * Members whose rows this controller holds in full: itself, plus the peers of the view whose row it has
     * received since they came into the view. Lower than {@link #viewSize()} only for a moment after a merge, until
     * the other side's rows arrive: until then its counts lack that side's work, and admission must keep to the
     * share of the side it knows (SharePolicy) rather than take the whole limit on half the counts. The same rules
     * as {@link #viewSize()}: lock-free, called under the ledger's monitor.
     */
    default int syncedMembers() {
        return viewSize();
    }

    /**
     * This controller's position in the current view, 0-based (0 when alone). The same rules as
     * {@link #viewSize()}: lock-free, called under the ledger's monitor.
     */
    int rank();

    /** The members of the current view, this controller included. */
    List<Member> members();

    /** Human-readable status for {@code /cluster}: view, coordinator, members, per-peer lag, transfer stats. */
    Map<String, Object> describe();

    /** Counters for {@code /metrics}, by metric name (without the {@code tandem_} prefix). */
    Map<String, Number> metrics();

    /** Leaves the cluster. Idempotent. */
    @Override
    void close();

    /** Called by the transport when this process must stop (another live process has the same id and is newer). */
    @FunctionalInterface
    interface FatalHandler {
        void fatal(String reason);
    }
}
