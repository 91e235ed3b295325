package io.tandem.it.faults;

import static io.tandem.it.faults.Faults.FD_TIMEOUT;
import static io.tandem.it.faults.Faults.kv;
import static io.tandem.it.faults.Faults.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.it.harness.Wait;
import io.tandem.it.harness.netns.NetnsCluster;
import io.tandem.it.harness.netns.Traffic;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Partitions between controller hosts: three controllers (hosts c1-c3) and two invokers (i1, i2), each in its own
 * network namespace, under steady load through all three controllers (the load, like a front load balancer, reaches
 * both sides of a split, and so do the invokers: the cut is between controllers only). Namespace ns1 has a
 * concurrency limit of 16: a split 2/1 leaves the sides 10 and 5
 * (floor of 2/3 and 1/3 of it), 15 together.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PartitionIT {
    private static final int LIMIT = 16;
    private static NetnsCluster cluster;

    @BeforeAll
    static void start() {
        Faults.requireNetns();
        cluster = new NetnsCluster(new NetnsCluster.Spec("PartitionIT").concurrencyLimit(LIMIT).fdTimeout(FD_TIMEOUT));
        cluster.start().awaitReady(Duration.ofSeconds(90));
        Faults.awaitOneView(cluster, 3, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    @AfterEach
    void healEverything() {
        if (cluster != null) {
            cluster.net().healAll();
        }
    }

    private static Traffic load(Duration max) {
        return new Traffic(cluster, "ns1", 24, max, 200_000);
    }

    /** Scenario 2: c3 cut off from c1 and c2 for a quarter of the FD_ALL3 timeout: nobody is removed. */
    @Test
    @Order(1)
    void shouldKeepEveryoneThroughASplitShorterThanFailureDetection() {
        Map<String, String> viewIds = Map.of("c1", Faults.viewId(cluster.controller(1)),
                "c2", Faults.viewId(cluster.controller(2)), "c3", Faults.viewId(cluster.controller(3)));
        Duration cutFor = FD_TIMEOUT.dividedBy(4);
        long maxRunning;
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = load(Duration.ofSeconds(60));
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            Faults.resetInvokerStats(cluster);
            long t0 = System.nanoTime();
            cluster.net().partition(List.of("c1", "c2"), List.of("c3"));
            // Hold the cut for cutFor, checking all the while that every view still holds three.
            Wait.until(cutFor.plusSeconds(5), Duration.ofMillis(200), () -> {
                assertTrue(Faults.oneView(cluster, 3), "a view changed during a short cut: "
                        + Faults.describeViews(cluster));
                return ms(t0) >= cutFor.toMillis();
            }, () -> "the short cut to last " + cutFor.toMillis() + " ms");
            cluster.net().healAll();
            // Past the FD_ALL3 timeout from the cut: still the same view everywhere.
            Wait.until(FD_TIMEOUT.plusSeconds(10), Duration.ofMillis(200), () -> {
                assertTrue(Faults.oneView(cluster, 3), "a view changed after a short cut: "
                        + Faults.describeViews(cluster));
                return ms(t0) >= FD_TIMEOUT.toMillis() + 2000;
            }, () -> "FD_ALL3 timeout + 2 s after the short cut");
            maxRunning = Faults.maxRunning(cluster, "ns1");
            String perInvoker = Faults.maxRunningPerInvoker(cluster, "ns1");
            Faults.figures("short-split", kv("cut_ms", cutFor.toMillis(), "observed_ms", ms(t0),
                    "requests", traffic.statuses().values().stream().mapToLong(Long::longValue).sum(),
                    "failed", traffic.failed(), "max_running", maxRunning, "limit", LIMIT,
                    "overshoot", Math.max(0, maxRunning - LIMIT), "per_invoker", perInvoker,
                    "statuses", traffic.statuses().toString()
                            .replace(" ", "")));
        }
        for (int i = 1; i <= 3; i++) {
            assertEquals(viewIds.get("c" + i), Faults.viewId(cluster.controller(i)), "c" + i + " installed a new view");
        }
        assertEquals(0, traffic.failed(), "requests failed during a short cut: " + traffic.failureSamples());
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, List.of());
        Faults.figures("short-split-accounting", kv("accepted", r.accepted(), "ran", r.ran(),
                "unanswered", r.unanswered()));
    }

    /**
     * Scenario 1: c3 cut off from c1 and c2 for longer than failure detection: both sides notice, each admits its
     * degraded share so that together they stay within the limit, and once healed they merge into one cluster.
     */
    @Test
    @Order(2)
    void shouldDetectALongSplitStayWithinTheLimitAndMergeWhenHealed() {
        long mergesBefore = cluster.controller(1).metric("tandem_cluster_merges")
                + cluster.controller(3).metric("tandem_cluster_merges");
        Duration hold = Faults.full() ? Duration.ofSeconds(30) : Duration.ofSeconds(6);
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = load(Duration.ofSeconds(120));
        long detectMs;
        long mergeMs;
        long transitionMax;
        long splitMax;
        long mergeMax;
        String splitDetail;
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            Faults.resetInvokerStats(cluster);
            long t0 = System.nanoTime();
            cluster.net().partition(List.of("c1", "c2"), List.of("c3"));
            Wait.until(FD_TIMEOUT.multipliedBy(4), Duration.ofMillis(100),
                    () -> Faults.view(cluster.controller(1)).size() == 2
                            && Faults.view(cluster.controller(2)).size() == 2
                            && Faults.view(cluster.controller(3)).size() == 1,
                    () -> "views 2 and 1 after the split: " + Faults.describeViews(cluster));
            detectMs = ms(t0);
            for (NetnsCluster.Node c : cluster.controllers()) {
                assertTrue(c.clusterInfo().get("degraded").getAsBoolean(), c.host() + " says degraded");
            }
            // Activations admitted under the full view end within 120 ms: give them 2 s, then measure the split.
            long settled = System.nanoTime();
            Wait.until(Duration.ofSeconds(5), () -> ms(settled) >= 2000, "the admissions of the whole view to end");
            transitionMax = Faults.maxRunning(cluster, "ns1");
            Faults.resetInvokerStats(cluster);
            long splitStart = System.nanoTime();
            Wait.until(hold.plusSeconds(10), Duration.ofMillis(500), () -> {
                assertTrue(Faults.view(cluster.controller(3)).size() == 1
                        && Faults.view(cluster.controller(1)).size() == 2, "the split held");
                return ms(splitStart) >= hold.toMillis();
            }, () -> "the split to hold " + hold.toMillis() + " ms");
            splitMax = Faults.maxRunning(cluster, "ns1");
            splitDetail = Faults.maxRunningPerInvoker(cluster, "ns1");
            Faults.resetInvokerStats(cluster);
            long t1 = System.nanoTime();
            cluster.net().healAll();
            Faults.awaitOneView(cluster, 3, Duration.ofSeconds(60));
            mergeMs = ms(t1);
            Wait.until(Duration.ofSeconds(30), () -> traffic.count(200) > 0 && ms(t1) >= mergeMs + 2000,
                    "load to run 2 s in the merged cluster");
            mergeMax = Faults.maxRunning(cluster, "ns1");
        }
        long mergesAfter = cluster.controller(1).metric("tandem_cluster_merges")
                + cluster.controller(3).metric("tandem_cluster_merges");
        Faults.figures("long-split", kv("fd_timeout_ms", FD_TIMEOUT.toMillis(), "detect_ms", detectMs,
                "hold_ms", hold.toMillis(), "merge_ms", mergeMs, "failed", traffic.failed(),
                "limit", LIMIT, "max_running_detection", transitionMax, "max_running_split", splitMax,
                "max_running_merge", mergeMax, "split_per_invoker", splitDetail,
                "overshoot_split", Math.max(0, splitMax - LIMIT),
                "overshoot_detection", Math.max(0, transitionMax - LIMIT),
                "overshoot_merge", Math.max(0, mergeMax - LIMIT),
                "statuses", traffic.statuses().toString().replace(" ", "")));
        assertTrue(mergesAfter > mergesBefore, "a MergeView was installed");
        assertTrue(splitMax <= LIMIT, "during the split the two sides together ran " + splitMax
                + " activations of ns1 at once, above the limit " + LIMIT);
        long countedMs = Faults.awaitNotDegraded(cluster, Faults.COUNTED_BOUND);
        Faults.figures("long-split-counted", kv("all_rows_counted_ms", countedMs));
        assertEquals(0, traffic.failed(), "requests failed during the split: " + traffic.failureSamples());
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, List.of());
        Faults.figures("long-split-accounting", kv("accepted", r.accepted(), "ran", r.ran(),
                "unanswered", r.unanswered()));
    }

    /** Scenario 10: c3 cut off from its peers for three minutes (alone from 30 s on), then reconnected: it merges. */
    @Test
    @Order(3)
    @Tag("long")
    void shouldMergeBackAfterMinutesOfIsolation() {
        Faults.requireFull();
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = new Traffic(cluster, "ns1", 12, Duration.ofMinutes(5), 2_000_000);
        long mergeMs;
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 50, "load running");
            long t0 = System.nanoTime();
            cluster.net().partition(List.of("c1", "c2"), List.of("c3"));
            Wait.until(Duration.ofMinutes(4), Duration.ofSeconds(1), () -> {
                if (ms(t0) > 30_000) {
                    assertEquals(1, Faults.view(cluster.controller(3)).size(), "c3 stays alone");
                }
                return ms(t0) >= 180_000;
            }, () -> "three minutes of isolation");
            long t1 = System.nanoTime();
            cluster.net().healAll();
            Faults.awaitOneView(cluster, 3, Duration.ofSeconds(90));
            mergeMs = ms(t1);
        }
        Faults.figures("isolation-3min", kv("merge_ms", mergeMs, "failed", traffic.failed(),
                "statuses", traffic.statuses().toString().replace(" ", "")));
        assertEquals(0, traffic.failed(), "requests failed: " + traffic.failureSamples());
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.reconcile(cluster, traffic, before, List.of());
    }

    @Test
    @Order(10)
    void shouldLogNoErrors() {
        Faults.assertNoErrorsLogged(cluster);
    }
}
