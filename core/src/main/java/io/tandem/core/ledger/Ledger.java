package io.tandem.core.ledger;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * The bookkeeping: one row per live controller incarnation, and the cluster count of every key as the sum over
 * those rows.
 *
 * <p><b>Design.</b> Only the owner writes its row. Local changes update the live local row and the cluster totals
 * at once (admission reads local memory only, never the network) and are also summed per key into a pending delta.
 * {@link #drain()} turns the pending delta into the next {@link DeltaBatch} (sequence + 1) and folds it into the
 * <em>published</em> local row, which is what snapshots and resync answers carry: published row + later batches =
 * live row, so a receiver that installs a snapshot and then applies only newer batches never counts twice.
 * Remote rows are keyed by controller id; a newer incarnation of an id replaces the older row, which is dropped,
 * never folded into another (the lesson of OpenWhisk's pruning leak).
 *
 * <p><b>Invariants.</b> No count is ever negative: a local release that would go below zero is clamped and counted
 * in {@link #anomalies()}; a remote change that would is rejected whole. A key whose count returns to zero is
 * deleted from its row and from the totals.
 *
 * <p><b>Threading.</b> Thread-safe. Every method runs under this object's monitor, so a check-and-acquire done
 * inside {@link #update(Function)} is atomic with respect to every other admission, release and remote delta.
 * Nothing here blocks or does I/O; hold times are a few hash lookups.
 */
public final class Ledger {
    private final Incarnation self;
    private final Map<String, long[]> live = new HashMap<>();
    private final Map<String, long[]> published = new HashMap<>();
    private Map<String, long[]> pending = new HashMap<>();
    /** This controller's per-minute keys by window, so expiry never scans the whole row. */
    private final TreeMap<Long, java.util.ArrayDeque<String>> localMinuteKeys = new TreeMap<>();
    private final Map<String, long[]> totals = new HashMap<>();
    private final Map<String, Row> remote = new HashMap<>();
    private long seq;
    /** A change marked urgent waits in {@link #pending}; reset by {@link #drain()}. */
    private boolean urgent;
    private long anomalies;
    private long replacedIncarnations;

    /** A remote incarnation's row. Guarded by the ledger's monitor. */
    private static final class Row {
        final Incarnation owner;
        long seq;
        final Map<String, long[]> counts = new HashMap<>();

        Row(Incarnation owner, long seq) {
            this.owner = owner;
            this.seq = seq;
        }
    }

    /** The view of the ledger an atomic update sees. Valid only inside {@link #update(Function)}. */
    public interface Tx {
        /** The cluster count of a key: the sum over every row held. */
        long total(String key);

        /** This controller's own count of a key. */
        long local(String key);

        /** Changes this controller's own count of a key (clamped at zero, which counts as an anomaly). */
        void add(String key, long delta);

        /** This controller's change of a key not yet drained (what the peers have not been sent). */
        long pending(String key);

        /**
         * Marks the pending changes urgent: peers should see them at the next flush rather than after the
         * coalescing delay (a count near its limit, where a peer's stale view could admit too many).
         */
        void urgent();
    }

    private final Tx tx = new Tx() {
        @Override
        public long total(String key) {
            return get(totals, key);
        }

        @Override
        public long local(String key) {
            return get(live, key);
        }

        @Override
        public void add(String key, long delta) {
            addLocal(key, delta);
        }

        @Override
        public long pending(String key) {
            return get(pending, key);
        }

        @Override
        public void urgent() {
            if (!urgent) {
                urgent = true;
                pendingListener.pending(true);
            }
        }
    };

    /** Told when local changes start waiting to be drained, and when they become urgent. */
    @FunctionalInterface
    public interface PendingListener {
        /**
         * Called under the ledger's monitor: must not block or call back into the ledger (e.g. only unpark a
         * thread).
         *
         * @param urgent true when the pending changes were just marked urgent, false for the first change after a
         *               drain
         */
        void pending(boolean urgent);
    }

    private PendingListener pendingListener = urgentNow -> { };

    /** Sets the one listener (the delta flusher, so that it can sleep while nothing is pending). */
    public synchronized void onPending(PendingListener listener) {
        this.pendingListener = listener;
    }

    public Ledger(Incarnation self) {
        this.self = self;
    }

    public Incarnation self() {
        return self;
    }

    /** Runs {@code body} atomically with respect to every other ledger operation. */
    public synchronized <R> R update(Function<Tx, R> body) {
        return body.apply(tx);
    }

    public synchronized long total(String key) {
        return get(totals, key);
    }

    public synchronized long local(String key) {
        return get(live, key);
    }

    /** Changes this controller's own count of a key. */
    public synchronized void add(String key, long delta) {
        addLocal(key, delta);
    }

    private void addLocal(String key, long delta) {
        if (delta == 0) {
            return;
        }
        long before = get(live, key);
        long applied = delta;
        if (before + delta < 0) {
            anomalies++;
            applied = -before;
            if (applied == 0) {
                return;
            }
        }
        if (before == 0) {
            long w = Keys.minuteWindow(key);
            if (w >= 0) {
                localMinuteKeys.computeIfAbsent(w, k -> new java.util.ArrayDeque<>()).add(key);
            }
        }
        bump(live, key, applied);
        boolean wasEmpty = pending.isEmpty();
        bump(pending, key, applied);
        bump(totals, key, applied);
        if (pending.isEmpty()) {
            urgent = false; // everything cancelled out: nothing urgent is left to send, and the next mark must tell
        } else if (wasEmpty) {
            pendingListener.pending(false);
        }
    }

    /**
     * Takes the pending local changes as the next batch to broadcast (sequence + 1), or null when nothing changed
     * since the last one. Changes that cancelled out while pending (book then release) are not sent at all.
     * The caller must send batches in the order drained.
     */
    public synchronized DeltaBatch drain() {
        urgent = false;
        if (pending.isEmpty()) {
            return null;
        }
        Map<String, Long> changes = new HashMap<>(pending.size() * 2);
        for (Map.Entry<String, long[]> e : pending.entrySet()) {
            changes.put(e.getKey(), e.getValue()[0]);
            bump(published, e.getKey(), e.getValue()[0]);
        }
        // A HashMap never shrinks: after one huge batch (a minute window expiring over 100,000 namespaces) clear()
        // would leave every later drain iterating a huge empty table under the lock.
        if (pending.size() > 1024) {
            pending = new HashMap<>();
        } else {
            pending.clear();
        }
        seq++;
        return new DeltaBatch(self, seq, changes);
    }

    /** True when local changes wait to be drained. */
    public synchronized boolean hasPending() {
        return !pending.isEmpty();
    }

    /**
     * True when local changes wait to be drained and one of them was marked urgent ({@link Tx#urgent()}) since
     * the last drain. Changes that cancelled out leave nothing to send, urgent or not.
     */
    public synchronized boolean hasUrgentPending() {
        return urgent && !pending.isEmpty();
    }

    /** The published local row (as of the last drained batch). */
    public synchronized RowSnapshot localRow() {
        return new RowSnapshot(self, seq, copy(published));
    }

    /** Every row: the published local row and every remote row, each with its sequence number. */
    public synchronized List<RowSnapshot> snapshot() {
        List<RowSnapshot> rows = new ArrayList<>(remote.size() + 1);
        rows.add(new RowSnapshot(self, seq, copy(published)));
        for (Row r : remote.values()) {
            rows.add(new RowSnapshot(r.owner, r.seq, copy(r.counts)));
        }
        return rows;
    }

    /** Applies a remote delta if it is the next in sequence for its owner. */
    public synchronized ApplyResult applyDelta(DeltaBatch batch) {
        Incarnation owner = batch.owner();
        ApplyResult ownership = checkOwner(owner);
        if (ownership != null) {
            return ownership;
        }
        Row row = remote.get(owner.controllerId());
        boolean replacing = false;
        if (row == null || owner.newerThan(row.owner)) {
            if (batch.seq() != 1) {
                return ApplyResult.GAP;
            }
            replacing = row != null;
            if (!valid(batch.changes(), null)) {
                anomalies++;
                return ApplyResult.REJECTED;
            }
            if (row != null) {
                dropRow(row);
                replacedIncarnations++;
            }
            row = new Row(owner, 0);
            remote.put(owner.controllerId(), row);
        } else if (row.owner.newerThan(owner)) {
            return ApplyResult.STALE;
        }
        if (batch.seq() <= row.seq) {
            return ApplyResult.DUPLICATE;
        }
        if (batch.seq() != row.seq + 1) {
            return ApplyResult.GAP;
        }
        if (!valid(batch.changes(), row)) {
            anomalies++;
            return ApplyResult.REJECTED;
        }
        for (Map.Entry<String, Long> e : batch.changes().entrySet()) {
            bump(row.counts, e.getKey(), e.getValue());
            bump(totals, e.getKey(), e.getValue());
        }
        row.seq = batch.seq();
        return replacing ? ApplyResult.APPLIED_REPLACING : ApplyResult.APPLIED;
    }

    /**
     * Installs a full remote row (state transfer, resync answer, merge re-send). Per controller id the row with
     * the highest (incarnation, sequence) wins; an equal or older one is ignored.
     */
    public synchronized ApplyResult installRow(RowSnapshot snapshot) {
        Incarnation owner = snapshot.owner();
        ApplyResult ownership = checkOwner(owner);
        if (ownership != null) {
            return ownership;
        }
        for (Map.Entry<String, Long> e : snapshot.counts().entrySet()) {
            if (!Keys.isValid(e.getKey()) || e.getValue() < 0) {
                anomalies++;
                return ApplyResult.REJECTED;
            }
        }
        Row row = remote.get(owner.controllerId());
        boolean replacing = false;
        if (row != null) {
            if (row.owner.newerThan(owner)) {
                return ApplyResult.STALE;
            }
            if (row.owner.equals(owner) && row.seq >= snapshot.seq()) {
                return ApplyResult.DUPLICATE;
            }
            replacing = !row.owner.equals(owner);
            if (replacing) {
                replacedIncarnations++;
            }
            dropRow(row);
        }
        Row fresh = new Row(owner, snapshot.seq());
        for (Map.Entry<String, Long> e : snapshot.counts().entrySet()) {
            if (e.getValue() != 0) {
                bump(fresh.counts, e.getKey(), e.getValue());
                bump(totals, e.getKey(), e.getValue());
            }
        }
        remote.put(owner.controllerId(), fresh);
        return replacing ? ApplyResult.APPLIED_REPLACING : ApplyResult.APPLIED;
    }

    /** Null when the owner is a remote incarnation we may hold a row for; otherwise why not. */
    private ApplyResult checkOwner(Incarnation owner) {
        if (owner.controllerId().equals(self.controllerId())) {
            return owner.newerThan(self) ? ApplyResult.CONFLICT : ApplyResult.STALE;
        }
        return null;
    }

    /** A change set is valid when every key has a known shape and no count of {@code row} would go negative. */
    private static boolean valid(Map<String, Long> changes, Row row) {
        for (Map.Entry<String, Long> e : changes.entrySet()) {
            if (!Keys.isValid(e.getKey())) {
                return false;
            }
            long base = row == null ? 0 : get(row.counts, e.getKey());
            if (base + e.getValue() < 0) {
                return false;
            }
        }
        return true;
    }

    /** Drops the row of this incarnation, if held. Returns true when a row was dropped. */
    public synchronized boolean dropOwner(Incarnation owner) {
        Row row = remote.get(owner.controllerId());
        if (row == null || !row.owner.equals(owner)) {
            return false;
        }
        dropRow(row);
        remote.remove(owner.controllerId());
        return true;
    }

    /** Drops every remote row whose incarnation is not in {@code live}. Returns the incarnations dropped. */
    public synchronized List<Incarnation> retainOnly(Collection<Incarnation> live) {
        Set<Incarnation> keep = new HashSet<>(live);
        List<Incarnation> dropped = new ArrayList<>();
        for (Iterator<Row> it = remote.values().iterator(); it.hasNext(); ) {
            Row r = it.next();
            if (!keep.contains(r.owner)) {
                dropRow(r);
                it.remove();
                dropped.add(r.owner);
            }
        }
        return dropped;
    }

    private void dropRow(Row row) {
        for (Map.Entry<String, long[]> e : row.counts.entrySet()) {
            bump(totals, e.getKey(), -e.getValue()[0]);
        }
        row.counts.clear();
    }

    /** The incarnations whose rows are held remotely, with their last applied sequence numbers. */
    public synchronized Map<Incarnation, Long> remoteSequences() {
        Map<Incarnation, Long> out = new HashMap<>();
        for (Row r : remote.values()) {
            out.put(r.owner, r.seq);
        }
        return out;
    }

    /** The sequence number of the last drained local batch. */
    public synchronized long localSeq() {
        return seq;
    }

    /** Cluster totals of the keys starting with {@code prefix}, sorted by key. */
    public synchronized Map<String, Long> totals(String prefix) {
        Map<String, Long> out = new TreeMap<>();
        for (Map.Entry<String, long[]> e : totals.entrySet()) {
            if (e.getKey().startsWith(prefix)) {
                out.put(e.getKey(), e.getValue()[0]);
            }
        }
        return out;
    }

    /**
     * Removes this controller's per-minute keys older than the previous window (two windows are kept).
     * The removals travel as ordinary negative deltas. Returns how many keys were removed.
     */
    public synchronized int expireMinuteWindows(long currentWindow) {
        return expireMinuteWindows(currentWindow, Integer.MAX_VALUE);
    }

    /**
     * As {@link #expireMinuteWindows(long)}, removing at most {@code maxKeys} keys, so that with many namespaces
     * the work (and the delta it produces) is spread over several calls instead of one long hold of the lock and
     * one oversized message. Keys are found through an index by window: no scan of the row.
     */
    public synchronized int expireMinuteWindows(long currentWindow, int maxKeys) {
        int removed = 0;
        Iterator<Map.Entry<Long, java.util.ArrayDeque<String>>> it =
                localMinuteKeys.headMap(currentWindow - 1, false).entrySet().iterator();
        while (it.hasNext() && removed < maxKeys) {
            java.util.ArrayDeque<String> keys = it.next().getValue();
            while (!keys.isEmpty() && removed < maxKeys) {
                String key = keys.poll();
                long count = get(live, key);
                if (count != 0) {
                    addLocal(key, -count);
                    removed++;
                }
            }
            if (keys.isEmpty()) {
                it.remove();
            }
        }
        return removed;
    }

    /**
     * Local releases clamped at zero, and remote deltas or rows rejected (a count driven negative, a malformed key).
     * Should stay 0.
     */
    public synchronized long anomalies() {
        return anomalies;
    }

    /** Rows of an older incarnation replaced by a newer one of the same controller id. */
    public synchronized long replacedIncarnations() {
        return replacedIncarnations;
    }

    /** Number of distinct keys across the totals. */
    public synchronized int keyCount() {
        return totals.size();
    }

    private static long get(Map<String, long[]> m, String key) {
        long[] v = m.get(key);
        return v == null ? 0 : v[0];
    }

    private static void bump(Map<String, long[]> m, String key, long delta) {
        long[] v = m.get(key);
        if (v == null) {
            if (delta != 0) {
                m.put(key, new long[] {delta});
            }
            return;
        }
        v[0] += delta;
        if (v[0] == 0) {
            m.remove(key);
        }
    }

    private static Map<String, Long> copy(Map<String, long[]> m) {
        Map<String, Long> out = new HashMap<>(m.size() * 2);
        for (Map.Entry<String, long[]> e : m.entrySet()) {
            out.put(e.getKey(), e.getValue()[0]);
        }
        return out;
    }
}
