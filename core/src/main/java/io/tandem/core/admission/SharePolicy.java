package io.tandem.core.admission;

/**
 * Answers "how much of a configured limit may this controller use, and against which count?". Admission asks this
 * policy instead of hard-coding a sum, so a later leasing mode can plug in without touching the admission code.
 * Implementations must be thread-safe and cheap (called under the ledger lock on the invoke path).
 */
public interface SharePolicy {
    /** The part of {@code configured} this controller (or its side of a partition) may admit against. */
    long allowed(long configured);

    /** True when counts are compared per controller (CLUSTERING=off); false when cluster totals are used. */
    boolean perController();

    /** True while fewer members than expected are counted (the view is smaller, or a merge is settling). */
    boolean degraded();

    /** Members visible (1 with clustering off). */
    int visible();

    /**
     * Members whose work the counts hold (1 with clustering off): the view, less the peers of a merge whose rows
     * have not arrived yet. Shares are computed from this.
     */
    int counted();

    /** The expected number of controllers ({@code CONTROLLER_COUNT}). */
    int expected();

    /** This controller's position in the view, 0-based (0 with clustering off). */
    int rank();

    /** Clustering on: cluster totals; while degraded, each side admits (view size / expected) of each limit. */
    static SharePolicy clustered(java.util.function.IntSupplier viewSize, int expected) {
        return clustered(viewSize, () -> 0, expected);
    }

    /** As {@link #clustered(java.util.function.IntSupplier, int)}, with this controller's rank in the view. */
    static SharePolicy clustered(java.util.function.IntSupplier viewSize, java.util.function.IntSupplier rank,
                                 int expected) {
        return clustered(viewSize, viewSize, rank, expected);
    }

    /**
     * Clustering on, with the members counted apart from the view: while degraded, each side admits
     * (counted / expected) of each limit, so that right after a merge, before the other side's rows have arrived,
     * a side does not take the whole limit on counts that hold only its own work.
     *
     * @param viewSize members in the view (pacing splits the headroom among them)
     * @param counted  members whose rows are held ({@code Replicator#syncedMembers()}), at most the view size
     */
    static SharePolicy clustered(java.util.function.IntSupplier viewSize, java.util.function.IntSupplier counted,
                                 java.util.function.IntSupplier rank, int expected) {
        return new SharePolicy() {
            @Override
            public long allowed(long configured) {
                int c = counted.getAsInt();
                if (c >= expected) {
                    return configured;
                }
                return Math.max(1, configured * c / expected);
            }

            @Override
            public boolean perController() {
                return false;
            }

            @Override
            public boolean degraded() {
                return counted.getAsInt() < expected;
            }

            @Override
            public int visible() {
                return viewSize.getAsInt();
            }

            @Override
            public int counted() {
                return counted.getAsInt();
            }

            @Override
            public int expected() {
                return expected;
            }

            @Override
            public int rank() {
                return rank.getAsInt();
            }
        };
    }

    /** Clustering off: each controller takes a 1/N share (floored, at least 1) and counts only its own work. */
    static SharePolicy local(int controllerCount) {
        return new SharePolicy() {
            @Override
            public long allowed(long configured) {
                return Math.max(1, configured / controllerCount);
            }

            @Override
            public boolean perController() {
                return true;
            }

            @Override
            public boolean degraded() {
                return false;
            }

            @Override
            public int visible() {
                return 1;
            }

            @Override
            public int counted() {
                return 1;
            }

            @Override
            public int expected() {
                return controllerCount;
            }

            @Override
            public int rank() {
                return 0;
            }
        };
    }
}
