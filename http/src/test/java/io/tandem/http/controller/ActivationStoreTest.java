package io.tandem.http.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.gson.JsonObject;
import org.junit.jupiter.api.Test;

class ActivationStoreTest {
    @Test
    void shouldDropTheOldestRecordBeyondItsSize() {
        ActivationStore s = new ActivationStore(2, 60_000);
        s.put("a", "ns", new JsonObject(), 0);
        s.put("b", "ns", new JsonObject(), 1);
        s.put("c", "ns", new JsonObject(), 2);

        assertNull(s.get("a", 3));
        assertNotNull(s.get("b", 3));
        assertNotNull(s.get("c", 3));
        assertEquals(2, s.size());
    }

    @Test
    void shouldForgetRecordsAfterTheirTimeToLive() {
        ActivationStore s = new ActivationStore(10, 1_000);
        s.put("a", "ns", new JsonObject(), 0);
        s.put("b", "ns", new JsonObject(), 500);

        assertNotNull(s.get("a", 999));
        assertNull(s.get("a", 1_000), "expired records are not served even before the sweep");
        assertEquals(1, s.expire(1_000));
        assertEquals(1, s.size());
        assertEquals("ns", s.get("b", 1_000).namespace());
        assertEquals(1, s.expire(1_500));
        assertEquals(0, s.size());
    }
}
