package io.tandem.http.controller;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;

/**
 * The activation records of this controller, in memory only: at most {@code maxRecords} records and about
 * {@code maxBytes} of them (the oldest are dropped first), each for {@code ttlMs} after it was stored. Records never
 * travel on the cluster channel; a GET for another controller's record is forwarded to it over HTTP.
 *
 * <p>A record is kept as its UTF-8 JSON, not as a Gson tree: a tree of an ordinary record takes several kilobytes
 * (at the default of 100,000 records that filled a 256 MB heap and the controller died of OutOfMemoryError in the
 * system benchmark), and a result may be as large as a request body. Reading a record back parses it; that is the
 * rare path.
 *
 * <p>Records are kept in insertion order, and every record lives equally long, so expiry only ever looks at the
 * head. A stored record is never modified again, so callers may read it outside the lock.
 *
 * <p>Thread-safe (one monitor, O(1) work under it apart from dropping from the head).
 */
final class ActivationStore {
    /** What one entry costs beside its JSON: the id, the map entry, the holder and the array header (estimated). */
    static final int ENTRY_OVERHEAD_BYTES = 200;

    /** A stored record and the namespace it belongs to. Immutable (the record is never modified once stored). */
    record Stored(String namespace, byte[] json, long expiresAtMs) {
        JsonObject record() {
            return JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonObject();
        }

        long cost() {
            return json.length + ENTRY_OVERHEAD_BYTES;
        }
    }

    private final int maxRecords;
    private final long maxBytes;
    private final long ttlMs;
    private final LinkedHashMap<String, Stored> byId = new LinkedHashMap<>();
    private long bytes;

    ActivationStore(int maxRecords, long maxBytes, long ttlMs) {
        this.maxRecords = maxRecords;
        this.maxBytes = maxBytes;
        this.ttlMs = ttlMs;
    }

    void put(String activationId, String namespace, JsonObject record, long nowMs) {
        // serialized outside the lock
        Stored s = new Stored(namespace, Replies.GSON.toJson(record).getBytes(StandardCharsets.UTF_8),
                nowMs + ttlMs);
        synchronized (this) {
            Stored old = byId.remove(activationId);
            if (old != null) {
                bytes -= old.cost();
            }
            byId.put(activationId, s);
            bytes += s.cost();
            Iterator<Stored> it = byId.values().iterator();
            while ((byId.size() > maxRecords || bytes > maxBytes) && it.hasNext()) {
                bytes -= it.next().cost();
                it.remove();
            }
        }
    }

    /** The record, or null when unknown or expired. */
    synchronized Stored get(String activationId, long nowMs) {
        Stored s = byId.get(activationId);
        return s == null || s.expiresAtMs() <= nowMs ? null : s;
    }

    /** Drops expired records. Returns how many. */
    synchronized int expire(long nowMs) {
        int n = 0;
        Iterator<Stored> it = byId.values().iterator();
        while (it.hasNext()) {
            Stored s = it.next();
            if (s.expiresAtMs() > nowMs) {
                break;
            }
            bytes -= s.cost();
            it.remove();
            n++;
        }
        return n;
    }

    synchronized int size() {
        return byId.size();
    }

    /** The estimated memory the records take. */
    synchronized long bytes() {
        return bytes;
    }
}
