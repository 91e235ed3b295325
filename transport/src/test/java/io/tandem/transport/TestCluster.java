package io.tandem.transport;

import io.tandem.core.config.Env;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import io.tandem.core.ledger.RowSnapshot;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.jgroups.Address;
import org.jgroups.protocols.DISCARD;
import org.jgroups.stack.Protocol;

/**
 * Several replicators in one JVM over SHARED_LOOPBACK, each with a DISCARD just above the transport (partitions,
 * crashes) and a {@link DeltaFaults} at the top of its stack. Each test gets its own cluster name, so members of
 * different tests never meet. Reads like a script: {@code cluster.start("a"); cluster.awaitConverged(...)}.
 */
final class TestCluster implements AutoCloseable {
    private static final AtomicInteger CLUSTERS = new AtomicInteger();
    /** Incarnation start times: later nodes are newer incarnations, whatever the wall clock does. */
    private static final AtomicLong START_MS = new AtomicLong(1_700_000_000_000L);

    static final Duration TIMEOUT = Duration.ofSeconds(15);

    private final String name;
    private final Map<String, String> env = new HashMap<>();
    private final List<Node> nodes = new ArrayList<>();

    TestCluster(String test, Map<String, String> overrides) {
        name = test + "-" + CLUSTERS.incrementAndGet();
        env.put("CLUSTER_NAME", name);
        env.put("CLUSTER_INSECURE", "true");
        env.put("CLUSTER_FD_TIMEOUT", "4s");
        env.put("CLUSTER_MERGE_INTERVAL", "2s");
        env.put("CLUSTER_JOIN_WAIT", "100ms");
        env.put("CONTROLLER_COUNT", "3");
        env.putAll(overrides);
    }

    TestCluster(String test) {
        this(test, Map.of());
    }

    /** One member: its ledger, its replicator and the fault tools in its stack. */
    static final class Node {
        final String id;
        final Ledger ledger;
        final JGroupsReplicator replicator;
        final DISCARD discard;
        final DeltaFaults faults;
        final AtomicReference<String> fatal = new AtomicReference<>();

        Node(String id, Ledger ledger, JGroupsReplicator replicator, DISCARD discard, DeltaFaults faults) {
            this.id = id;
            this.ledger = ledger;
            this.replicator = replicator;
            this.discard = discard;
            this.faults = faults;
        }

        Address address() {
            return replicator.channel().getAddress();
        }

        long metric(String name) {
            return replicator.metrics().get(name).longValue();
        }

        /**
         * Every row this member holds (its own published row included), leaving out an own row that never had a
         * delta: peers hold no row for an owner that never sent one, and that is the same thing.
         */
        Set<RowSnapshot> rows() {
            Set<RowSnapshot> rows = new HashSet<>(ledger.snapshot());
            rows.removeIf(r -> r.seq() == 0 && r.counts().isEmpty());
            return rows;
        }

        boolean holdsRowOf(Incarnation owner) {
            return ledger.remoteSequences().containsKey(owner);
        }

        /** Silent from now on: no leave, no heartbeats, nothing in or out. */
        void crash() {
            discard.discardAll(true);
        }

        boolean sees(Node other) {
            return replicator.channel().getView().containsMember(other.address());
        }

        @Override
        public String toString() {
            return id + "(" + ledger.self() + ", view " + replicator.channel().getView() + ")";
        }
    }

    Node start(String id) throws Exception {
        return start(id, Map.of());
    }

    Node start(String id, Map<String, String> overrides) throws Exception {
        Map<String, String> vars = new HashMap<>(env);
        vars.put("CONTROLLER_ID", id);
        vars.putAll(overrides);
        TransportSettings settings = TransportSettings.from(new Env(vars));
        Ledger ledger = new Ledger(new Incarnation(id, START_MS.incrementAndGet(), 7));
        List<Protocol> stack = ProtocolStacks.sharedLoopback(settings);
        DISCARD discard = new DISCARD();
        stack.add(1, discard);
        DeltaFaults faults = new DeltaFaults();
        stack.add(faults);
        Node[] holder = new Node[1];
        JGroupsReplicator r = new JGroupsReplicator(ledger, settings, stack, "http://" + id + ":3233",
                "http://" + id + ":3234", reason -> holder[0].fatal.set(reason));
        Node node = new Node(id, ledger, r, discard, faults);
        holder[0] = node;
        nodes.add(node);
        r.start();
        return node;
    }

    /** Cuts a and b apart (DISCARD both ways) and waits until each is alone in its view. */
    void partition(Node a, Node b) {
        a.discard.addIgnoreMember(b.address());
        b.discard.addIgnoreMember(a.address());
        Waits.waitUntil(TIMEOUT, () -> a.replicator.viewSize() == 1 && b.replicator.viewSize() == 1,
                () -> "partitioned: " + a + " " + b);
    }

    /** Lifts {@link #partition}; the merge is the caller's to wait for. */
    void heal(Node a, Node b) {
        a.discard.resetIgnoredMembers();
        b.discard.resetIgnoredMembers();
    }

    void awaitReady(Node... members) {
        Waits.waitUntil(TIMEOUT, () -> Arrays.stream(members).allMatch(n -> n.replicator.ready()),
                () -> "ready: " + Arrays.toString(members));
    }

    /** Until every member has the same view of {@code size} members. */
    void awaitView(int size, Node... members) {
        Waits.waitUntil(TIMEOUT, () -> Arrays.stream(members).allMatch(n -> n.replicator.viewSize() == size
                        && n.replicator.channel().getView().equals(members[0].replicator.channel().getView())),
                () -> "view of " + size + ": " + Arrays.toString(members));
    }

    /** Until nothing is pending anywhere and every member holds the same rows with the same sequence numbers. */
    void awaitConverged(Duration timeout, Node... members) {
        Waits.waitUntil(timeout, () -> converged(members), () -> "converged rows: " + Arrays.stream(members)
                .map(n -> n.id + "=" + n.rows()).collect(Collectors.joining("\n  ", "\n  ", "")));
    }

    void awaitConverged(Node... members) {
        awaitConverged(TIMEOUT, members);
    }

    static boolean converged(Node... members) {
        Set<RowSnapshot> first = null;
        for (Node n : members) {
            if (n.ledger.hasPending()) {
                return false;
            }
            Set<RowSnapshot> rows = n.rows();
            if (first == null) {
                first = rows;
            } else if (!first.equals(rows)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            n.replicator.close();
        }
    }
}
