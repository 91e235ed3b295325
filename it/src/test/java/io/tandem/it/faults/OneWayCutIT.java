package io.tandem.it.faults;

import static io.tandem.it.faults.Faults.FD_TIMEOUT;
import static io.tandem.it.faults.Faults.kv;
import static io.tandem.it.faults.Faults.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.tandem.it.harness.Wait;
import io.tandem.it.harness.netns.NetnsCluster;
import io.tandem.it.harness.netns.Traffic;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Scenario 3, a one-way cut: everything one controller (the "mute" one) sends to its two peers is dropped
 * (iptables DROP in its namespace, on the way out), what they send to it still arrives, while 24 clients drive ns1
 * (limit 16) through all three controllers; the mute one still reaches the invokers and the load reaches it. Held
 * longer than failure detection, then healed. Twice: with a member muted (c3, or c2 should c3 be the coordinator),
 * then with the coordinator muted.
 *
 * <p>What is expected: the peers hear nothing from the mute one, so their failure detection removes it; what the
 * mute one does is recorded, not prescribed (TCP needs both directions: its acknowledgements are dropped too, so
 * the peers' streams to it stall after the first window and it may lose them as well). After the heal the cluster
 * is one view of 3 again, not degraded, no request failed, the invariants hold and every accepted activation ran
 * exactly once. The figures line records every view change with its time from the cut, and what ran of ns1 at once
 * on the invokers in each phase (detection, the cut after detection, the merge).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class OneWayCutIT {
    private static final int LIMIT = 16;
    private static NetnsCluster cluster;

    @BeforeAll
    static void start() {
        Faults.requireNetns();
        cluster = new NetnsCluster(new NetnsCluster.Spec("OneWayCutIT").concurrencyLimit(LIMIT).fdTimeout(FD_TIMEOUT));
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

    private static long merges() {
        long n = 0;
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            n += c.metric("tandem_cluster_merges");
        }
        return n;
    }

    private static boolean without(NetnsCluster.Node c, NetnsCluster.Node mute) {
        String id = "controller" + mute.host().substring(1) + "@";
        return Faults.view(c).stream().noneMatch(inc -> inc.startsWith(id));
    }

    /** Scenario 3 with a member muted: what it sends to its two peers is dropped, the reverse open. */
    @Test
    @Order(1)
    void shouldRemoveAMuteMemberAndMergeItBackWhenTheOneWayCutHeals() {
        NetnsCluster.Node coordinator = Faults.coordinator(cluster, cluster.controller(1));
        NetnsCluster.Node mute = coordinator == cluster.controller(3) ? cluster.controller(2) : cluster.controller(3);
        oneWayCut("one-way-cut-member", mute);
    }

    /** Scenario 3 with the coordinator muted: the next in line has to take over while the coordinator hears all. */
    @Test
    @Order(2)
    void shouldRemoveAMuteCoordinatorAndMergeItBackWhenTheOneWayCutHeals() {
        oneWayCut("one-way-cut-coordinator", Faults.coordinator(cluster, cluster.controller(1)));
    }

    private static void oneWayCut(String scenario, NetnsCluster.Node mute) {
        List<NetnsCluster.Node> peers = new ArrayList<>(cluster.controllers());
        peers.remove(mute);
        String role = Faults.coordinator(cluster, mute) == mute ? "coordinator" : "member";
        Duration splitHold = Faults.full() ? Duration.ofSeconds(30) : Duration.ofSeconds(10);
        long mergesBefore = merges();
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = new Traffic(cluster, "ns1", 24, Duration.ofSeconds(180), 500_000);
        long detectMs;
        long cutMs;
        long mergeMs;
        long transitionMax;
        long splitMax;
        long mergeMax;
        String splitDetail;
        String muteAtHeal;
        String peersAtHeal;
        String changes;
        long muteAloneMs;
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            Faults.resetInvokerStats(cluster);
            try (ViewWatch watch = new ViewWatch(cluster, Duration.ofMillis(100), Duration.ofMinutes(4))) {
                long t0 = System.nanoTime();
                long cutAt = watch.now();
                for (NetnsCluster.Node p : peers) {
                    cluster.net().cutOneWay(mute.host(), p.host());
                }
                // The peers hear nothing from the mute one: their failure detection must remove it.
                Wait.until(FD_TIMEOUT.multipliedBy(4), Duration.ofMillis(100),
                        () -> peers.stream().allMatch(p -> without(p, mute)),
                        () -> "the peers to remove " + mute.host() + ", which they no longer hear: "
                                + Faults.describeViews(cluster));
                detectMs = ms(t0);
                // What was admitted under the old views ends within 120 ms: 2 s, then the cut after detection.
                long settled = System.nanoTime();
                Wait.until(Duration.ofSeconds(5), () -> ms(settled) >= 2000, "the admissions of the old views to end");
                transitionMax = Faults.maxRunning(cluster, "ns1");
                Faults.resetInvokerStats(cluster);
                long splitStart = System.nanoTime();
                Wait.until(splitHold.plusSeconds(10), Duration.ofMillis(500),
                        () -> ms(splitStart) >= splitHold.toMillis(),
                        () -> "the cut to hold " + splitHold.toMillis() + " ms after detection");
                splitMax = Faults.maxRunning(cluster, "ns1");
                splitDetail = Faults.maxRunningPerInvoker(cluster, "ns1");
                muteAtHeal = String.join(",", ViewWatch.members(mute));
                peersAtHeal = String.join(",", ViewWatch.members(peers.get(0))) + "/"
                        + String.join(",", ViewWatch.members(peers.get(1)));
                Faults.resetInvokerStats(cluster);
                cutMs = ms(t0);
                long t1 = System.nanoTime();
                cluster.net().healAll();
                Faults.awaitOneView(cluster, 3, Duration.ofSeconds(60));
                mergeMs = ms(t1);
                Wait.until(Duration.ofSeconds(30), () -> ms(t1) >= mergeMs + 2000,
                        "load to run 2 s in the merged cluster");
                mergeMax = Faults.maxRunning(cluster, "ns1");
                muteAloneMs = watch.first(mute.host(), c -> c.members().size() == 1);
                if (muteAloneMs >= 0) {
                    muteAloneMs -= cutAt;
                }
                changes = watch.describe();
            }
        }
        long mergesAfter = merges();
        Faults.figures(scenario, kv("fd_timeout_ms", FD_TIMEOUT.toMillis(),
                "cut", mute.host() + "->" + peers.get(0).host() + "," + peers.get(1).host(), "mute_was", role,
                "detect_ms", detectMs, "mute_alone_ms", muteAloneMs, "views_at_heal", peersAtHeal + "/" + muteAtHeal,
                "cut_ms", cutMs, "merge_ms", mergeMs, "merge_views", mergesAfter - mergesBefore,
                "views", changes, "failed", traffic.failed(), "limit", LIMIT,
                "max_running_detection", transitionMax, "max_running_cut", splitMax, "max_running_merge", mergeMax,
                "cut_per_invoker", splitDetail,
                "overshoot_detection", Math.max(0, transitionMax - LIMIT),
                "overshoot_cut", Math.max(0, splitMax - LIMIT),
                "overshoot_merge", Math.max(0, mergeMax - LIMIT),
                "statuses", traffic.statuses().toString().replace(" ", "")));
        long countedMs = Faults.awaitNotDegraded(cluster, Faults.COUNTED_BOUND);
        Faults.figures(scenario + "-counted", kv("all_rows_counted_ms", countedMs));
        assertEquals(0, traffic.failed(), "requests failed during a one-way cut: " + traffic.failureSamples());
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, List.of());
        Faults.figures(scenario + "-accounting", kv("accepted", r.accepted(), "ran", r.ran(),
                "unanswered", r.unanswered()));
    }

    @Test
    @Order(10)
    void shouldLogNoErrors() {
        Faults.assertNoErrorsLogged(cluster);
    }
}
