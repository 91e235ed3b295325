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

    /** True while the view holds fewer members than expected. */
    boolean degraded();

    /** Members visible (1 with clustering off). */
    int visible();

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
        return new SharePolicy() {
            @Override
            public long allowed(long configured) {
                int v = viewSize.getAsInt();
                if (v >= expected) {
                    return configured;
                }
                return Math.max(1, configured * v / expected);
            }

            @Override
            public boolean perController() {
                return false;
            }

            @Override
            public boolean degraded() {
                return viewSize.getAsInt() < expected;
            }

            @Override
            public int visible() {
                return viewSize.getAsInt();
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
