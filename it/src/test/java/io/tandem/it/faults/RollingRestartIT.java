package io.tandem.it.faults;

import static io.tandem.it.faults.Faults.FD_TIMEOUT;
import static io.tandem.it.faults.Faults.kv;
import static io.tandem.it.faults.Faults.ms;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Scenario 8, a rolling restart under load: c1, then c2, then c3 get SIGTERM (the graceful leave of DESIGN.md:
 * {@code /ready} turns 503 at once, admissions go on for {@code DEREGISTRATION_DELAY}, in-flight work drains, the
 * controller leaves the channel and exits); once it has exited it is started again on the same address, and the
 * next one goes only when it is ready and the cluster is one view of 3 again.
 *
 * <p>The load stands behind a load balancer: the cluster checks every controller's {@code /ready} every
 * {@link #CHECK_INTERVAL} and the load sends only to controllers whose last check answered 200
 * ({@link NetnsCluster.Spec#readinessChecks}). {@code DEREGISTRATION_DELAY} is 2 s, ten check intervals, so the
 * balancer has taken a leaving controller out of rotation well before it stops admitting. Then no request may see a
 * 5xx or a connection failure, except (the bound the scenario holds) one that was already in flight on the
 * controller being stopped when it got SIGTERM; the drain should answer even those.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RollingRestartIT {
    private static final int LIMIT = 16;
    private static final Duration CHECK_INTERVAL = Duration.ofMillis(200);
    private static final Duration DEREGISTRATION_DELAY = Duration.ofSeconds(2);
    /** NetnsCluster's DRAIN_TIMEOUT. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(10);
    private static NetnsCluster cluster;

    @BeforeAll
    static void start() {
        Faults.requireNetns();
        cluster = new NetnsCluster(new NetnsCluster.Spec("RollingRestartIT").concurrencyLimit(LIMIT)
                .fdTimeout(FD_TIMEOUT).readinessChecks(CHECK_INTERVAL)
                .controllerEnv("DEREGISTRATION_DELAY", DEREGISTRATION_DELAY.toMillis() + "ms")
                .controllerEnv("DRAIN_TIMEOUT", DRAIN_TIMEOUT.toMillis() + "ms"));
        cluster.start().awaitReady(Duration.ofSeconds(90));
        Faults.awaitOneView(cluster, 3, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static boolean viewWithout(NetnsCluster.Node c, String incarnation) {
        Set<String> v = Faults.view(c);
        return v.size() == 2 && !v.contains(incarnation);
    }

    /** Scenario 8: every controller in turn gracefully stopped and started again, under load. */
    @Test
    @Order(1)
    void shouldAnswerEveryRequestThroughARollingRestart() {
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = new Traffic(cluster, "ns1", 24, Duration.ofMinutes(5), 2_000_000);
        List<String> roles = new ArrayList<>();
        List<Long> outMs = new ArrayList<>();
        List<Long> exitMs = new ArrayList<>();
        List<Long> leftMs = new ArrayList<>();
        List<Long> readyMs = new ArrayList<>();
        List<Long> wholeMs = new ArrayList<>();
        /** Per round: the victim and the nanoTime of its SIGTERM, to tell in-flight failures from the others. */
        List<String> victims = new ArrayList<>();
        List<Long> termAt = new ArrayList<>();
        long maxRunning;
        String perInvoker;
        String changes;
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            Faults.resetInvokerStats(cluster);
            try (ViewWatch watch = new ViewWatch(cluster, Duration.ofMillis(100), Duration.ofMinutes(5))) {
                for (int i = 1; i <= 3; i++) {
                    NetnsCluster.Node victim = cluster.controller(i);
                    String label = "round " + i + " (" + victim.host() + ")";
                    String old = victim.incarnation();
                    roles.add(Faults.coordinator(cluster, victim) == victim ? "coordinator" : "member");
                    List<NetnsCluster.Node> peers = new ArrayList<>(cluster.liveControllers());
                    peers.remove(victim);
                    long leavesBefore = victim.proc().countLogLines("event=shutdown-done");
                    long drainTimeoutsBefore = victim.proc().countLogLines("event=drain-timeout");
                    long t0 = System.nanoTime();
                    victims.add(victim.host());
                    termAt.add(t0);
                    victim.proc().term();
                    // The balancer's check sees /ready turn 503 and takes it out of rotation.
                    Wait.until(DEREGISTRATION_DELAY, Duration.ofMillis(20), () -> !victim.inRotation(),
                            () -> label + ": out of rotation within DEREGISTRATION_DELAY of SIGTERM");
                    outMs.add(ms(t0));
                    assertTrue(victim.proc().waitExit(DEREGISTRATION_DELAY.plus(DRAIN_TIMEOUT).plusSeconds(15)),
                            label + ": the controller exits after its graceful leave");
                    exitMs.add(ms(t0));
                    // A graceful leave: the peers install a view without it at once, not after failure detection.
                    Wait.until(FD_TIMEOUT.dividedBy(2), Duration.ofMillis(50),
                            () -> peers.stream().allMatch(p -> viewWithout(p, old)),
                            () -> label + ": the peers in a view of 2 without " + old + ": "
                                    + Faults.describeViews(cluster));
                    leftMs.add(ms(t0));
                    assertEquals(leavesBefore + 1, victim.proc().countLogLines("event=shutdown-done"),
                            label + ": the log shows the graceful leave done (" + victim.proc().log() + ")");
                    assertEquals(drainTimeoutsBefore, victim.proc().countLogLines("event=drain-timeout"),
                            label + ": everything in flight drained within DRAIN_TIMEOUT");
                    for (NetnsCluster.Node p : peers) {
                        Wait.until(Duration.ofSeconds(5), Duration.ofMillis(100),
                                () -> !Faults.rows(p).containsKey(old),
                                () -> label + ": " + p.host() + " drops the row of " + old);
                    }
                    long t1 = System.nanoTime();
                    victim.start().awaitReady(Duration.ofSeconds(90));
                    readyMs.add(ms(t1));
                    Faults.awaitOneView(cluster, 3, Duration.ofSeconds(30));
                    wholeMs.add(ms(t1));
                    Wait.until(Duration.ofSeconds(5), victim::inRotation, label + ": back in rotation");
                    long okBefore = traffic.ok(victim.host());
                    Wait.until(Duration.ofSeconds(20), () -> traffic.ok(victim.host()) > okBefore + 20,
                            label + ": the restarted controller answers the load");
                }
                maxRunning = Faults.maxRunning(cluster, "ns1");
                perInvoker = Faults.maxRunningPerInvoker(cluster, "ns1");
                changes = watch.describe();
            }
        }
        // Failures allowed: only requests sent to a victim before its SIGTERM and ended after it (in flight then).
        int inFlight = 0;
        List<Traffic.Failure> others = new ArrayList<>();
        for (Traffic.Failure f : traffic.failures()) {
            int round = victims.indexOf(f.host());
            if (round >= 0 && f.sentNanos() < termAt.get(round) && f.endedNanos() >= termAt.get(round)) {
                inFlight++;
            } else {
                others.add(f);
            }
        }
        Faults.figures("rolling-restart", kv("check_interval_ms", CHECK_INTERVAL.toMillis(),
                "deregistration_delay_ms", DEREGISTRATION_DELAY.toMillis(), "order", String.join(",", victims),
                "roles", String.join(",", roles),
                "out_of_rotation_ms", outMs.toString().replace(" ", ""),
                "exit_ms", exitMs.toString().replace(" ", ""), "left_ms", leftMs.toString().replace(" ", ""),
                "ready_ms", readyMs.toString().replace(" ", ""), "whole_ms", wholeMs.toString().replace(" ", ""),
                "failed", traffic.failed(), "failed_in_flight", inFlight, "failed_other", others.size(),
                "limit", LIMIT, "max_running", maxRunning, "overshoot", Math.max(0, maxRunning - LIMIT),
                "per_invoker", perInvoker, "views", changes,
                "statuses", traffic.statuses().toString().replace(" ", "")));
        assertTrue(traffic.failed() <= Traffic.MAX_FAILURES, "too many failures to classify: " + traffic.statuses());
        assertTrue(others.isEmpty(), others.size() + " requests failed that were not in flight on a controller"
                + " being stopped: " + others.subList(0, Math.min(10, others.size())));
        for (NetnsCluster.Node c : cluster.controllers()) {
            assertFalse(c.clusterInfo().get("degraded").getAsBoolean(), c.host() + " is whole");
        }
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, List.of());
        Faults.figures("rolling-restart-accounting", kv("accepted", r.accepted(), "ran", r.ran(),
                "unanswered", r.unanswered()));
    }

    @Test
    @Order(10)
    void shouldLogNoErrors() {
        Faults.assertNoErrorsLogged(cluster);
    }
}
