package io.tandem.bench;

import io.tandem.core.activation.ActionSpec;
import io.tandem.core.admission.Balancer;
import io.tandem.core.admission.Decision;
import io.tandem.core.admission.HeadroomPacer;
import io.tandem.core.admission.Limits;
import io.tandem.core.admission.NamespaceLimits;
import io.tandem.core.admission.SharePolicy;
import io.tandem.core.admission.Ticket;
import io.tandem.core.invoker.Invoker;
import io.tandem.core.invoker.InvokerPool;
import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * The invoke path of one controller, as {@code core} runs it: {@link Balancer#admit} (per-minute window,
 * namespace concurrency and system overload checks, the sharding walk, booking) followed by
 * {@link Balancer#release}; and {@link Ledger#drain()}, which the delta flusher calls every
 * {@code CLUSTER_FLUSH_INTERVAL} (2 ms by default) under the same monitor the invoke path takes.
 *
 * <p><b>Setup.</b> Clustering on with the whole expected view ({@code SharePolicy.clustered(() -> 3, 3)}), 10 healthy
 * invokers, pacing on (a 10 ms {@code HeadroomPacer} window), one action of 256 MB. Every namespace is pre-populated with one activation that stays in flight, so with
 * 100,000 namespaces the ledger holds 100,000 namespace keys (plus the per-minute keys, once touched) and every
 * lookup runs against maps of that size. Limits are set high enough that every measured activation is admitted on
 * its home invoker and the pacer (which still runs its per-namespace window bookkeeping) never holds one back: the figures are the cost of the accepting path, the one that runs at full load. Each benchmark
 * thread walks the namespaces round robin from its own offset.
 *
 * <p>In the admission benchmarks the per-minute window advances by one minute before each iteration and the
 * windows before it are expired, as the controller's housekeeping does; otherwise a single namespace would reach its
 * per-minute limit (an {@code int}) within a long run. Nothing drains the ledger while they run (the flusher's work is
 * {@link #drain}, measured apart), so their pending delta keeps one per-minute key per namespace touched.
 *
 * <p>{@link #drain} is measured twice: with a pending delta that never held more than a batch, and after a minute
 * window expired ({@code afterMinuteExpiry}): {@link Ledger#expireMinuteWindows} then puts one change per namespace
 * into the pending delta at once, {@link java.util.HashMap} never shrinks its table again, and clearing or iterating
 * it costs its capacity, not its size.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class HotPathBenchmark {
    static final int INVOKERS = 10;
    static final ActionSpec ACTION = new ActionSpec("echo", "echo", 256, 60_000);
    /** Activations that start and end during the drain benchmark, in flight on top of the pre-populated ones. */
    static final int MOVING_IN_FLIGHT = 512;
    private static final long START_MS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    private static final int FLUSH_EVERY = 32;

    /**
     * One controller's core: ledger, invoker pool, balancer, and one activation held in flight in every namespace.
     * Not a JMH state itself; the states below build one each.
     */
    static final class Node {
        final String[] names;
        final Ledger ledger;
        final Balancer balancer;
        /** The current time; the clock the balancer reads. */
        volatile long nowMs = START_MS;

        /** Pre-populates every namespace, draining every {@value #FLUSH_EVERY} admissions as the flusher would. */
        Node(int namespaces) {
            names = new String[namespaces];
            for (int i = 0; i < namespaces; i++) {
                names[i] = "ns-" + String.valueOf(1_000_000 + i).substring(1); // ns-000042
            }
            List<Invoker> invokers = new ArrayList<>();
            for (int i = 0; i < INVOKERS; i++) {
                // room for every activation without forcing: the walk stops at the home invoker
                invokers.add(new Invoker(String.format("inv-%02d", i), "http://invoker-" + i + ":8080", 64_000_000));
            }
            InvokerPool pool = new InvokerPool(invokers, 10_000);
            for (int i = 0; i < pool.size(); i++) {
                pool.onCheckOk(i, START_MS);
            }
            ledger = new Ledger(new Incarnation("bench-0", START_MS, 1));
            Limits limits = new Limits(new NamespaceLimits(1_000_000, Integer.MAX_VALUE), Map.of(), 10_000_000);
            balancer = new Balancer(ledger, pool, limits, SharePolicy.clustered(() -> 3, 3), () -> nowMs,
                    new SplittableRandom(42), new HeadroomPacer(10));
            for (int i = 0; i < namespaces; i++) {
                admitted(balancer.admit(names[i], ACTION));
                if (i % FLUSH_EVERY == FLUSH_EVERY - 1) {
                    ledger.drain();
                }
            }
            ledger.drain();
        }

        /** A new minute window, and the windows before the previous one expired (as the controller does). */
        void nextMinute() {
            nowMs += 60_000;
            ledger.expireMinuteWindows(Math.floorDiv(nowMs, 60_000));
            ledger.drain();
        }
    }

    /** The controller the admission benchmarks share between their threads. */
    @State(Scope.Benchmark)
    public static class Controller {
        /** Distinct namespaces the activations are spread over. */
        @Param({"1", "100000"})
        public int namespaces;

        Node node;

        @Setup(Level.Trial)
        public void setUp() {
            node = new Node(namespaces);
        }

        /**
         * A new minute per iteration, so that no namespace reaches its per-minute limit (an {@code int}) however
         * long the run; measured activations then create the new window's keys as real ones do.
         */
        @Setup(Level.Iteration)
        public void nextMinute() {
            node.nextMinute();
        }
    }

    /** One benchmark thread's position in the namespace walk. */
    @State(Scope.Thread)
    public static class Cursor {
        int next;

        @Setup(Level.Trial)
        public void setUp(Controller c, ThreadParams threads) {
            next = (int) ((long) c.namespaces * threads.getThreadIndex() / threads.getThreadCount());
        }

        String nextNamespace(Controller c) {
            String ns = c.node.names[next];
            if (++next == c.node.names.length) {
                next = 0;
            }
            return ns;
        }
    }

    /**
     * A controller whose flusher is measured, and what one flush interval leaves pending: {@code activationsPerBatch}
     * activations started and as many ended. {@value #MOVING_IN_FLIGHT} activations are in flight besides the
     * pre-populated ones; each step ends the oldest and starts one in the next namespace, so with many namespaces a
     * batch carries about three keys per activation (the started namespace and its per-minute key up, the ended
     * namespace down); with one namespace the ups and downs cancel and only its per-minute key remains.
     */
    @State(Scope.Thread)
    public static class Flusher {
        /** Distinct namespaces the activations are spread over. */
        @Param({"1", "100000"})
        public int namespaces;

        /** Activations started (and ended) between two drains: 32 is 2 ms at 16,000 activations/s. */
        @Param({"32", "256"})
        public int activationsPerBatch;

        /**
         * True when the per-minute window in which every namespace was touched has expired, as it does once a minute
         * in a running controller: the pending delta then held one change per namespace before a drain.
         */
        @Param({"false", "true"})
        public boolean afterMinuteExpiry;

        Node node;
        Ticket[] moving;
        int oldest;
        int nextNamespace;

        @Setup(Level.Trial)
        public void setUp() {
            node = new Node(namespaces);
            if (afterMinuteExpiry) {
                node.nextMinute();
                node.nextMinute();
            }
            moving = new Ticket[MOVING_IN_FLIGHT];
            for (int i = 0; i < MOVING_IN_FLIGHT; i++) {
                moving[i] = admitted(node.balancer.admit(node.names[nextNamespace], ACTION));
                nextNamespace = (nextNamespace + 1) % namespaces;
            }
            node.ledger.drain();
        }

        @Setup(Level.Invocation)
        public void fill() {
            for (int k = 0; k < activationsPerBatch; k++) {
                node.balancer.release(moving[oldest]);
                moving[oldest] = admitted(node.balancer.admit(node.names[nextNamespace], ACTION));
                nextNamespace = (nextNamespace + 1) % namespaces;
                oldest = (oldest + 1) % MOVING_IN_FLIGHT;
            }
        }
    }

    /** One activation: admit (checks, walk, booking) and release, on one thread. */
    @Benchmark
    public Ticket admitRelease(Controller c, Cursor cursor) {
        return activation(c, cursor);
    }

    /** The same with two threads contending for the ledger's monitor (this machine has 2 cores). */
    @Benchmark
    @Threads(2)
    public Ticket admitReleaseTwoThreads(Controller c, Cursor cursor) {
        return activation(c, cursor);
    }

    /**
     * The flusher's share: turn one flush interval's pending changes into the next {@link DeltaBatch}. The ledger's
     * monitor is held throughout, so this is also how long an admission may wait behind a flush. Measured per batch.
     */
    @Benchmark
    public DeltaBatch drain(Flusher f) {
        return f.node.ledger.drain();
    }

    static Ticket activation(Controller c, Cursor cursor) {
        Balancer balancer = c.node.balancer;
        Ticket t = admitted(balancer.admit(cursor.nextNamespace(c), ACTION));
        balancer.release(t);
        return t;
    }

    /** The ticket of an admission; anything else means the benchmark is measuring the wrong path. */
    static Ticket admitted(Decision d) {
        if (d instanceof Decision.Admitted a && !a.ticket().forced()) {
            return a.ticket();
        }
        throw new IllegalStateException("benchmark expects an admission on a free invoker, got " + d);
    }
}
