package io.tandem.it.faults;

import static io.tandem.it.faults.Faults.FD_TIMEOUT;
import static io.tandem.it.faults.Faults.kv;
import static io.tandem.it.faults.Faults.ms;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Controller crashes: three controllers (hosts c1-c3) and two invokers under steady load through every controller
 * in rotation. A killed controller leaves the rotation at once (as a front load balancer's failed check would);
 * requests in flight on it fail, and are counted.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ControllerCrashIT {
    private static final int LIMIT = 16;
    /** Stated bound: two incarnations of one controller id share a view for at most this long. */
    private static final Duration DUPLICATE_BOUND = FD_TIMEOUT.dividedBy(2);
    private static NetnsCluster cluster;

    @BeforeAll
    static void start() {
        Faults.requireNetns();
        cluster = new NetnsCluster(new NetnsCluster.Spec("ControllerCrashIT").concurrencyLimit(LIMIT)
                .fdTimeout(FD_TIMEOUT));
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

    /** Scenario 6: kill -9 of the coordinator under load; the survivors carry on, then it comes back. */
    @Test
    @Order(1)
    void shouldCarryOnWhenTheCoordinatorIsKilled() {
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = new Traffic(cluster, "ns1", 24, Duration.ofSeconds(90), 200_000);
        long detectMs;
        long rejoinMs;
        String victim;
        long failedAtKill;
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            NetnsCluster.Node coord = Faults.coordinator(cluster, cluster.controller(1));
            victim = coord.host();
            String dead = coord.incarnation();
            long t0 = System.nanoTime();
            coord.kill9();
            Faults.awaitOneView(cluster, 2, FD_TIMEOUT.multipliedBy(4));
            detectMs = ms(t0);
            for (NetnsCluster.Node c : cluster.liveControllers()) {
                Wait.until(Duration.ofSeconds(10), () -> !Faults.rows(c).containsKey(dead),
                        c.host() + " drops the row of " + dead);
            }
            long settled = System.nanoTime();
            Wait.until(Duration.ofSeconds(10), () -> ms(settled) > 2000 && traffic.count(200) > 0,
                    "2 s of load on the survivors");
            failedAtKill = traffic.failed();
            long t1 = System.nanoTime();
            coord.start().awaitReady(Duration.ofSeconds(60));
            Faults.awaitOneView(cluster, 3, Duration.ofSeconds(30));
            rejoinMs = ms(t1);
        }
        Faults.figures("kill-coordinator", kv("victim", victim, "detect_ms", detectMs, "rejoin_ms", rejoinMs,
                "failed_at_kill", failedAtKill, "failed", traffic.failed(),
                "statuses", traffic.statuses().toString().replace(" ", "")));
        // Requests in flight on the killed controller fail; that is all that may fail (24 workers at most).
        assertTrue(traffic.failed() <= 24, "failures beyond the requests in flight on the victim: "
                + traffic.statuses() + " " + traffic.failureSamples());
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, List.of());
        Faults.figures("kill-coordinator-accounting", kv("accepted", r.accepted(), "ran", r.ran(),
                "unanswered", r.unanswered()));
    }

    /**
     * Scenario 7: kill -9 and an immediate restart on the same address, round after round (3 in CI, 10 in the full
     * suite), every other round with the host cut off from its peers just before the kill so that they never see
     * its sockets close. Two incarnations of one id never share a view longer than {@link #DUPLICATE_BOUND}; the
     * cluster ends whole.
     */
    @Test
    @Order(2)
    void shouldReplaceTheGhostOfARestartedControllerEveryRound() {
        int rounds = Faults.full() ? 10 : 3;
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = new Traffic(cluster, "ns1", 24, Duration.ofMinutes(10), 2_000_000);
        List<Long> duplicateMs = new ArrayList<>();
        List<Long> ghostGoneMs = new ArrayList<>();
        List<Long> wholeMs = new ArrayList<>();
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            for (int round = 0; round < rounds; round++) {
                NetnsCluster.Node victim = cluster.controller(1 + round % 3);
                boolean cutFirst = round % 2 == 1;
                String ghost = victim.incarnation();
                if (cutFirst) {
                    victim.setInRotation(false);
                    cluster.net().isolate(victim.host());
                }
                victim.kill9();
                cluster.net().healAll();
                long t0 = System.nanoTime();
                victim.start();
                long[] firstDup = {-1};
                long[] longestDup = {0};
                long[] ghostGone = {-1};
                String label = "round " + round + (cutFirst ? " (cut first)" : "") + " of " + victim.host();
                Wait.until(Duration.ofSeconds(90), Duration.ofMillis(100), () -> {
                    boolean dup = false;
                    boolean ghostSeen = false;
                    for (NetnsCluster.Node c : cluster.liveControllers()) {
                        if (c == victim) {
                            continue;
                        }
                        Set<String> ids = Faults.duplicateIds(c);
                        dup |= !ids.isEmpty();
                        ghostSeen |= Faults.view(c).contains(ghost) || Faults.rows(c).containsKey(ghost);
                    }
                    long now = ms(t0);
                    if (dup && firstDup[0] < 0) {
                        firstDup[0] = now;
                    } else if (!dup && firstDup[0] >= 0) {
                        longestDup[0] = Math.max(longestDup[0], now - firstDup[0]);
                        firstDup[0] = -1;
                    }
                    if (dup) {
                        assertTrue(now - firstDup[0] <= DUPLICATE_BOUND.toMillis(), label + ": two incarnations of "
                                + "one id in a view for over " + DUPLICATE_BOUND.toMillis() + " ms: "
                                + Faults.describeViews(cluster));
                    }
                    if (!ghostSeen && ghostGone[0] < 0) {
                        ghostGone[0] = now;
                    }
                    return ghostGone[0] >= 0 && !dup && victim.ready() && Faults.oneView(cluster, 3);
                }, () -> label + ": the ghost gone and one view of 3: " + Faults.describeViews(cluster));
                victim.setInRotation(true);
                duplicateMs.add(longestDup[0]);
                ghostGoneMs.add(ghostGone[0]);
                wholeMs.add(ms(t0));
            }
        }
        Faults.figures("restart-same-address", kv("rounds", rounds, "duplicate_bound_ms", DUPLICATE_BOUND.toMillis(),
                "max_duplicate_ms", duplicateMs.stream().mapToLong(Long::longValue).max().orElse(0),
                "duplicate_ms", duplicateMs.toString().replace(" ", ""),
                "ghost_gone_ms", ghostGoneMs.toString().replace(" ", ""),
                "whole_again_ms", wholeMs.toString().replace(" ", ""),
                "failed", traffic.failed(), "statuses", traffic.statuses().toString().replace(" ", "")));
        Faults.awaitOneView(cluster, 3, Duration.ofSeconds(10));
        long countedMs = Faults.awaitNotDegraded(cluster, Faults.COUNTED_BOUND);
        Faults.figures("restart-same-address-counted", kv("all_rows_counted_ms", countedMs));
        assertTrue(traffic.failed() <= 24L * rounds, "failures beyond the requests in flight on the victims: "
                + traffic.statuses() + " " + traffic.failureSamples());
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, List.of());
        Faults.figures("restart-same-address-accounting", kv("accepted", r.accepted(), "ran", r.ran(),
                "unanswered", r.unanswered()));
    }

    /**
     * Scenario 5: c3 paused (SIGSTOP) for longer than failure detection under load, then resumed (SIGCONT): the
     * others remove it and carry on, and it merges back.
     */
    @Test
    @Order(3)
    void shouldRemoveAPausedControllerAndMergeItBackWhenResumed() {
        NetnsCluster.Node paused = cluster.controller(3);
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = new Traffic(cluster, "ns1", 24, Duration.ofSeconds(120), 300_000);
        long detectMs;
        long mergeMs;
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            paused.setInRotation(false);
            long t0 = System.nanoTime();
            paused.proc().pause();
            try {
                Wait.until(FD_TIMEOUT.multipliedBy(4), Duration.ofMillis(100),
                        () -> Faults.view(cluster.controller(1)).size() == 2
                                && Faults.view(cluster.controller(2)).size() == 2,
                        () -> "c1 and c2 to remove the paused c3: " + Faults.describeViews(cluster));
                detectMs = ms(t0);
            } finally {
                paused.proc().resume();
            }
            long t1 = System.nanoTime();
            Faults.awaitOneView(cluster, 3, Duration.ofSeconds(60));
            mergeMs = ms(t1);
            paused.awaitReady(Duration.ofSeconds(30));
        }
        Faults.figures("pause", kv("fd_timeout_ms", FD_TIMEOUT.toMillis(), "detect_ms", detectMs, "merge_ms", mergeMs,
                "failed", traffic.failed(), "statuses", traffic.statuses().toString().replace(" ", "")));
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, List.of());
        Faults.figures("pause-accounting", kv("accepted", r.accepted(), "ran", r.ran(), "unanswered", r.unanswered()));
    }

    @Test
    @Order(10)
    void shouldLogNoErrors() {
        Faults.assertNoErrorsLogged(cluster);
    }
}
