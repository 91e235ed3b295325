package io.tandem.transport;

import static io.tandem.transport.Waits.waitUntil;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.config.Env;
import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.jgroups.Address;
import org.jgroups.BytesMessage;
import org.jgroups.JChannel;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: a process with the wrong secret, and one with no encryption at all, try to join a running two-member
 * cluster (the production stack: TCP and TCPPING on 127.0.0.1) and to inject deltas. They cannot join, no count
 * changes, the members count every rejected message in {@code messages_rejected_auth}, and a flood of them gives
 * a handful of log lines, not thousands.
 */
@Timeout(120)
class ClusterSecurityTest {
    private static final String CLUSTER = "sec-test";
    private static final String SECRET = "the-right-secret";
    private static final int FLOOD = 5_000;
    /** Messages sent before waiting for them to be counted: well below the send buffers of two connections. */
    private static final int FLOOD_BURST = 250;

    private final List<LogRecord> records = new CopyOnWriteArrayList<>();
    private final Handler capture = new Handler() {
        @Override
        public void publish(LogRecord r) {
            records.add(r);
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private final List<AutoCloseable> toClose = new ArrayList<>();
    private Ledger la;
    private Ledger lb;
    private JGroupsReplicator a;
    private JGroupsReplicator b;
    private String members;

    @BeforeEach
    void startCluster() throws Exception {
        Logger.getLogger("").addHandler(capture);
        int portA = freePortPair();
        int portB = freePortPair();
        members = "127.0.0.1:" + portA + ",127.0.0.1:" + portB;
        la = new Ledger(new Incarnation("sec-a", 1, 1));
        lb = new Ledger(new Incarnation("sec-b", 2, 2));
        a = new JGroupsReplicator(la, settings("sec-a", portA, SECRET), "http://a", "http://a-admin", r -> { });
        toClose.add(a);
        a.start();
        b = new JGroupsReplicator(lb, settings("sec-b", portB, SECRET), "http://b", "http://b-admin", r -> { });
        toClose.add(b);
        b.start();
        waitUntil(Duration.ofSeconds(30), () -> a.ready() && b.ready() && a.viewSize() == 2 && b.viewSize() == 2,
                () -> "a and b form a cluster");
        la.add("n/guest", 3);
        lb.add("n/other", 2);
        waitUntil(Duration.ofSeconds(10), () -> lb.total("n/guest") == 3 && la.total("n/other") == 2,
                () -> "counts replicated");
    }

    @AfterEach
    void stop() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        Logger.getLogger("").removeHandler(capture);
    }

    @Test
    void shouldKeepOutAProcessWithTheWrongSecret() throws Exception {
        shouldKeepOut(settings("intruder", freePortPair(), "a-wrong-secret"));
    }

    @Test
    void shouldKeepOutAProcessWithoutEncryption() throws Exception {
        shouldKeepOut(settings("intruder", freePortPair(), null));
    }

    /**
     * A controller started with another CLUSTER_SECRET than its peers finds them by discovery (below the encryption)
     * but cannot join; JGroups then gives it a view of its own. It must not call itself ready there (it would admit
     * the whole limit on bookkeeping that lacks the cluster's work): it stays unready, says whom it could not join,
     * and the running members are untouched.
     */
    @Test
    void shouldKeepAControllerWithAnotherSecretUnreadyInsteadOfAloneAndReady() throws Exception {
        TransportSettings other = settings("sec-c", freePortPair(), "a-wrong-secret");
        List<Protocol> stack = ProtocolStacks.tcp(other, ClusterKeys.derive("a-wrong-secret", CLUSTER));
        for (Protocol p : stack) {
            if (p instanceof GMS) {
                ((GMS) p).setMaxJoinAttempts(2); // form its own view soon, as it would after 10 attempts
            }
        }
        JGroupsReplicator c = new JGroupsReplicator(new Ledger(new Incarnation("sec-c", 3, 3)), other, stack,
                "http://c", "http://c-admin", r -> { });
        toClose.add(c);
        c.start();
        assertEquals(1, c.viewSize(), "alone: " + c.channel().getView());
        waitUntil(Duration.ofSeconds(20), () -> c.describe().containsKey("notJoined"),
                () -> "c says whom it could not join: " + c.describe());
        assertFalse(c.ready(), "not ready alone while discovery shows peers");
        long end = System.nanoTime() + Duration.ofMillis(1_500).toNanos(); // several join waits (200 ms each)
        while (System.nanoTime() < end) {
            assertFalse(c.ready(), "still not ready");
            Thread.sleep(50);
        }
        // a warning once messages were rejected for the secret or three join waits passed (each up to 1.2 s here)
        waitUntil(Duration.ofSeconds(20), () -> records.stream()
                .anyMatch(r -> String.valueOf(r.getMessage()).contains("CLUSTER_SECRET")), () -> "the log names the"
                + " likely cause");
        assertFalse(c.ready(), "still not ready");
        assertEquals(2, a.viewSize());
        assertTrue(a.ready() && b.ready());
    }

    /**
     * The second line of defence: a process that gets past the encryption layer (here: it holds the encryption key
     * but not the MAC key, as if SYM_ENCRYPT were misconfigured or broken) joins the channel, but every delta it
     * forges fails the MAC and is rejected and counted; no count changes.
     */
    @Test
    void shouldRejectForgedDeltasFromAProcessPastTheEncryption() throws Exception {
        Map<String, Long> totalsA = la.totals("");
        Map<String, Long> totalsB = lb.totals("");
        long rejectedBefore = rejected(a) + rejected(b);
        TransportSettings own = settings("intruder", freePortPair(), SECRET);
        JChannel intruder = new JChannel(ProtocolStacks.tcp(own));
        toClose.add(intruder);
        ProtocolStacks.disableDiagnostics(intruder);
        intruder.connect(CLUSTER);
        waitUntil(Duration.ofSeconds(10), () -> a.channel().getView().size() == 3, () -> "it joined the channel");

        WireCodec wrongMac = new WireCodec(1 << 20, WireCodec.MAX_KEYS, 1 << 26,
                ClusterKeys.derive("not-" + SECRET, CLUSTER).macKey());
        WireCodec noMac = new WireCodec(1 << 20);
        List<byte[]> crafted = List.of(
                wrongMac.encode(new WireMessage.Delta(new DeltaBatch(la.self(), 1_000_000, Map.of("n/guest", 50L)))),
                noMac.encode(new WireMessage.Delta(new DeltaBatch(lb.self(), 1_000_000, Map.of("n/other", -2L)))),
                wrongMac.encode(new WireMessage.Row(new io.tandem.core.ledger.RowSnapshot(la.self(), 9_999_999,
                        Map.of("n/guest", 0L)))));
        int n = 1_000;
        for (int i = 0; i < n; i++) {
            intruder.send(new BytesMessage(null, crafted.get(i % crafted.size()))); // multicast: it is a member
        }
        waitUntil(Duration.ofSeconds(30), () -> rejected(a) + rejected(b) >= rejectedBefore + 2L * n,
                () -> "forgeries counted: " + (rejected(a) + rejected(b) - rejectedBefore) + " of " + 2 * n);
        assertEquals(totalsA, la.totals(""));
        assertEquals(totalsB, lb.totals(""));
        long ours = records.stream().filter(r -> String.valueOf(r.getMessage()).contains("rejected a message")).count();
        assertTrue(ours >= 1 && ours <= 12, ours + " log lines for " + 2 * n + " forged messages");
        intruder.close();
        waitUntil(Duration.ofSeconds(30), () -> a.viewSize() == 2 && b.viewSize() == 2, () -> "back to two");
        la.add("n/guest", 1);
        waitUntil(Duration.ofSeconds(10), () -> lb.total("n/guest") == 4, () -> "a's next delta reached b");
    }

    private void shouldKeepOut(TransportSettings intruderSettings) throws Exception {
        Map<String, Long> totalsA = la.totals("");
        Map<String, Long> totalsB = lb.totals("");
        long rejectedBefore = rejected(a) + rejected(b);

        // 1. it tries to join: discovery answers (it is below the encryption), the JOIN_REQ is dropped
        List<Protocol> stack = ProtocolStacks.tcp(intruderSettings);
        for (Protocol p : stack) {
            if (p instanceof GMS) {
                ((GMS) p).setMaxJoinAttempts(2); // give up soon and become a singleton
            }
        }
        JChannel intruder = new JChannel(stack);
        toClose.add(intruder);
        ProtocolStacks.disableDiagnostics(intruder);
        intruder.connect(CLUSTER);
        assertEquals(1, intruder.getView().size(), "the intruder is alone: " + intruder.getView());
        assertEquals(2, a.viewSize());
        assertEquals(2, b.viewSize());
        waitUntil(Duration.ofSeconds(10), () -> rejected(a) + rejected(b) > rejectedBefore,
                () -> "the join attempt counted as rejected");

        // 2. it sends crafted deltas: well-formed ones with a MAC made from its own secret (or none), one forging
        // a member's incarnation, and raw bytes; unicast to each member (it cannot multicast to a group it is not in)
        WireCodec ownCodec = intruderSettings.secret() == null ? new WireCodec(1 << 20)
                : new WireCodec(1 << 20, WireCodec.MAX_KEYS, 1 << 26,
                ClusterKeys.derive(intruderSettings.secret(), CLUSTER).macKey());
        Address[] targets = {a.channel().getAddress(), b.channel().getAddress()};
        List<byte[]> crafted = new ArrayList<>();
        crafted.add(ownCodec.encode(new WireMessage.Delta(new DeltaBatch(la.self(), 1_000_000,
                Map.of("n/guest", 1_000L)))));
        crafted.add(ownCodec.encode(new WireMessage.Delta(new DeltaBatch(new Incarnation("intruder", 9, 9), 1,
                Map.of("n/guest", 7L)))));
        crafted.add("T\u0001\u0001garbage".getBytes(StandardCharsets.ISO_8859_1));
        SplittableRandom random = new SplittableRandom(7);
        // in bursts of FLOOD_BURST, each waited for: the intruder's TCP_NIO2 drops what does not fit its send
        // buffers (ProtocolStacks.MAX_SEND_BUFFERS per connection) and leaves it to UNICAST3, which re-sends only
        // the newest unacknowledged message to a peer that never acknowledges; a message it dropped was never sent
        for (int i = 0; i < FLOOD; i++) {
            byte[] bytes = crafted.get(i % crafted.size()).clone();
            if (i % 7 == 0) {
                bytes[random.nextInt(bytes.length)] ^= (byte) (1 + random.nextInt(255));
            }
            intruder.send(new BytesMessage(targets[i % 2], bytes));
            int sent = i + 1;
            if (sent % FLOOD_BURST == 0 || sent == FLOOD) {
                waitUntil(Duration.ofSeconds(30), () -> rejected(a) + rejected(b) >= rejectedBefore + sent,
                        () -> "the flood counted: " + (rejected(a) + rejected(b) - rejectedBefore) + " of " + sent);
            }
        }

        // nothing changed, nobody joined, the members still talk to each other
        assertEquals(totalsA, la.totals(""));
        assertEquals(totalsB, lb.totals(""));
        assertEquals(2, a.viewSize());
        assertEquals(2, b.viewSize());
        la.add("n/guest", 1);
        waitUntil(Duration.ofSeconds(10), () -> lb.total("n/guest") == 4, () -> "a's next delta reached b");

        // bounded logging: a few lines per kind per 10 s, and nothing from JGroups' own decryption path
        long ours = records.stream().filter(r -> String.valueOf(r.getMessage()).contains("rejected a message")).count();
        long jgroups = records.stream().filter(r -> r.getLoggerName() != null
                && r.getLoggerName().startsWith("org.jgroups")
                && r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()
                && String.valueOf(r.getMessage()).toLowerCase().contains("encrypt")).count();
        assertTrue(ours >= 1, "the rejection is logged");
        assertTrue(ours <= 12, ours + " log lines for " + FLOOD + " rejected messages");
        assertEquals(0, jgroups, "JGroups logged per message");
        assertFalse(records.stream().anyMatch(r -> String.valueOf(r.getMessage()).contains(SECRET)),
                "the secret is never logged");
        System.getLogger(getClass().getName()).log(System.Logger.Level.INFO, "rejected "
                + (rejected(a) + rejected(b) - rejectedBefore) + " messages with " + ours + " log lines");
    }

    private static long rejected(JGroupsReplicator r) {
        return r.metrics().get("messages_rejected_auth").longValue();
    }

    private TransportSettings settings(String id, int port, String secret) {
        Map<String, String> vars = new HashMap<>();
        vars.put("CONTROLLER_ID", id);
        vars.put("CLUSTER_NAME", CLUSTER);
        vars.put("BIND_ADDR", "127.0.0.1");
        vars.put("CLUSTER_PORT", Integer.toString(port));
        vars.put("CLUSTER_MEMBERS", members + ",127.0.0.1:" + port);
        if (secret == null) {
            vars.put("CLUSTER_INSECURE", "true");
        } else {
            vars.put("CLUSTER_SECRET", secret);
        }
        vars.put("CLUSTER_JOIN_WAIT", "200ms");
        vars.put("CONTROLLER_COUNT", "2");
        return TransportSettings.from(new Env(vars));
    }

    /** A port p such that p and p + 100 (FD_SOCK2) are both free on 127.0.0.1. */
    static int freePortPair() throws IOException {
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
            s.bind(new InetSocketAddress(address, port), 1);
            return s.isBound();
        } catch (IOException taken) {
            return false;
        }
    }
}
