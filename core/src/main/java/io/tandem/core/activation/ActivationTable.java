package io.tandem.core.activation;

import io.tandem.core.admission.Ticket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The activations in flight on this controller, each ending exactly once.
 *
 * <p>An activation ends by its completion, by its forced completion (deadline = time limit + grace), or because its
 * invoker went offline, whichever comes first: each of {@link #complete}, {@link #expire} and
 * {@link #removeForInvoker} hands an entry out only if it was still in the table, so the caller that receives it
 * releases its counts, and every later or duplicate ending gets null and changes nothing.
 *
 * <p>Deadlines sit in buckets of {@link #BUCKET_MS} so that an early completion removes its deadline in O(1); a forced
 * completion may fire up to one bucket late. Time comes in as an argument.
 *
 * <p>Thread-safe (one monitor; no I/O under it).
 *
 * @param <T> what the caller attaches to an activation (e.g. the blocked HTTP exchange waiting for it)
 */
public final class ActivationTable<T> {
    public static final long BUCKET_MS = 100;

    /** One activation in flight. Immutable. */
    public record Entry<T>(String id, Ticket ticket, String action, long startMs, long deadlineMs, T attachment) {
    }

    private final Map<String, Entry<T>> byId = new HashMap<>();
    private final TreeMap<Long, Set<String>> byDeadline = new TreeMap<>();

    public synchronized void add(Entry<T> e) {
        if (byId.putIfAbsent(e.id(), e) != null) {
            throw new IllegalStateException("activation " + e.id() + " is already in flight");
        }
        byDeadline.computeIfAbsent(bucket(e.deadlineMs()), k -> new LinkedHashSet<>()).add(e.id());
    }

    /** Ends an activation by its completion. Returns the entry if this call ended it, null otherwise. */
    public synchronized Entry<T> complete(String id) {
        Entry<T> e = byId.remove(id);
        if (e != null) {
            unschedule(e);
        }
        return e;
    }

    /** Ends every activation whose deadline has passed. Each is returned once, ever. */
    public synchronized List<Entry<T>> expire(long nowMs) {
        List<Entry<T>> out = new ArrayList<>();
        Iterator<Map.Entry<Long, Set<String>>> it = byDeadline.headMap(bucket(nowMs), true).entrySet().iterator();
        while (it.hasNext()) {
            Map.Entry<Long, Set<String>> bucket = it.next();
            for (Iterator<String> ids = bucket.getValue().iterator(); ids.hasNext(); ) {
                Entry<T> e = byId.get(ids.next());
                if (e != null && e.deadlineMs() <= nowMs) {
                    byId.remove(e.id());
                    ids.remove();
                    out.add(e);
                }
            }
            if (bucket.getValue().isEmpty()) {
                it.remove();
            }
        }
        return out;
    }

    /** Ends every activation on an invoker (it went offline or refused work). */
    public synchronized List<Entry<T>> removeForInvoker(String invokerId) {
        List<Entry<T>> out = new ArrayList<>();
        for (Iterator<Entry<T>> it = byId.values().iterator(); it.hasNext(); ) {
            Entry<T> e = it.next();
            if (e.ticket().invokerId().equals(invokerId)) {
                it.remove();
                unschedule(e);
                out.add(e);
            }
        }
        return out;
    }

    /** Ends every activation (controller shutting down after its drain time). */
    public synchronized List<Entry<T>> removeAll() {
        List<Entry<T>> out = new ArrayList<>(byId.values());
        byId.clear();
        byDeadline.clear();
        return out;
    }

    public synchronized Entry<T> get(String id) {
        return byId.get(id);
    }

    public synchronized int size() {
        return byId.size();
    }

    private void unschedule(Entry<T> e) {
        long b = bucket(e.deadlineMs());
        Set<String> ids = byDeadline.get(b);
        if (ids != null) {
            ids.remove(e.id());
            if (ids.isEmpty()) {
                byDeadline.remove(b);
            }
        }
    }

    private static long bucket(long ms) {
        return Math.floorDiv(ms, BUCKET_MS);
    }
}
