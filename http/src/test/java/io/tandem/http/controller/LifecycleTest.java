package io.tandem.http.controller;

import static io.tandem.http.controller.ControllerFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.core.admission.Balancer;
import io.tandem.core.invoker.InvokerState;
import io.tandem.core.ledger.Keys;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * How activations end — completion, duplicate and late completions, forced completion, refused dispatch, invoker
 * offline, shutdown drain — against an invoker the test steers. Every scenario ends with nothing booked.
 */
@Timeout(30)
class LifecycleTest {
    private static final String ACTIONS = "*/echo=echo:256:60s,*/hang=sleep:128:200ms";

    private static Map<String, String> env(FakeInvoker inv) {
        Map<String, String> env = ControllerFixture.env("invoker0=" + inv.url() + "=2048");
        env.put("ACTIONS", ACTIONS);
        return env;
    }

    @Test
    void shouldSendTheRunRequestOfTheProtocolAndAnswerWithItsCompletion() throws Exception {
        try (FakeInvoker inv = new FakeInvoker(); ControllerFixture fx = ControllerFixture.start(env(inv)).awaitReady()) {
            CompletableFuture<HttpResponse<String>> answer = fx.invokeAsync("_/actions/echo", "blocking=true",
                    "{\"n\":1.50,\"none\":null,\"s\":\"\\u00e9\"}");

            JsonObject run = inv.nextRun();
            assertEquals(32, run.get("activationId").getAsString().length());
            assertEquals("guest", run.get("namespace").getAsString());
            assertEquals("guest/echo", run.get("action").getAsString());
            assertEquals("echo", run.get("kind").getAsString());
            assertEquals(256, run.get("memoryMb").getAsInt());
            assertEquals(60_000, run.get("timeLimitMs").getAsLong());
            assertEquals("{\"n\":1.50,\"none\":null,\"s\":\"é\"}", run.get("params").toString());
            assertEquals("c1", run.get("controllerId").getAsString());
            assertEquals(fx.apiUrl() + "/internal/v1/completions", run.get("callback").getAsString());
            assertEquals(1, fx.bookkeeping().getAsJsonObject("totals").get("system").getAsLong());

            assertEquals(204, inv.complete(run, "success", JsonParser.parseString("{\"ok\":1}").getAsJsonObject()));

            HttpResponse<String> r = answer.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            assertEquals(Optional.of(run.get("activationId").getAsString()),
                    r.headers().firstValue("x-openwhisk-activation-id"));
            assertEquals("[\"stdout: hello\"]", json(r).get("logs").toString());
            fx.assertNoLeak();
        }
    }

    @Test
    void shouldParseALargeBodyOnAWorkerAndStillAnswerTheBlockingCaller() throws Exception {
        try (FakeInvoker inv = new FakeInvoker(); ControllerFixture fx = ControllerFixture.start(env(inv)).awaitReady()) {
            String big = "x".repeat(200_000);
            CompletableFuture<HttpResponse<String>> answer = fx.invokeAsync("_/actions/echo",
                    "blocking=true&result=true", "{\"big\":\"" + big + "\"}");

            JsonObject run = inv.nextRun();
            assertEquals(big, run.getAsJsonObject("params").get("big").getAsString());
            assertEquals(204, inv.complete(run, "success", run.getAsJsonObject("params")));

            HttpResponse<String> r = answer.get(10, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            assertEquals(big, json(r).get("big").getAsString());
            fx.assertNoLeak();
        }
    }

    @Test
    void shouldEndAForcedCompletionOnceAndIgnoreTheLateCompletion() throws Exception {
        try (FakeInvoker inv = new FakeInvoker()) {
            Map<String, String> env = env(inv);
            env.put("FORCED_COMPLETION_GRACE", "100ms");
            try (ControllerFixture fx = ControllerFixture.start(env).awaitReady()) {
                CompletableFuture<HttpResponse<String>> answer = fx.invokeAsync("_/actions/hang",
                        "blocking=true&timeout=10000", "{}");
                JsonObject run = inv.nextRun();

                HttpResponse<String> r = answer.get(10, TimeUnit.SECONDS);

                assertEquals(500, r.statusCode(), r.body());
                String id = run.get("activationId").getAsString();
                assertEquals(Optional.of(id), r.headers().firstValue("x-openwhisk-activation-id"));
                JsonObject response = json(r).getAsJsonObject("response");
                assertEquals("whisk internal error", response.get("status").getAsString());
                assertEquals(3, response.get("statusCode").getAsInt());
                assertEquals("The activation did not complete in time (forced completion after 300 ms).",
                        response.getAsJsonObject("result").get("error").getAsString());
                assertEquals(1, fx.controller.metrics().forcedCompletions());
                fx.assertNoLeak();

                assertEquals(404, inv.complete(run, "success", new JsonObject()), "a late completion is refused");

                assertEquals(1, fx.controller.metrics().lateCompletions());
                assertEquals(1, fx.controller.metrics().forcedCompletions());
                assertEquals(1, fx.controller.metrics().count(ResponseStatus.SYSTEM_ERROR));
                assertEquals(0, fx.controller.metrics().count(ResponseStatus.SUCCESS));
                HttpResponse<String> rec = fx.get("/api/v1/namespaces/_/activations/" + id);
                assertEquals("whisk internal error", json(rec).getAsJsonObject("response").get("status").getAsString());
                fx.assertNoLeak();
            }
        }
    }

    @Test
    void shouldIgnoreADuplicateCompletion() throws Exception {
        try (FakeInvoker inv = new FakeInvoker(); ControllerFixture fx = ControllerFixture.start(env(inv)).awaitReady()) {
            assertEquals(202, fx.invoke("_/actions/echo", "", "{}").statusCode());
            JsonObject run = inv.nextRun();

            assertEquals(204, inv.complete(run, "application error", JsonParser.parseString("{\"error\":\"x\"}")
                    .getAsJsonObject()));
            assertEquals(404, inv.complete(run, "success", new JsonObject()));

            HttpResponse<String> rec = fx.get("/api/v1/namespaces/_/activations/" + run.get("activationId").getAsString());
            assertEquals(200, rec.statusCode(), rec.body());
            assertEquals("application error", json(rec).getAsJsonObject("response").get("status").getAsString());
            assertEquals(1, fx.controller.metrics().count(ResponseStatus.APPLICATION_ERROR));
            assertEquals(0, fx.controller.metrics().count(ResponseStatus.SUCCESS));
            assertEquals(1, fx.controller.metrics().lateCompletions());
            fx.assertNoLeak();
        }
    }

    @Test
    void shouldRefuseCompletionsWithoutTheInvokerToken() throws Exception {
        try (FakeInvoker inv = new FakeInvoker()) {
            Map<String, String> env = env(inv);
            env.put("INVOKER_TOKEN", "invoker-secret");
            try (ControllerFixture fx = ControllerFixture.start(env).awaitReady()) {
                assertEquals(202, fx.invoke("_/actions/echo", "", "{}").statusCode());
                JsonObject run = inv.nextRun();

                assertEquals(401, inv.complete(run, "success", new JsonObject()));
                HttpResponse<String> ok = fx.send("POST", "/internal/v1/completions", "{\"activationId\":\""
                        + run.get("activationId").getAsString() + "\",\"status\":\"success\",\"result\":{}}",
                        "Bearer invoker-secret");
                assertEquals(204, ok.statusCode(), ok.body());
                fx.assertNoLeak();
            }
        }
    }

    @Test
    void shouldEndTheActivationAsASystemErrorWhenTheInvokerRefusesIt() throws Exception {
        try (FakeInvoker inv = new FakeInvoker(); ControllerFixture fx = ControllerFixture.start(env(inv)).awaitReady()) {
            inv.runStatus = 503;

            HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true", "{}");

            assertEquals(500, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("x-openwhisk-activation-id").isPresent());
            assertEquals("whisk internal error", json(r).getAsJsonObject("response").get("status").getAsString());
            assertEquals(1, fx.controller.metrics().dispatchFailures());
            fx.assertNoLeak();
        }
    }

    @Test
    void shouldQueueDispatchesBeyondTheConnectionsAndRefuseBeyondTheQueue() throws Exception {
        try (FakeInvoker inv = new FakeInvoker()) {
            Map<String, String> env = env(inv);
            env.put("INVOKER_CONNECTIONS", "1");
            env.put("INVOKER_DISPATCH_QUEUE", "1");
            try (ControllerFixture fx = ControllerFixture.start(env).awaitReady()) {
                inv.runGate = new CountDownLatch(1);
                for (int i = 0; i < 3; i++) {
                    assertEquals(202, fx.invoke("_/actions/echo", "", "{}").statusCode());
                }
                Wait.until(ControllerFixture.WAIT, "the third dispatch to be refused",
                        () -> fx.controller.metrics().dispatchFailures() == 1);
                assertEquals(2, fx.controller.lifecycle().inFlight());
                assertEquals(1, fx.controller.dispatcher().onWire(0));
                assertEquals(1, fx.controller.dispatcher().queued(0));

                inv.runGate.countDown();

                assertEquals(204, inv.complete(inv.nextRun(), "success", new JsonObject()));
                assertEquals(204, inv.complete(inv.nextRun(), "success", new JsonObject()));
                fx.assertNoLeak();
                // the lane's slot frees when the invoker's answer to the run request arrives, which can be after
                // its completion (CI once saw 1 here)
                Wait.until(ControllerFixture.WAIT, "the lane empty", () -> fx.controller.dispatcher().onWire(0) == 0);
                assertEquals(1, fx.controller.metrics().count(ResponseStatus.SYSTEM_ERROR));
            }
        }
    }

    /** Found by HttpApiFuzzTest: parameters the invoker would refuse (413) were admitted and failed as a 500. */
    @Test
    void shouldRefuseParametersTheInvokerCouldNotTakeBeforeBookingAnything() throws Exception {
        try (FakeInvoker inv = new FakeInvoker()) {
            Map<String, String> env = env(inv);
            env.put("MAX_BODY_BYTES", Integer.toString(4 << 20)); // the controller's own limit is not what refuses
            try (ControllerFixture fx = ControllerFixture.start(env).awaitReady()) {
                String big = "{\"a\":\"" + "x".repeat(1_100_000) + "\"}";
                HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true", big);
                assertEquals(413, r.statusCode(), r.body());
                assertTrue(r.body().contains("written for the invoker"), r.body());
                assertEquals(0, fx.controller.lifecycle().inFlight());
                assertTrue(inv.runs.isEmpty(), "nothing dispatched");
                fx.assertNoLeak();

                String fits = "{\"a\":\"" + "x".repeat(900_000) + "\"}";
                assertEquals(202, fx.invoke("_/actions/echo", "", fits).statusCode(), "what fits is admitted");
                assertEquals(204, inv.complete(inv.nextRun(), "success", new JsonObject()));
                fx.assertNoLeak();
            }
        }
    }

    @Test
    void shouldAnswer503WhenTheInvokerIsDown() {
        FakeInvoker gone = new FakeInvoker();
        String url = gone.url();
        gone.close();
        try (ControllerFixture fx = ControllerFixture.start(env(gone))) {
            Wait.until(ControllerFixture.WAIT, "the first health round", fx.controller::ready);
            HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true", "{}");

            assertEquals(503, r.statusCode(), r.body());
            assertEquals(Balancer.UNAVAILABLE, json(r).get("error").getAsString());
            assertEquals(InvokerState.OFFLINE, fx.controller.pool().state(0));
            assertTrue(url.startsWith("http://127.0.0.1:"));
            fx.assertNoLeak();
        }
    }

    @Test
    void shouldEndEveryActivationOfAnInvokerThatGoesOffline() throws Exception {
        try (FakeInvoker inv = new FakeInvoker()) {
            Map<String, String> env = env(inv);
            env.put("INVOKER_OFFLINE_AFTER", "500ms");
            try (ControllerFixture fx = ControllerFixture.start(env).awaitReady()) {
                CompletableFuture<HttpResponse<String>> blocked = fx.invokeAsync("_/actions/echo",
                        "blocking=true&timeout=20000", "{}");
                inv.nextRun();
                HttpResponse<String> nonBlocking = fx.invoke("_/actions/echo", "", "{}");
                assertEquals(202, nonBlocking.statusCode());
                JsonObject second = inv.nextRun();
                assertEquals(2, fx.controller.lifecycle().inFlight());

                inv.healthStatus = 500;
                HttpResponse<String> r = blocked.get(10, TimeUnit.SECONDS);

                assertEquals(500, r.statusCode(), r.body());
                assertEquals("The invoker running the activation went offline.",
                        json(r).getAsJsonObject("response").getAsJsonObject("result").get("error").getAsString());
                fx.assertNoLeak();
                HttpResponse<String> rec = fx.get("/api/v1/namespaces/_/activations/"
                        + second.get("activationId").getAsString());
                assertEquals("whisk internal error", json(rec).getAsJsonObject("response").get("status").getAsString());
                assertEquals(404, inv.complete(second, "success", new JsonObject()));
                assertEquals(503, fx.invoke("_/actions/echo", "", "{}").statusCode());

                inv.healthStatus = 200;
                Wait.until(ControllerFixture.WAIT, "the invoker to be back", () -> fx.controller.pool().isHealthy(0));
                assertEquals(202, fx.invoke("_/actions/echo", "", "{}").statusCode());
                assertEquals(204, inv.complete(inv.nextRun(), "success", new JsonObject()));
                fx.assertNoLeak();
            }
        }
    }

    @Test
    void shouldNotBeReadyBeforeTheFirstHealthRound() throws Exception {
        try (FakeInvoker inv = new FakeInvoker()) {
            inv.healthGate = new CountDownLatch(1);
            try (ControllerFixture fx = ControllerFixture.start(env(inv))) {
                HttpResponse<String> ready = fx.admin("/ready", null);
                assertEquals(503, ready.statusCode(), ready.body());
                assertTrue(json(ready).get("reason").getAsString().contains("health checks"), ready.body());
                assertFalse(fx.controller.ready());
                assertEquals(503, fx.invoke("_/actions/echo", "", "{}").statusCode());

                inv.healthGate.countDown();

                fx.awaitReady();
                assertEquals(200, fx.admin("/ready", null).statusCode());
                fx.replicator.ready = false;
                HttpResponse<String> notInstalled = fx.admin("/ready", null);
                assertEquals(503, notInstalled.statusCode());
                assertTrue(json(notInstalled).get("reason").getAsString().contains("cluster state"));
                assertEquals(503, fx.invoke("_/actions/echo", "", "{}").statusCode());
                assertTrue(inv.runs.isEmpty(), "nothing is admitted before the controller is ready");
                fx.assertNoLeak();
            }
        }
    }

    @Test
    void shouldStopAdmittingOnAFatalAlarm() throws Exception {
        try (FakeInvoker inv = new FakeInvoker(); ControllerFixture fx = ControllerFixture.start(env(inv)).awaitReady()) {
            fx.controller.fatal("a newer c1 is alive");

            assertEquals(503, fx.admin("/ready", null).statusCode());
            assertEquals(503, fx.invoke("_/actions/echo", "", "{}").statusCode());
            fx.assertNoLeak();
        }
    }

    @Test
    void shouldDrainOnShutdownThenLeaveTheClusterAndStop() throws Exception {
        try (FakeInvoker inv = new FakeInvoker()) {
            Map<String, String> env = env(inv);
            env.put("DEREGISTRATION_DELAY", "2s");
            env.put("DRAIN_TIMEOUT", "1s");
            ControllerFixture fx = ControllerFixture.start(env).awaitReady();
            try {
                assertEquals(202, fx.invoke("_/actions/echo", "", "{}").statusCode());
                JsonObject completed = inv.nextRun();
                Thread shutdown = new Thread(fx.controller::shutdown, "test-shutdown");
                shutdown.start();
                Wait.until(ControllerFixture.WAIT, "/ready to turn 503", () -> fx.admin("/ready", null).statusCode() == 503);

                HttpResponse<String> duringDelay = fx.invoke("_/actions/echo", "", "{}");
                assertEquals(202, duringDelay.statusCode(), "admissions go on during DEREGISTRATION_DELAY");
                JsonObject abandoned = inv.nextRun();
                assertEquals(204, inv.complete(completed, "success", new JsonObject()));
                Wait.until(ControllerFixture.WAIT, "admissions to stop", () -> fx.controller.whyNotAdmitting() != null);
                assertEquals(503, fx.invoke("_/actions/echo", "", "{}").statusCode());

                shutdown.join(10_000);

                assertFalse(shutdown.isAlive());
                assertEquals(1, fx.replicator.closed.get());
                for (Map.Entry<String, Long> e : fx.controller.ledger().totals("").entrySet()) {
                    assertFalse(Keys.isInFlightKey(e.getKey()), "left booked: " + e);
                }
                assertEquals(1, fx.controller.metrics().count(ResponseStatus.SUCCESS));
                assertEquals(1, fx.controller.metrics().count(ResponseStatus.SYSTEM_ERROR));
                ActivationStore.Stored s = fx.controller.store().get(abandoned.get("activationId").getAsString(),
                        System.currentTimeMillis());
                assertEquals("whisk internal error", s.record().getAsJsonObject("response").get("status").getAsString());
            } finally {
                fx.close();
            }
        }
    }

    @Test
    void shouldFilterAndPageTheBookkeeping() throws Exception {
        try (FakeInvoker inv = new FakeInvoker(); ControllerFixture fx = ControllerFixture.start(env(inv)).awaitReady()) {
            assertEquals(202, fx.invoke("_/actions/echo", "", "{}").statusCode());
            assertEquals(202, fx.send("POST", "/api/v1/namespaces/_/actions/echo", "{}",
                    ControllerFixture.basic(ControllerFixture.LIMITED_UUID, ControllerFixture.LIMITED_KEY)).statusCode());
            JsonObject a = inv.nextRun();
            JsonObject b = inv.nextRun();

            JsonObject filtered = json(fx.admin("/bookkeeping?namespace=gu", ControllerFixture.ADMIN_TOKEN));
            JsonObject paged = json(fx.admin("/bookkeeping?limit=1&offset=1", ControllerFixture.ADMIN_TOKEN));

            assertEquals("{\"guest\":1}", filtered.getAsJsonObject("totals").getAsJsonObject("namespaces").toString());
            assertEquals(1, filtered.getAsJsonObject("totals").get("namespaceCount").getAsInt());
            assertEquals("{\"limited\":1}", paged.getAsJsonObject("totals").getAsJsonObject("namespaces").toString());
            assertEquals(2, paged.getAsJsonObject("totals").get("namespaceCount").getAsInt());
            assertEquals(512, paged.getAsJsonObject("totals").getAsJsonObject("invokers").get("invoker0").getAsLong());
            JsonObject row = filtered.getAsJsonArray("rows").get(0).getAsJsonObject();
            assertEquals("c1", row.get("owner").getAsString());
            assertEquals(1, row.getAsJsonObject("counts").get("n/guest").getAsLong());
            assertFalse(row.getAsJsonObject("counts").has("n/limited"));
            assertEquals(400, fx.admin("/bookkeeping?limit=-1", ControllerFixture.ADMIN_TOKEN).statusCode());

            assertEquals(204, inv.complete(a, "success", new JsonObject()));
            assertEquals(204, inv.complete(b, "success", new JsonObject()));
            fx.assertNoLeak();
        }
    }

    @Test
    void shouldRequireTheAdminTokenExceptForProbes() throws Exception {
        try (FakeInvoker inv = new FakeInvoker(); ControllerFixture fx = ControllerFixture.start(env(inv)).awaitReady()) {
            HttpResponse<String> health = fx.admin("/health", null);
            assertEquals(200, health.statusCode());
            assertEquals("ok", json(health).get("status").getAsString());
            assertEquals(200, fx.admin("/ready", null).statusCode());
            for (String path : new String[] {"/cluster", "/bookkeeping", "/metrics"}) {
                HttpResponse<String> none = fx.admin(path, null);
                assertEquals(401, none.statusCode(), path);
                assertEquals(Optional.of("Bearer"), none.headers().firstValue("WWW-Authenticate"));
                assertEquals(401, fx.admin(path, "wrong").statusCode(), path);
                assertEquals(200, fx.admin(path, ControllerFixture.ADMIN_TOKEN).statusCode(), path);
            }
            JsonObject cluster = json(fx.admin("/cluster", ControllerFixture.ADMIN_TOKEN));
            JsonObject invoker = cluster.getAsJsonArray("invokers").get(0).getAsJsonObject();
            assertEquals("invoker0", invoker.get("id").getAsString());
            assertEquals("healthy", invoker.get("state").getAsString());
            assertEquals("stub", cluster.getAsJsonObject("replicator").get("mode").getAsString());
            assertEquals(404, fx.admin("/nope", ControllerFixture.ADMIN_TOKEN).statusCode());
        }
        try (FakeInvoker inv = new FakeInvoker()) {
            Map<String, String> env = env(inv);
            env.remove("ADMIN_TOKEN");
            try (ControllerFixture fx = ControllerFixture.start(env).awaitReady()) {
                HttpResponse<String> r = fx.admin("/bookkeeping", "anything");
                assertEquals(403, r.statusCode());
                assertTrue(json(r).get("error").getAsString().contains("ADMIN_TOKEN is not set"), r.body());
                assertEquals(200, fx.admin("/health", null).statusCode());
                assertEquals(200, fx.admin("/ready", null).statusCode());
            }
        }
    }
}
