package io.tandem.transport;

import static io.tandem.transport.Waits.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.config.Env;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The production stack (TCP, TCPPING, FD_SOCK2) on 127.0.0.1: it starts, joins, and transfers a large state. */
@Timeout(60)
class TcpClusterTest {
    private static final System.Logger LOG = System.getLogger(TcpClusterTest.class.getName());
    private static final int KEYS = 100_000;

    @Test
    void shouldJoinOverTcpAndTransferStateOf100000Keys() throws Exception {
        int portA = freePortPair();
        int portB = freePortPair();
        String members = "127.0.0.1:" + portA + ",127.0.0.1[" + portB + "]";
        JGroupsReplicator a = null;
        JGroupsReplicator b = null;
        JGroupsReplicator c = null;
        try {
            Ledger la = new Ledger(new Incarnation("tcp-a", 1, 1));
            a = replicator(la, portA, members);
            a.start();
            JGroupsReplicator ra = a;
            waitUntil(Duration.ofSeconds(20), ra::ready, () -> "a ready alone");
            // FD_SOCK2 listens on the transport port + 100, on the bind address
            try (Socket s = new Socket(InetAddress.getByName("127.0.0.1"), portA + 100)) {
                assertTrue(s.isConnected());
            }
            assertFalse(a.channel().getProtocolStack().getTransport().getDiagnosticsHandler().isEnabled());

            for (int i = 0; i < KEYS; i++) {
                la.add("n/namespace-" + i, 1 + (i % 7));
            }
            waitUntil(Duration.ofSeconds(20), () -> !la.hasPending() && ra.metrics().get("deltas_sent").longValue() > 0,
                    () -> "a published");

            Ledger lb = new Ledger(new Incarnation("tcp-b", 2, 2));
            b = replicator(lb, portB, members);
            b.start();
            JGroupsReplicator rb = b;
            waitUntil(Duration.ofSeconds(20), rb::ready, () -> "b ready");
            assertEquals(1, b.metrics().get("state_transfers").longValue());
            assertEquals(la.totals("n/"), lb.totals("n/"));
            assertEquals(KEYS, lb.totals("n/").size());

            // and deltas flow both ways afterwards
            lb.add("n/namespace-0", 1);
            waitUntil(Duration.ofSeconds(10), () -> la.total("n/namespace-0") == 2, () -> "b's delta reached a");
            assertEquals(2, ra.viewSize());

            long coldMs = b.metrics().get("state_transfer_last_ms").longValue();
            long bytes = b.metrics().get("state_transfer_last_bytes").longValue();
            assertTrue(coldMs < 10_000, "state transfer took " + coldMs + " ms");

            // a second joiner, in a JVM that has done it once: the figure an operator sees on a running cluster
            Ledger lc = new Ledger(new Incarnation("tcp-c", 3, 3));
            int portC = freePortPair();
            c = replicator(lc, portC, members + ",127.0.0.1:" + portC);
            c.start();
            JGroupsReplicator rc = c;
            waitUntil(Duration.ofSeconds(20), rc::ready, () -> "c ready");
            assertEquals(la.totals("n/"), lc.totals("n/"));
            long warmMs = c.metrics().get("state_transfer_last_ms").longValue();
            LOG.log(Level.INFO, "state transfer of " + KEYS + " keys (" + bytes + " bytes, TCP on 127.0.0.1): first "
                    + coldMs + " ms, second " + warmMs + " ms");
        } finally {
            if (c != null) {
                c.close();
            }
            if (b != null) {
                b.close();
            }
            if (a != null) {
                a.close();
            }
        }
    }

    private static JGroupsReplicator replicator(Ledger ledger, int port, String members) {
        Map<String, String> vars = new HashMap<>();
        vars.put("CONTROLLER_ID", ledger.self().controllerId());
        vars.put("CLUSTER_NAME", "tcp-test");
        vars.put("BIND_ADDR", "127.0.0.1");
        vars.put("CLUSTER_PORT", Integer.toString(port));
        vars.put("CLUSTER_MEMBERS", members);
        vars.put("CLUSTER_SECRET", "test-secret");
        vars.put("CLUSTER_JOIN_WAIT", "200ms");
        vars.put("CONTROLLER_COUNT", "2");
        TransportSettings s = TransportSettings.from(new Env(vars));
        return new JGroupsReplicator(ledger, s, "http://127.0.0.1:3233", "http://127.0.0.1:3234", reason -> { });
    }

    /** A port p such that p and p + 100 (FD_SOCK2) are both free on 127.0.0.1. */
    private static int freePortPair() throws IOException {
        SplittableRandom random = new SplittableRandom();
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        for (int i = 0; i < 100; i++) {
            int p = 20_000 + random.nextInt(30_000);
            if (bindable(p, lo) && bindable(p + 100, lo)) {
                return p;
            }
        }
        throw new IOException("no free port pair");
    }

    private static boolean bindable(int port, InetAddress address) {
        try (ServerSocket s = new ServerSocket()) {
            s.bind(new java.net.InetSocketAddress(address, port), 1);
            return s.isBound();
        } catch (IOException taken) {
            return false;
        }
    }
}
