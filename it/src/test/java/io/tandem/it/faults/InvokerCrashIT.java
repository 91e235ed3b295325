package io.tandem.it.faults;

import static io.tandem.it.faults.Faults.kv;
import static io.tandem.it.faults.Faults.ms;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tandem.it.harness.Http;
import io.tandem.it.harness.Wait;
import io.tandem.it.harness.netns.NetnsCluster;
import io.tandem.it.harness.netns.Traffic;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Scenario 9, an invoker killed under load: three controllers, two invokers (hosts i1, i2), load on ns1, whose
 * action's home invoker is the victim. The victim's network goes first (so that every completion it had already
 * posted has arrived and its run log, read then, is the whole truth of what it ran), then its process (kill -9),
 * then its network comes back with nothing listening. Its activations must end and be released, it must be marked
 * offline on every controller and get no new work, and come back when restarted.
 */
class InvokerCrashIT {
    private static final int LIMIT = 16;
    private static final Duration OFFLINE_AFTER = Duration.ofSeconds(3);
    private static NetnsCluster cluster;

    @BeforeAll
    static void start() {
        Faults.requireNetns();
        cluster = new NetnsCluster(new NetnsCluster.Spec("InvokerCrashIT").concurrencyLimit(LIMIT)
                .fdTimeout(Faults.FD_TIMEOUT).controllerEnv("INVOKER_OFFLINE_AFTER", OFFLINE_AFTER.toMillis() + "ms"));
        cluster.start().awaitReady(Duration.ofSeconds(90));
        Faults.awaitOneView(cluster, 3, Duration.ofSeconds(30));
    }

    @AfterAll
    static void stop() {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonObject invokerState(NetnsCluster.Node controller, String invokerId) {
        for (JsonElement e : controller.clusterInfo().getAsJsonArray("invokers")) {
            if (e.getAsJsonObject().get("id").getAsString().equals(invokerId)) {
                return e.getAsJsonObject();
            }
        }
        throw new AssertionError(controller.host() + " does not list " + invokerId);
    }

    private static boolean everyController(String invokerId, java.util.function.Predicate<JsonObject> p) {
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            if (!p.test(invokerState(c, invokerId))) {
                return false;
            }
        }
        return true;
    }

    private static long ranOf(NetnsCluster.Node invoker) {
        JsonObject ns = Http.get(invoker.invokerUrl() + "/v1/stats", null).json().getAsJsonObject("namespaces");
        return ns == null || ns.getAsJsonObject("ns1") == null ? 0 : ns.getAsJsonObject("ns1").get("total").getAsLong();
    }

    @Test
    void shouldEndAndReleaseTheActivationsOfAKilledInvokerAndTakeItBackWhenRestarted() {
        Set<String> before = Faults.runsSoFar(cluster);
        Traffic traffic = new Traffic(cluster, "ns1", 24, Duration.ofSeconds(120), 300_000);
        long offlineMs;
        long releasedMs;
        long backMs;
        List<String> victimRuns;
        String victimHost;
        long failedBefore;
        try (traffic) {
            Wait.until(Duration.ofSeconds(15), () -> traffic.count(200) > 100, "load running");
            NetnsCluster.Node victim = ranOf(cluster.invoker(1)) >= ranOf(cluster.invoker(2))
                    ? cluster.invoker(1) : cluster.invoker(2);
            NetnsCluster.Node other = victim == cluster.invoker(1) ? cluster.invoker(2) : cluster.invoker(1);
            victimHost = victim.host();
            String victimId = "invoker" + victimHost.substring(1);
            failedBefore = traffic.failed();
            cluster.net().isolate(victim.host());
            // What it runs now cannot report back; what it reported before has arrived. Let the last sleeps end.
            Wait.until(Duration.ofSeconds(10), () -> Http.get(victim.invokerUrl() + "/v1/health", null).json()
                    .get("running").getAsLong() == 0, victimHost + " to finish what it runs");
            victimRuns = victim.runs();
            victim.kill9();
            cluster.net().healAll();
            long t0 = System.nanoTime();
            Wait.until(OFFLINE_AFTER.multipliedBy(5), Duration.ofMillis(100),
                    () -> everyController(victimId, s -> s.get("state").getAsString().equals("offline")),
                    () -> victimId + " offline on every controller");
            offlineMs = ms(t0);
            Wait.until(Duration.ofSeconds(30), Duration.ofMillis(100),
                    () -> everyController(victimId, s -> s.get("bookedMb").getAsLong() == 0),
                    () -> victimId + "'s booked memory released on every controller");
            releasedMs = ms(t0);
            long otherBefore = ranOf(other);
            Wait.until(Duration.ofSeconds(15), () -> ranOf(other) > otherBefore + 50,
                    "the surviving invoker to take the work");
            victim.start();
            long t1 = System.nanoTime();
            Wait.until(Duration.ofSeconds(60), Duration.ofMillis(100),
                    () -> everyController(victimId, s -> s.get("state").getAsString().equals("healthy")),
                    () -> victimId + " healthy again on every controller");
            backMs = ms(t1);
            Wait.until(Duration.ofSeconds(20), () -> ranOf(victim) > 20, victimId + " gets work again");
        }
        Faults.figures("kill-invoker", kv("victim", victimHost, "offline_after_ms", OFFLINE_AFTER.toMillis(),
                "offline_ms", offlineMs, "released_ms", releasedMs, "back_ms", backMs,
                "failed", traffic.failed() - failedBefore, "statuses", traffic.statuses().toString().replace(" ", "")));
        Faults.awaitInvariants(cluster, Duration.ofSeconds(30));
        Faults.Reconciliation r = Faults.reconcile(cluster, traffic, before, victimRuns);
        Faults.figures("kill-invoker-accounting", kv("accepted", r.accepted(), "ran", r.ran(),
                "unanswered", r.unanswered()));
        assertTrue(traffic.count(-1) == 0, "connections failed: " + traffic.failureSamples());
        Faults.assertNoErrorsLogged(cluster);
    }
}
