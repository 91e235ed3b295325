package io.tandem.core.admission;

import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * Splits what is left of a namespace's concurrency limit among the controllers of a view, window by window, so that
 * controllers admitting at the same moment on counts a few milliseconds old cannot all take the same free slots.
 *
 * <p><b>Why.</b> Each controller admits against the cluster total it sees, and a peer's bookings reach it one flush
 * interval plus one network hop late. Without pacing, when {@code h} slots are free every controller may take all
 * {@code h} within that delay: {@code (n - 1) * h} too many. Under saturating load this is what happens whenever a
 * slot frees up, and the first burst on an idle namespace does it with the whole limit (measured: 29 over a limit of
 * 100 with three controllers, see BENCHMARKS.md).
 *
 * <p><b>Rule.</b> Time is cut into windows of {@code windowMs}. The first admission of a namespace in a window
 * notes this controller's own count {@code base} and the headroom {@code h = allowed - total} it sees, and takes the
 * quota {@code floor(h / n)}, plus one for {@code h mod n} of the {@code n} controllers, chosen by view rank rotated
 * by the window number halved (so the remainder goes round and a lone busy controller still gets it every few
 * windows; halved because a controller that was paced retries in the next window, whose headroom the reservation
 * below empties, so it sees every other window only: with the rotation advancing every window, an even {@code n}
 * would show it the same ranks' turns forever).
 * Within the window the own count may rise to {@code base + quota}: slots this controller frees itself are its own
 * to reuse at once (nobody else has seen them free yet), while a slot freed elsewhere goes to one controller.
 * (Taking {@code base} from the count last sent to the peers instead, so that a slot whose release already went out
 * is split too, measured worse in {@code HeadroomPacerTest}'s simulation: 103-104 instead of 101-102 over 100.) The
 * quotas of one window add up to at most {@code h}, so as long as peers' counts are less than a window old, the
 * controllers together stay within the limit. Counts can be older under load (a busy CPU, a GC pause): so the
 * headroom of a window also leaves out what the peers were entitled to in the previous window and have not been
 * seen to take (their quota less the rise of their counts seen since), which makes a delay of up to two windows
 * safe at the price of using some freed slots one window later. Far from the limit the quota is large and pacing costs nothing; near
 * it, a controller that has used its quota answers "paced" and the caller asks again in the next window.
 *
 * <p>Clocks of different controllers only need to agree to within a window for the rotation to be disjoint; if they
 * do not, two controllers may get the same remainder slot (an overshoot of at most {@code h mod n}).
 *
 * <p>Not thread-safe: called under the ledger's monitor (inside {@code Ledger.update}). Memory: one small entry per
 * namespace admitted into recently; entries older than {@link #SWEEP_EVERY_WINDOWS} windows are swept.
 */
public final class HeadroomPacer {
    /** Stale entries are removed at most this often (in windows), so the sweep is amortised. */
    static final long SWEEP_EVERY_WINDOWS = 1_000;

    private final long windowMs;
    private final Map<String, Window> windows = new HashMap<>();
    private long lastSweep = Long.MIN_VALUE;

    /** One namespace's quota in one window. */
    private static final class Window {
        long index;
        long base;
        long quota;
        /** The peers' part of the total when the window began. */
        long othersAtStart;
        /** What the peers together were entitled to take in this window: its headroom less our quota. */
        long peersQuota;
    }

    /** @param windowMs the window length; 0 turns pacing off (every admission within the limit passes) */
    public HeadroomPacer(long windowMs) {
        if (windowMs < 0) {
            throw new IllegalArgumentException("windowMs must be >= 0: " + windowMs);
        }
        this.windowMs = windowMs;
    }

    public static HeadroomPacer off() {
        return new HeadroomPacer(0);
    }

    public long windowMs() {
        return windowMs;
    }

    /**
     * Whether this controller may book one more activation of the namespace keyed {@code key} now, given that the
     * limit check ({@code total < allowed}) has already passed.
     *
     * @param nowMs   the clock
     * @param own     this controller's own count of the key
     * @param total   the cluster total of the key as this controller sees it (own included)
     * @param allowed the limit that applies (the degraded share while the view is short)
     * @param members controllers in the view
     * @param rank    this controller's position in the view, 0-based
     */
    public boolean allow(String key, long nowMs, long own, long total, long allowed, int members, int rank) {
        if (windowMs == 0 || members <= 1) {
            return true;
        }
        long index = Math.floorDiv(nowMs, windowMs);
        sweep(index);
        Window w = windows.get(key);
        if (w == null) {
            w = new Window();
            w.index = index - 1;
            windows.put(key, w);
        }
        if (w.index != index) {
            long others = total - own;
            // What the peers may have taken in the previous window and we have not seen yet (their deltas are
            // late): keep it out of this window's headroom, so a delay of up to two windows does not overshoot.
            long unconfirmed = w.index == index - 1
                    ? Math.max(0, w.peersQuota - Math.max(0, others - w.othersAtStart)) : 0;
            long headroom = Math.max(0, allowed - total - unconfirmed);
            w.index = index;
            w.base = own;
            w.quota = quota(headroom, members, rank, index);
            w.othersAtStart = others;
            w.peersQuota = headroom - w.quota;
        }
        return own < w.base + w.quota;
    }

    /** Milliseconds from {@code nowMs} to the start of the next window (at least 1). */
    public long untilNextWindow(long nowMs) {
        if (windowMs == 0) {
            return 1;
        }
        return windowMs - Math.floorMod(nowMs, windowMs);
    }

    /**
     * This controller's share of {@code headroom} in window {@code index}: the quotas of all ranks sum to it. The
     * remainder's turn advances every second window (see the class comment).
     */
    static long quota(long headroom, int members, int rank, long index) {
        long q = headroom / members;
        long remainder = headroom % members;
        if (Math.floorMod(rank + Math.floorDiv(index, 2), members) < remainder) {
            q++;
        }
        return q;
    }

    /** Namespaces with a window entry (for tests and the memory figure). */
    int tracked() {
        return windows.size();
    }

    private void sweep(long index) {
        if (lastSweep != Long.MIN_VALUE && index - lastSweep < SWEEP_EVERY_WINDOWS) {
            return;
        }
        lastSweep = index;
        for (Iterator<Window> it = windows.values().iterator(); it.hasNext(); ) {
            if (it.next().index < index - 1) {
                it.remove();
            }
        }
    }
}
