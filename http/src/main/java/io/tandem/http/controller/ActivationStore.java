package io.tandem.http.controller;

import com.google.gson.JsonObject;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The activation records of this controller, in memory only: at most {@code maxRecords} (the oldest is dropped
 * first) and each for {@code ttlMs} after it was stored. Records never travel on the cluster channel; a GET for
 * another controller's record is forwarded to it over HTTP.
 *
 * <p>Records are kept in insertion order, and every record lives equally long, so expiry only ever looks at the
 * head. A stored record is never modified again, so callers may read it outside the lock.
 *
 * <p>Thread-safe (one monitor, O(1) work under it apart from expiring the head).
 */
final class ActivationStore {
    /** A stored record and the namespace it belongs to. Immutable (the record is never modified once stored). */
    record Stored(String namespace, JsonObject record, long expiresAtMs) {
    }

    private final int maxRecords;
    private final long ttlMs;
    private final LinkedHashMap<String, Stored> byId = new LinkedHashMap<>();

    ActivationStore(int maxRecords, long ttlMs) {
        this.maxRecords = maxRecords;
        this.ttlMs = ttlMs;
    }

    synchronized void put(String activationId, String namespace, JsonObject record, long nowMs) {
        byId.remove(activationId);
        byId.put(activationId, new Stored(namespace, record, nowMs + ttlMs));
        Iterator<Map.Entry<String, Stored>> it = byId.entrySet().iterator();
        while (byId.size() > maxRecords && it.hasNext()) {
            it.next();
            it.remove();
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
            if (it.next().expiresAtMs() > nowMs) {
                break;
            }
            it.remove();
            n++;
        }
        return n;
    }

    synchronized int size() {
        return byId.size();
    }
}
