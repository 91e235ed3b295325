package io.tandem.bench;

import io.tandem.core.config.Env;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import io.tandem.transport.JGroupsReplicator;
import io.tandem.transport.TransportSettings;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.HdrHistogram.Histogram;

/**
 * Cluster figures that JMH cannot give, printed as greppable lines (BENCHMARKS.md, sections 5 and 6):
 *
 * <ol>
 *   <li><b>Delta propagation</b>: three {@link JGroupsReplicator}s in this JVM over the production stack (TCP on
 *   127.0.0.1, encrypted with a secret, CLUSTER_FLUSH_INTERVAL and CLUSTER_FLUSH_MAX_DELAY from the environment or
 *   the defaults). A probe books +1 on one member's ledger and spins until both peers' ledgers show it; the time is recorded
 *   per peer, for plain changes (far from a limit: they may wait up to the max delay) and for changes marked urgent
 *   (near a limit: the next flush). At rest, then under load: every
 *   member's ledger also changes {@code --load-rate} times a second on random namespaces (what admissions and
 *   releases do), so every flush carries a batch.</li>
 *   <li><b>Scale</b>: a member whose row holds {@code --namespaces} namespace keys; a fresh member joins: its
 *   state-transfer time, and the heap it took to hold that state (used heap after GC, before and after).</li>
 * </ol>
 *
 * Everything shares the machine's cores with the probe's spinning thread, so on a 2-core box the "under load"
 * figure includes scheduling delay; it is the figure to compare runs with, not a network latency.
 *
 * <p>Usage: {@code java -cp bench/target/benchmarks.jar io.tandem.bench.ClusterBench [--probes N]
 * [--load-rate R] [--namespaces N]}
 */
public final class ClusterBench {
    private static final long PROBE_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(5);

    private ClusterBench() {
    }

    /** What one run measured. */
    record Result(Histogram atRest, Histogram underLoad, Histogram atRestUrgent, Histogram underLoadUrgent,
                  long loadChanges, long stateTransferMs, long stateBytes,
                  long heapBytes, int namespaces) {
    }

    public static void main(String[] args) throws Exception {
        int probes = 2_000;
        int loadRate = 5_000;
        int namespaces = 100_000;
        for (int i = 0; i + 1 < args.length; i += 2) {
            switch (args[i]) {
                case "--probes" -> probes = Integer.parseInt(args[i + 1]);
                case "--load-rate" -> loadRate = Integer.parseInt(args[i + 1]);
                case "--namespaces" -> namespaces = Integer.parseInt(args[i + 1]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]
                        + " (--probes N, --load-rate R, --namespaces N)");
            }
        }
        Result r = run(probes, loadRate, namespaces);
        print("at rest, far from limits (may wait CLUSTER_FLUSH_MAX_DELAY)", r.atRest());
        print("at rest, near a limit (urgent)", r.atRestUrgent());
        String load = "under load (" + loadRate + " changes/s on each member, " + r.loadChanges() + " in all)";
        print(load + ", far from limits", r.underLoad());
        print(load + ", near a limit (urgent)", r.underLoadUrgent());
        System.out.printf(Locale.ROOT, "SCALE-FIGURES namespaces=%d state_transfer_ms=%d state_bytes=%d"
                + " joiner_heap_mb=%.1f%n", r.namespaces(), r.stateTransferMs(), r.stateBytes(),
                r.heapBytes() / 1048576.0);
        System.exit(0); // JGroups' timer threads are not daemons in every version
    }

    static void print(String what, Histogram h) {
        System.out.printf(Locale.ROOT, "PROPAGATION-FIGURES %s: n=%d p50=%.2fms p90=%.2fms p99=%.2fms max=%.2fms%n",
                what, h.getTotalCount(), ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)),
                ms(h.getValueAtPercentile(99)), ms(h.getMaxValue()));
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    static Result run(int probes, int loadRate, int namespaces) throws Exception {
        List<Integer> ports = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            ports.add(freePortPair());
        }
        String members = "127.0.0.1[" + ports.get(0) + "],127.0.0.1[" + ports.get(1) + "],127.0.0.1["
                + ports.get(2) + "]";
        List<Ledger> ledgers = new ArrayList<>();
        List<JGroupsReplicator> reps = new ArrayList<>();
        JGroupsReplicator joiner = null;
        try {
            for (int i = 0; i < 3; i++) {
                Ledger l = new Ledger(new Incarnation("bench-" + i, System.currentTimeMillis(), i + 1));
                JGroupsReplicator r = replicator(l, ports.get(i), members, 3);
                r.start();
                ledgers.add(l);
                reps.add(r);
            }
            await(() -> reps.stream().allMatch(r -> r.ready() && r.viewSize() == 3), 60, "three members in a view");

            Histogram atRest = probe(ledgers, probes, "n/probe-rest", false);
            Histogram atRestUrgent = probe(ledgers, probes, "n/probe-rest-urgent", true);

            AtomicBoolean loading = new AtomicBoolean(true);
            AtomicLong changes = new AtomicLong();
            List<Thread> loaders = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Ledger l = ledgers.get(i);
                int seed = i;
                int rate = loadRate;
                Thread t = new Thread(() -> load(l, rate, seed, loading, changes), "load-" + i);
                t.setDaemon(true);
                t.start();
                loaders.add(t);
            }
            Histogram underLoad;
            Histogram underLoadUrgent;
            try {
                underLoad = probe(ledgers, probes, "n/probe-load", false);
                underLoadUrgent = probe(ledgers, probes, "n/probe-load-urgent", true);
            } finally {
                loading.set(false);
                for (Thread t : loaders) {
                    t.join(5_000);
                }
            }

            // scale: member 0's row gets the namespaces; a fourth member joins and takes the state
            for (int i = 0; i < namespaces; i++) {
                ledgers.get(0).add("n/scale-" + i, 1);
            }
            Ledger l0 = ledgers.get(0);
            await(() -> !l0.hasPending() && ledgers.get(1).total("n/scale-" + (namespaces - 1)) == 1, 60,
                    "the namespaces published");
            long before = usedHeapAfterGc();
            Ledger lj = new Ledger(new Incarnation("bench-joiner", System.currentTimeMillis(), 9));
            joiner = replicator(lj, ports.get(3), members + ",127.0.0.1[" + ports.get(3) + "]", 4);
            joiner.start();
            JGroupsReplicator j = joiner;
            await(j::ready, 60, "the joiner ready");
            long after = usedHeapAfterGc();
            if (lj.total("n/scale-" + (namespaces - 1)) != 1) {
                throw new IllegalStateException("the joiner does not hold the namespaces");
            }
            Map<String, Number> m = joiner.metrics();
            return new Result(atRest, underLoad, atRestUrgent, underLoadUrgent, changes.get(), m.get("state_transfer_last_ms").longValue(),
                    m.get("state_transfer_last_bytes").longValue(), Math.max(0, after - before), namespaces);
        } finally {
            if (joiner != null) {
                joiner.close();
            }
            for (JGroupsReplicator r : reps) {
                r.close();
            }
        }
    }

    /**
     * Books +1 on member (i mod 3) and times until both others see it; then -1, not timed. {@code urgent} marks
     * the change as the balancer does near a limit (sent at the next flush); otherwise it is a change far from
     * every limit, which may wait up to CLUSTER_FLUSH_MAX_DELAY to be coalesced.
     */
    private static Histogram probe(List<Ledger> ledgers, int probes, String key, boolean urgent)
            throws InterruptedException {
        Histogram h = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
        for (int i = 0; i < probes; i++) {
            int from = i % 3;
            Ledger src = ledgers.get(from);
            long expected = 1;
            long t0 = System.nanoTime();
            change(src, key, 1, urgent);
            for (int k = 1; k <= 2; k++) {
                Ledger dst = ledgers.get((from + k) % 3);
                while (dst.total(key) != expected) {
                    if (System.nanoTime() - t0 > PROBE_TIMEOUT_NANOS) {
                        throw new IllegalStateException("probe " + i + " not visible after 5 s");
                    }
                    Thread.onSpinWait();
                }
                h.recordValue(Math.min(System.nanoTime() - t0, h.getHighestTrackableValue()));
            }
            change(src, key, -1, urgent);
            for (Ledger l : ledgers) {
                while (l.total(key) != 0) {
                    if (System.nanoTime() - t0 > 2 * PROBE_TIMEOUT_NANOS) {
                        throw new IllegalStateException("probe " + i + " release not visible");
                    }
                    Thread.onSpinWait();
                }
            }
            Thread.sleep(0, 200_000); // probes apart: each one starts a new flush
        }
        return h;
    }

    private static void change(Ledger l, String key, long delta, boolean urgent) {
        l.update(tx -> {
            tx.add(key, delta);
            if (urgent) {
                tx.urgent();
            }
            return null;
        });
    }

    /** {@code rate} changes a second (book, and release 100 changes later) on 1,000 namespaces. */
    private static void load(Ledger l, int rate, int seed, AtomicBoolean loading, AtomicLong changes) {
        SplittableRandom random = new SplittableRandom(seed);
        long intervalNanos = TimeUnit.SECONDS.toNanos(1) / Math.max(1, rate);
        String[] held = new String[100];
        long next = System.nanoTime();
        long n = 0;
        while (loading.get()) {
            int slot = (int) (n % held.length);
            if (held[slot] != null) {
                l.add(held[slot], -1);
            }
            held[slot] = "n/load-" + random.nextInt(1_000);
            l.add(held[slot], 1);
            n++;
            changes.incrementAndGet();
            next += intervalNanos;
            long wait = next - System.nanoTime();
            if (wait > 0) {
                java.util.concurrent.locks.LockSupport.parkNanos(wait);
            }
        }
        for (String k : held) {
            if (k != null) {
                l.add(k, -1);
            }
        }
    }

    private static long usedHeapAfterGc() {
        var mem = ManagementFactory.getMemoryMXBean();
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return mem.getHeapMemoryUsage().getUsed();
    }

    private static JGroupsReplicator replicator(Ledger ledger, int port, String members, int count) {
        Map<String, String> vars = new HashMap<>();
        vars.put("CONTROLLER_ID", ledger.self().controllerId());
        vars.put("CLUSTER_NAME", "cluster-bench");
        vars.put("BIND_ADDR", "127.0.0.1");
        vars.put("CLUSTER_PORT", Integer.toString(port));
        vars.put("CLUSTER_MEMBERS", members);
        vars.put("CLUSTER_SECRET", "cluster-bench-secret");
        vars.put("CLUSTER_JOIN_WAIT", "500ms");
        vars.put("CONTROLLER_COUNT", Integer.toString(count));
        // the flush settings from this process's environment, as a controller would take them
        for (String v : new String[] {"CLUSTER_FLUSH_INTERVAL", "CLUSTER_FLUSH_MAX_DELAY"}) {
            if (System.getenv(v) != null) {
                vars.put(v, System.getenv(v));
            }
        }
        TransportSettings s = TransportSettings.from(new Env(vars));
        return new JGroupsReplicator(ledger, s, "http://127.0.0.1:3233", "http://127.0.0.1:3234", reason -> { });
    }

    private static void await(BooleanSupplier condition, int seconds, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("timed out after " + seconds + " s waiting for " + what);
            }
            Thread.sleep(20);
        }
    }

    /** A port p such that p and p + 100 (FD_SOCK2) are both free on 127.0.0.1. */
    private static int freePortPair() throws IOException {
        SplittableRandom random = new SplittableRandom();
        InetAddress lo = InetAddress.getByName("127.0.0.1");
        for (int i = 0; i < 200; i++) {
            int p = 20_000 + random.nextInt(30_000);
            if (bindable(p, lo) && bindable(p + 100, lo)) {
                return p;
            }
        }
        throw new IOException("no free port pair on 127.0.0.1");
    }

    private static boolean bindable(int port, InetAddress address) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(false);
            s.bind(new InetSocketAddress(address, port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
