package io.tandem.transport;

import static io.tandem.transport.Waits.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.cluster.Member;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LocalReplicatorTest {

    @Test
    void shouldBeReadyAloneAndDiscardDrainedDeltas() {
        Ledger ledger = new Ledger(new Incarnation("solo", 1, 1));
        LocalReplicator r = new LocalReplicator(ledger, 3, "http://solo:3233", "http://solo:3234",
                Duration.ofMillis(20));
        assertFalse(r.ready(), "not before start");
        r.start();
        assertTrue(r.ready(), "ready at once");
        assertEquals(1, r.viewSize());
        List<Member> members = r.members();
        assertEquals(1, members.size());
        assertTrue(members.get(0).self());
        assertEquals("http://solo:3233", members.get(0).apiUrl());

        ledger.add("n/guest", 2);
        waitUntil(Duration.ofSeconds(5), () -> !ledger.hasPending(), () -> "pending drained");
        assertEquals(2, ledger.total("n/guest"), "draining publishes nothing and changes no count");
        assertEquals(1, r.metrics().get("local_batches_discarded").longValue());

        Map<String, Object> d = r.describe();
        assertEquals("off", d.get("clustering"));
        assertEquals(3, d.get("controllerCount"));
        assertEquals(0, r.metrics().get("degraded").intValue());
        assertEquals(1, r.metrics().get("view_size").intValue());

        r.close();
        r.close();
        assertFalse(r.ready());
    }
}
