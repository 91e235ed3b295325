package io.tandem.http.invoker;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The invoker's memory capacity, its wait queue, and the record of what it really ran.
 *
 * <p>Algorithm: an activation starts when the queue is empty and its memory fits ({@code usedMb + memoryMb <=
 * capacityMb}); otherwise it waits in a bounded FIFO. When an activation ends, queued ones start from the head, in
 * arrival order, for as long as the head fits. A head that does not fit blocks the ones behind it, as the run
 * buffer of an OpenWhisk invoker does: arrival order is kept and a large action cannot starve.
 *
 * <p>Thread-safety: every method is thread-safe. All state sits behind one lock, and every start updates the
 * running counts and their high-water marks inside it, so {@code maxRunning} is exact under any concurrency — it
 * is the ground truth the overshoot measurement trusts. The lock is held for a few map operations only and never
 * while anything runs, so callers on IO threads do not block in any meaningful sense.
 *
 * <p>The pool only does bookkeeping: the caller runs what {@link #admit} and {@link #release} say has started.
 */
final class ActivationPool {
    /** What became of an admitted activation. */
    enum Verdict {
        /** It fitted and is now running; the caller must run it. */
        STARTED,
        /** It waits for memory; {@link #release} hands it back when it starts. */
        QUEUED,
        /** An activation with the same id is already running or queued; nothing changed. */
        DUPLICATE,
        /** The wait queue is at its limit; nothing changed. */
        QUEUE_FULL,
        /** It needs more memory than the whole capacity and could never start; nothing changed. */
        TOO_LARGE
    }

    /** The verdict and the counts just after it. */
    record Admission(Verdict verdict, int running, int queued) {
    }

    record NamespaceStats(int running, int maxRunning, long total) {
    }

    /** @param namespaces sorted by namespace, so the JSON is stable */
    record Stats(int running, int queued, int maxRunning, long total, Map<String, NamespaceStats> namespaces) {
    }

    record Health(int capacityMb, long usedMb, int running, int queued) {
    }

    /** @param count every id ever started; {@code activationIds} holds the newest ones, in start order */
    record Runs(long count, List<String> activationIds) {
    }

    /** Mutable per-namespace counters; only touched under the lock. */
    private static final class NamespaceCounters {
        int running;
        int maxRunning;
        long total;
    }

    private final Object lock = new Object();
    private final int capacityMb;
    private final int queueLimit;
    private final int runLogLimit;
    private final LongSupplier clockMs;

    // Everything below is guarded by lock.
    private long usedMb;
    private int running;
    private int maxRunning;
    private long total;
    private final Map<String, Activation> byId = new HashMap<>();
    private final ArrayDeque<Activation> queue = new ArrayDeque<>();
    private final Map<String, NamespaceCounters> namespaces = new HashMap<>();
    private final ArrayDeque<String> runLog = new ArrayDeque<>();
    private long runCount;

    ActivationPool(int capacityMb, int queueLimit, int runLogLimit, LongSupplier clockMs) {
        this.capacityMb = capacityMb;
        this.queueLimit = queueLimit;
        this.runLogLimit = runLogLimit;
        this.clockMs = clockMs;
    }

    int capacityMb() {
        return capacityMb;
    }

    Admission admit(Activation a) {
        int mem = a.request().memoryMb();
        synchronized (lock) {
            Verdict v;
            if (byId.containsKey(a.id())) {
                v = Verdict.DUPLICATE;
            } else if (mem > capacityMb) {
                v = Verdict.TOO_LARGE;
            } else if (queue.isEmpty() && usedMb + mem <= capacityMb) {
                byId.put(a.id(), a);
                start(a);
                v = Verdict.STARTED;
            } else if (queue.size() >= queueLimit) {
                v = Verdict.QUEUE_FULL;
            } else {
                byId.put(a.id(), a);
                queue.addLast(a);
                v = Verdict.QUEUED;
            }
            return new Admission(v, running, queue.size());
        }
    }

    /**
     * Frees the memory of an activation that has ended and starts what now fits from the head of the queue.
     *
     * @return the activations that have just started, in start order; the caller must run them
     */
    List<Activation> release(Activation a) {
        synchronized (lock) {
            if (byId.get(a.id()) != a) {
                return List.of();
            }
            byId.remove(a.id());
            usedMb -= a.request().memoryMb();
            running--;
            NamespaceCounters ns = namespaces.get(a.request().namespace());
            if (ns != null) {
                ns.running--;
            }
            List<Activation> started = new ArrayList<>(2);
            while (!queue.isEmpty() && usedMb + queue.peekFirst().request().memoryMb() <= capacityMb) {
                Activation next = queue.pollFirst();
                start(next);
                started.add(next);
            }
            return started;
        }
    }

    /** Forgets every queued activation (the invoker is closing) and returns them. */
    List<Activation> drainQueue() {
        synchronized (lock) {
            List<Activation> drained = new ArrayList<>(queue);
            queue.clear();
            drained.forEach(d -> byId.remove(d.id()));
            return drained;
        }
    }

    private void start(Activation a) {
        // Caller holds lock. The high-water marks move in the same critical section as the counts: exact.
        a.markStarted(clockMs.getAsLong());
        usedMb += a.request().memoryMb();
        running++;
        maxRunning = Math.max(maxRunning, running);
        total++;
        NamespaceCounters ns = namespaces.computeIfAbsent(a.request().namespace(), k -> new NamespaceCounters());
        ns.running++;
        ns.maxRunning = Math.max(ns.maxRunning, ns.running);
        ns.total++;
        runCount++;
        if (runLogLimit > 0) {
            if (runLog.size() >= runLogLimit) {
                runLog.pollFirst();
            }
            runLog.addLast(a.id());
        }
    }

    Stats stats() {
        synchronized (lock) {
            Map<String, NamespaceStats> ns = new TreeMap<>();
            namespaces.forEach((k, c) -> ns.put(k, new NamespaceStats(c.running, c.maxRunning, c.total)));
            return new Stats(running, queue.size(), maxRunning, total, ns);
        }
    }

    /** High-water marks drop to the current counts, totals to zero; idle namespaces are forgotten. */
    Stats resetStats() {
        synchronized (lock) {
            maxRunning = running;
            total = 0;
            for (Iterator<NamespaceCounters> it = namespaces.values().iterator(); it.hasNext(); ) {
                NamespaceCounters c = it.next();
                if (c.running == 0) {
                    it.remove();
                } else {
                    c.maxRunning = c.running;
                    c.total = 0;
                }
            }
            return stats();
        }
    }

    Health health() {
        synchronized (lock) {
            return new Health(capacityMb, usedMb, running, queue.size());
        }
    }

    Runs runs() {
        synchronized (lock) {
            // A copy of up to a million references takes a few milliseconds; encoding happens outside the lock.
            return new Runs(runCount, new ArrayList<>(runLog));
        }
    }
}
