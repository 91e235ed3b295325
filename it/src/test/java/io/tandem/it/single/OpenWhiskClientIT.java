package io.tandem.it.single;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.it.harness.Cluster;
import io.tandem.it.harness.Http;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * One real controller process and two reference invokers, driven by the official OpenWhisk JavaScript client
 * (npm `openwhisk`, pinned in it/node) exactly as a user's code would call it.
 */
class OpenWhiskClientIT {
    private static final int LIMIT = 10;
    private static Cluster cluster;
    private static JsonObject seen;

    @BeforeAll
    static void runClientScenarios() throws Exception {
        Path node = Path.of("node");
        if (!Files.isDirectory(node.resolve("node_modules/openwhisk"))) {
            throw new IllegalStateException("the openwhisk npm client is not installed: run bin/test (it installs it)");
        }
        cluster = Cluster.builder("OpenWhiskClientIT", 21).controllers(1).invokers(2, 2048)
                .concurrencyLimit(LIMIT).build().start().awaitReady(Duration.ofSeconds(60));
        for (Cluster.Node inv : cluster.invokers()) {
            Http.post(inv.invokerUrl() + "/v1/stats/reset", null, "");
        }
        String key = cluster.key("ns1");
        ProcessBuilder pb = new ProcessBuilder("node", "scenarios.js").directory(node.toFile());
        pb.environment().putAll(Map.of("APIHOST", cluster.controller(1).apiUrl(), "API_KEY", key,
                "WRONG_KEY", key.substring(0, key.length() - 1) + (key.endsWith("0") ? "1" : "0"),
                "BURST_KEY", cluster.key("ns2"), "BURST", "30", "BURST_SLEEP_MS", "2000"));
        pb.redirectError(cluster.logDir().resolve("node-stderr.log").toFile());
        Process p = pb.start();
        byte[] stdout = p.getInputStream().readAllBytes();
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "node scenarios finished in time");
        String text = new String(stdout, StandardCharsets.UTF_8).trim();
        assertEquals(0, p.exitValue(), "node scenarios exit code; stdout: " + text + "; stderr in "
                + cluster.logDir().resolve("node-stderr.log"));
        Files.writeString(cluster.logDir().resolve("node-observations.json"), text);
        seen = JsonParser.parseString(text).getAsJsonObject();
    }

    @AfterAll
    static void stop() throws IOException {
        if (cluster != null) {
            cluster.close();
        }
    }

    private static JsonObject value(String scenario) {
        JsonObject o = seen.getAsJsonObject(scenario);
        assertTrue(o.get("ok").getAsBoolean(), scenario + " succeeded: " + o);
        return o.getAsJsonObject("value");
    }

    private static JsonObject error(String scenario) {
        JsonObject o = seen.getAsJsonObject(scenario);
        assertFalse(o.get("ok").getAsBoolean(), scenario + " failed as expected: " + o);
        return o.getAsJsonObject("error");
    }

    @Test
    void blockingInvokeReturnsTheWholeActivationRecord() {
        JsonObject record = value("blocking");
        assertEquals(32, record.get("activationId").getAsString().length());
        assertEquals("echo", record.get("name").getAsString());
        JsonObject response = record.getAsJsonObject("response");
        assertTrue(response.get("success").getAsBoolean());
        assertEquals("success", response.get("status").getAsString());
        assertEquals("world", response.getAsJsonObject("result").get("hello").getAsString());
        assertTrue(record.has("start") && record.has("end") && record.has("duration") && record.has("annotations"));
    }

    @Test
    void resultTrueReturnsOnlyTheResult() {
        assertEquals(42, value("result").get("n").getAsInt());
    }

    @Test
    void actionInsideAPackageIsInvoked() {
        assertEquals("pkg", value("packaged").get("p").getAsString());
    }

    @Test
    void nonBlockingInvokeThenFetchTheActivation() {
        String id = value("nonBlocking").get("activationId").getAsString();
        JsonObject fetched = value("fetched");
        assertEquals(id, fetched.get("activationId").getAsString());
        assertTrue(fetched.getAsJsonObject("response").getAsJsonObject("result").get("async").getAsBoolean());
        JsonElement result = seen.getAsJsonObject("fetchedResult").get("value");
        assertTrue(result.getAsJsonObject().has("result") || result.getAsJsonObject().has("async"),
                "activations.result answered " + result);
    }

    @Test
    void wrongKeyIsUnauthorized() {
        assertEquals(401, error("wrongKey").get("statusCode").getAsInt());
    }

    @Test
    void applicationErrorIs502() {
        JsonObject e = error("appError");
        assertEquals(502, e.get("statusCode").getAsInt());
        assertTrue(e.get("message").getAsString().contains("boom"), e.toString());
    }

    @Test
    void unknownActionIs404() {
        assertEquals(404, error("unknown").get("statusCode").getAsInt());
    }

    @Test
    void burstOverTheConcurrencyLimitGets429sNamingTheRealCountAndLimit() {
        JsonObject burst = seen.getAsJsonObject("burst");
        int ok = burst.get("ok").getAsInt();
        int throttled = burst.getAsJsonArray("throttled").size();
        assertEquals(0, burst.getAsJsonArray("other").size(), "no other failures: " + burst);
        assertEquals(30, ok + throttled);
        assertTrue(throttled > 0, "some 429s: " + burst);
        assertTrue(ok >= LIMIT, "at least the limit ran: " + burst);
        for (JsonElement m : burst.getAsJsonArray("throttled")) {
            // The client's error message is "<method> <url> Returned HTTP 429 ... --> \"<body.error>\"".
            assertTrue(m.getAsString().endsWith("--> \"Too many concurrent requests in flight (count: " + LIMIT
                    + ", allowed: " + LIMIT + ").\""), m.getAsString());
        }
        // The invokers' own ground truth: ns2 (the burst's namespace) never ran more than its limit at once. Summing
        // the per-invoker high-water marks gives an upper bound of the true peak, so this cannot pass by accident.
        int maxRunning = 0;
        for (Cluster.Node inv : cluster.invokers()) {
            JsonObject ns = inv.invokerStats().getAsJsonObject("namespaces").getAsJsonObject("ns2");
            if (ns != null) {
                maxRunning += ns.get("maxRunning").getAsInt();
            }
        }
        assertTrue(maxRunning <= LIMIT, "invokers saw at most " + LIMIT + " of ns2 at once, saw " + maxRunning);
        // Invariant 1: once everything ended, every count is back to zero.
        cluster.awaitNoLeak(Duration.ofSeconds(15));
        assertEquals(0, Cluster.inFlightSum(cluster.controller(1).bookkeeping()));
    }

    @Test
    void noProcessLoggedAnError() {
        assertEquals(java.util.List.of(), cluster.errors());
    }
}
