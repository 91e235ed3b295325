package io.tandem.core.invoker;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The invokers and their health. Invokers are kept sorted by id so that every controller walks the same ring.
 *
 * <p>Health follows OpenWhisk: an invoker is OFFLINE until its first successful check and again after
 * {@code offlineAfterMs} without one; of its last 10 activation results, more than 3 system errors make it UNHEALTHY
 * until a later window has at most 3, or until it has answered its health checks for {@code offlineAfterMs} while
 * unhealthy (it gets no work, so only that can clear its window). Supervision (an I/O thread elsewhere) reports results here; time comes in
 * as an argument.
 *
 * <p>Time this controller could not supervise does not count against an invoker: when no call reached the pool for
 * longer than half the offline time (the process was paused, e.g. SIGSTOP or a long stop-the-world pause), every
 * invoker's last good check is moved forward by the stall less that half. Otherwise a controller resumed after a
 * pause would mark every invoker offline at once, and end every activation on them as a system error, for a
 * silence that was its own. A supervisor that merely runs slowly is not forgiven for long: each credit is the gap
 * less half the offline time, so a dead invoker still goes offline.
 *
 * <p>Thread-safe: state changes are synchronized; {@link #isHealthy(int)} reads a volatile array without locking,
 * since the invoke path may see a state one check late.
 */
public final class InvokerPool {
    private static final int WINDOW = 10;
    private static final int MAX_SYSTEM_ERRORS = 3;

    private final List<Invoker> invokers;
    private final long offlineAfterMs;
    private final long[] lastOkMs;
    private final boolean[] checked;
    private final boolean[][] window;
    private final int[] windowPos;
    private final long[] unhealthySinceMs;
    /** When supervision last reported anything; -1 before the first report. */
    private long lastReportMs = -1;
    private volatile InvokerState[] states;

    public InvokerPool(List<Invoker> configured, long offlineAfterMs) {
        List<Invoker> sorted = new ArrayList<>(configured);
        sorted.sort(Comparator.comparing(Invoker::id));
        for (int i = 1; i < sorted.size(); i++) {
            if (sorted.get(i).id().equals(sorted.get(i - 1).id())) {
                throw new IllegalArgumentException("duplicate invoker id " + sorted.get(i).id());
            }
        }
        this.invokers = List.copyOf(sorted);
        this.offlineAfterMs = offlineAfterMs;
        int n = invokers.size();
        this.lastOkMs = new long[n];
        this.checked = new boolean[n];
        this.window = new boolean[n][WINDOW];
        this.windowPos = new int[n];
        this.unhealthySinceMs = new long[n];
        java.util.Arrays.fill(unhealthySinceMs, -1);
        InvokerState[] s = new InvokerState[n];
        java.util.Arrays.fill(s, InvokerState.OFFLINE);
        this.states = s;
    }

    /** The invokers sorted by id. */
    public List<Invoker> invokers() {
        return invokers;
    }

    public int size() {
        return invokers.size();
    }

    public Invoker get(int index) {
        return invokers.get(index);
    }

    public int indexOf(String id) {
        for (int i = 0; i < invokers.size(); i++) {
            if (invokers.get(i).id().equals(id)) {
                return i;
            }
        }
        return -1;
    }

    public boolean isHealthy(int index) {
        return states[index] == InvokerState.HEALTHY;
    }

    /** The states of every invoker at one instant (copy-on-write: never modified after it is published). */
    public InvokerState[] statesSnapshot() {
        return states;
    }

    public InvokerState state(int index) {
        return states[index];
    }

    /** A health check answered. Returns the state before, so a caller can log transitions. */
    public synchronized InvokerState onCheckOk(int index, long nowMs) {
        forgiveStall(nowMs);
        checked[index] = true;
        lastOkMs[index] = nowMs;
        InvokerState before = states[index];
        if (before == InvokerState.OFFLINE) {
            java.util.Arrays.fill(window[index], false);
            set(index, InvokerState.HEALTHY);
        } else if (before == InvokerState.UNHEALTHY) {
            // An unhealthy invoker gets no work, so no activation result can ever clear its window. OpenWhisk sends
            // it test actions; here, answering its health checks for offlineAfterMs earns it a fresh window.
            if (unhealthySinceMs[index] < 0) {
                unhealthySinceMs[index] = nowMs;
            } else if (nowMs - unhealthySinceMs[index] >= offlineAfterMs) {
                java.util.Arrays.fill(window[index], false);
                set(index, InvokerState.HEALTHY);
            }
        }
        return before;
    }

    /** A health check failed (connection refused, timeout, bad answer). */
    public synchronized void onCheckFailed(int index, long nowMs) {
        forgiveStall(nowMs);
        checked[index] = true;
        tick(index, nowMs);
    }

    /**
     * An activation on this invoker ended; {@code systemError} when the invoker failed it (whisk internal error,
     * refused dispatch). Returns the new state.
     */
    public synchronized InvokerState onActivationResult(int index, boolean systemError) {
        window[index][windowPos[index]] = systemError;
        windowPos[index] = (windowPos[index] + 1) % WINDOW;
        int errors = 0;
        for (boolean b : window[index]) {
            if (b) {
                errors++;
            }
        }
        InvokerState s = states[index];
        if (s != InvokerState.OFFLINE) {
            set(index, errors > MAX_SYSTEM_ERRORS ? InvokerState.UNHEALTHY : InvokerState.HEALTHY);
        }
        return states[index];
    }

    /** Marks invokers offline whose last good check is too old. Returns the indexes that just went offline. */
    public synchronized List<Integer> tick(long nowMs) {
        forgiveStall(nowMs);
        List<Integer> wentOffline = new ArrayList<>();
        for (int i = 0; i < invokers.size(); i++) {
            if (tick(i, nowMs)) {
                wentOffline.add(i);
            }
        }
        return wentOffline;
    }

    /** See the class comment: a stall of supervision longer than half the offline time is not held against anyone. */
    private void forgiveStall(long nowMs) {
        long allowance = offlineAfterMs / 2;
        if (lastReportMs >= 0 && nowMs - lastReportMs > allowance) {
            long credit = nowMs - lastReportMs - allowance;
            for (int i = 0; i < lastOkMs.length; i++) {
                if (checked[i]) {
                    lastOkMs[i] += credit;
                }
            }
        }
        lastReportMs = Math.max(lastReportMs, nowMs);
    }

    private boolean tick(int i, long nowMs) {
        if (states[i] != InvokerState.OFFLINE && nowMs - lastOkMs[i] >= offlineAfterMs) {
            set(i, InvokerState.OFFLINE);
            return true;
        }
        return false;
    }

    /** True once every invoker has had at least one health check answered or failed. */
    public synchronized boolean firstRoundDone() {
        for (boolean c : checked) {
            if (!c) {
                return false;
            }
        }
        return true;
    }

    public int healthyCount() {
        int n = 0;
        for (InvokerState s : states) {
            if (s == InvokerState.HEALTHY) {
                n++;
            }
        }
        return n;
    }

    private void set(int index, InvokerState s) {
        if (states[index] == s) {
            return;
        }
        if (s != InvokerState.UNHEALTHY) {
            unhealthySinceMs[index] = -1;
        }
        InvokerState[] copy = states.clone();
        copy[index] = s;
        states = copy;
    }
}
