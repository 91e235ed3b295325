package io.tandem.http.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.gson.JsonObject;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ActivationStoreTest {
    private static final long PLENTY = 1L << 30;

    @Test
    void shouldDropTheOldestRecordBeyondItsSize() {
        ActivationStore s = new ActivationStore(2, PLENTY, 60_000);
        s.put("a", "ns", new JsonObject(), 0);
        s.put("b", "ns", new JsonObject(), 1);
        s.put("c", "ns", new JsonObject(), 2);

        assertNull(s.get("a", 3));
        assertNotNull(s.get("b", 3));
        assertNotNull(s.get("c", 3));
        assertEquals(2, s.size());
    }

    @Test
    void shouldDropTheOldestRecordsBeyondItsBytes() {
        JsonObject big = record(10_000);
        long cost = cost(big);
        ActivationStore s = new ActivationStore(1_000, 3L * cost, 60_000);
        for (int i = 0; i < 5; i++) {
            s.put("r" + i, "ns", big, i);
        }

        assertEquals(3, s.size());
        assertEquals(3L * cost, s.bytes());
        assertNull(s.get("r1", 5));
        assertNotNull(s.get("r2", 5));
        assertEquals(1, s.expire(60_002));
        assertEquals(2L * cost, s.bytes());
    }

    @Test
    void shouldGiveBackTheRecordItWasGiven() {
        ActivationStore s = new ActivationStore(10, PLENTY, 60_000);
        JsonObject r = record(3);
        s.put("a", "ns", r, 0);
        s.put("a", "ns", r, 1);

        assertEquals(r, s.get("a", 2).record());
        assertEquals(1, s.size());
        assertEquals(cost(r), s.bytes(),
                "a record stored twice counts once");
    }

    @Test
    void shouldForgetRecordsAfterTheirTimeToLive() {
        ActivationStore s = new ActivationStore(10, PLENTY, 1_000);
        s.put("a", "ns", new JsonObject(), 0);
        s.put("b", "ns", new JsonObject(), 500);

        assertNotNull(s.get("a", 999));
        assertNull(s.get("a", 1_000), "expired records are not served even before the sweep");
        assertEquals(1, s.expire(1_000));
        assertEquals(1, s.size());
        assertEquals("ns", s.get("b", 1_000).namespace());
        assertEquals(1, s.expire(1_500));
        assertEquals(0, s.size());
        assertEquals(0, s.bytes());
    }

    /** UTF-8 bytes, not characters: the record holds an "é". */
    private static long cost(JsonObject r) {
        return Replies.GSON.toJson(r).getBytes(StandardCharsets.UTF_8).length + ActivationStore.ENTRY_OVERHEAD_BYTES;
    }

    private static JsonObject record(int resultChars) {
        JsonObject r = new JsonObject();
        r.addProperty("activationId", "0123456789abcdef0123456789abcdef");
        JsonObject response = new JsonObject();
        response.addProperty("status", "success");
        JsonObject result = new JsonObject();
        result.addProperty("text", "x".repeat(resultChars) + "é");
        response.add("result", result);
        r.add("response", response);
        return r;
    }
}
