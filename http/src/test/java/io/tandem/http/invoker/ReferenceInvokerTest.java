package io.tandem.http.invoker;

import static io.tandem.http.invoker.InvokerClient.json;
import static io.tandem.http.invoker.InvokerClient.params;
import static io.tandem.http.invoker.InvokerClient.runBody;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.core.TandemException;
import io.tandem.core.config.Env;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The reference invoker end to end, over HTTP, against a stand-in controller that receives the completions. */
class ReferenceInvokerTest {
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final long LONG_LIMIT_MS = 60_000;

    private CallbackReceiver controller;
    private final List<AutoCloseable> toClose = new ArrayList<>();

    @BeforeEach
    void startController() throws Exception {
        controller = CallbackReceiver.start();
    }

    @AfterEach
    void stopAll() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            toClose.get(i).close();
        }
        controller.close();
    }

    private ReferenceInvoker invoker(String... settings) {
        Map<String, String> vars = new HashMap<>();
        vars.put("INVOKER_ID", "invoker0");
        vars.put("INVOKER_PORT", "0");
        for (int i = 0; i < settings.length; i += 2) {
            vars.put(settings[i], settings[i + 1]);
        }
        ReferenceInvoker inv = ReferenceInvoker.start(InvokerSettings.from(new Env(vars)));
        toClose.add(inv);
        return inv;
    }

    private InvokerClient client(ReferenceInvoker inv) {
        return client(inv, null);
    }

    private InvokerClient client(ReferenceInvoker inv, String token) {
        InvokerClient c = new InvokerClient(inv.port(), token);
        toClose.add(c);
        return c;
    }

    private String run(InvokerClient c, String id, String ns, String kind, int memoryMb, long limitMs, JsonObject p) {
        HttpResponse<String> r = c.run(runBody(id, ns, kind, memoryMb, limitMs, p, controller.url()));
        assertEquals(202, r.statusCode(), r.body());
        return r.body();
    }

    @Test
    void shouldReturnParamsOfEchoInCompletion() {
        ReferenceInvoker inv = invoker();
        InvokerClient c = client(inv);
        JsonObject p = params("greeting", "hello");
        p.addProperty("n", 42);

        run(c, "a1", "guest", "echo", 256, LONG_LIMIT_MS, p);

        JsonObject done = controller.await("a1", TIMEOUT);
        assertEquals("success", done.get("status").getAsString());
        assertEquals(p, done.get("result"));
        assertEquals("invoker0", done.get("invokerId").getAsString());
        assertEquals("guest", done.get("namespace").getAsString());
        assertEquals("guest/demo/echo", done.get("action").getAsString());
        assertTrue(done.get("start").getAsLong() <= done.get("end").getAsLong());
        assertTrue(done.get("logs").isJsonArray());
        assertNull(controller.find("a1").authorization(), "no token configured, so no Authorization header");
    }

    @Test
    void shouldReportApplicationErrorOfFail() {
        InvokerClient c = client(invoker());

        run(c, "f1", "guest", "fail", 256, LONG_LIMIT_MS, params("message", "boom"));

        JsonObject done = controller.await("f1", TIMEOUT);
        assertEquals("application error", done.get("status").getAsString());
        assertEquals("boom", done.getAsJsonObject("result").get("error").getAsString());
    }

    @Test
    void shouldReportDeveloperErrorOfError() {
        InvokerClient c = client(invoker());

        run(c, "e1", "guest", "error", 256, LONG_LIMIT_MS, new JsonObject());

        JsonObject done = controller.await("e1", TIMEOUT);
        assertEquals("action developer error", done.get("status").getAsString());
        assertTrue(done.getAsJsonObject("result").has("error"));
    }

    @Test
    void shouldReturnSleptAndCpuMs() {
        InvokerClient c = client(invoker());

        run(c, "s1", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 50));
        run(c, "c1", "guest", "cpu", 256, LONG_LIMIT_MS, params("ms", 20));

        JsonObject slept = controller.await("s1", TIMEOUT);
        assertEquals(50, slept.getAsJsonObject("result").get("slept").getAsLong());
        assertTrue(slept.get("end").getAsLong() - slept.get("start").getAsLong() >= 50);
        JsonObject cpu = controller.await("c1", TIMEOUT);
        assertEquals(20, cpu.getAsJsonObject("result").get("cpuMs").getAsLong());
    }

    @Test
    void shouldEndWithDeveloperErrorWhenTimeLimitIsExceeded() {
        InvokerClient c = client(invoker());

        run(c, "t1", "guest", "sleep", 256, 200, params("ms", 30_000));

        JsonObject done = controller.await("t1", TIMEOUT);
        assertEquals("action developer error", done.get("status").getAsString());
        assertEquals("The action exceeded its time limits of 200 milliseconds.",
                done.getAsJsonObject("result").get("error").getAsString());
        long took = done.get("end").getAsLong() - done.get("start").getAsLong();
        assertTrue(took >= 200 && took < 30_000, "ended after " + took + " ms");
        assertEquals(0, c.stats().get("running").getAsInt(), "its memory is released at once");
    }

    @Test
    void shouldFreeTheCpuThreadWhenCpuExceedsItsTimeLimit() {
        InvokerClient c = client(invoker("INVOKER_CPU_THREADS", "1"));

        run(c, "busy", "guest", "cpu", 256, 200, params("ms", 60_000));
        run(c, "next", "guest", "cpu", 256, LONG_LIMIT_MS, params("ms", 10));

        assertEquals("action developer error", controller.await("busy", TIMEOUT).get("status").getAsString());
        // Only one cpu thread: "next" can finish only if "busy" gave the thread back when its limit struck.
        assertEquals("success", controller.await("next", TIMEOUT).get("status").getAsString());
    }

    @Test
    void shouldQueueBeyondMemoryCapacityAndStartInArrivalOrder() {
        InvokerClient c = client(invoker("INVOKER_MEMORY_MB", "512"));

        run(c, "m1", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 2500));
        run(c, "m2", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 3000));
        // The 202 carries the counts right after admission, so this does not race with the sleeps.
        JsonObject third = JsonParser.parseString(
                run(c, "m3", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 100))).getAsJsonObject();
        assertEquals(2, third.get("running").getAsInt());
        assertEquals(1, third.get("queued").getAsInt());
        // Nothing ends within 2.5 s, so the counts cannot have moved yet.
        JsonObject during = c.stats();
        assertEquals(2, during.get("running").getAsInt(), during.toString());
        assertEquals(1, during.get("queued").getAsInt(), during.toString());
        JsonObject health = json(c.get("/v1/health"));
        assertEquals(512, health.get("capacityMb").getAsInt());
        assertEquals(512, health.get("usedMb").getAsInt());

        JsonObject m1 = controller.await("m1", TIMEOUT);
        JsonObject m3 = controller.await("m3", TIMEOUT);
        controller.await("m2", TIMEOUT);
        assertTrue(m3.get("start").getAsLong() >= m1.get("end").getAsLong(), "m3 starts only after m1 ended");
        JsonObject stats = c.stats();
        assertEquals(2, stats.get("maxRunning").getAsInt());
        assertEquals(3, stats.get("total").getAsInt());
        assertEquals(2, stats.getAsJsonObject("namespaces").getAsJsonObject("guest").get("maxRunning").getAsInt());
        JsonArray runs = json(c.get("/v1/runs")).getAsJsonArray("activationIds");
        assertEquals(List.of("m1", "m2", "m3"), List.of(runs.get(0).getAsString(), runs.get(1).getAsString(),
                runs.get(2).getAsString()));
    }

    @Test
    void shouldAnswer503WhenTheQueueIsFull() {
        InvokerClient c = client(invoker("INVOKER_MEMORY_MB", "256", "INVOKER_QUEUE_LIMIT", "1"));
        run(c, "r1", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 2000));
        run(c, "r2", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 10));

        HttpResponse<String> full = c.run(runBody("r3", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 10),
                controller.url()));

        assertEquals(503, full.statusCode());
        assertTrue(json(full).has("error"));
        Wait.until(TIMEOUT, () -> controller.deliveredCount() == 2, () -> "completions of r1 and r2");
        assertEquals(0, controller.attempts("r3"));
        assertEquals(2, json(c.get("/v1/runs")).get("count").getAsInt());
    }

    @Test
    void shouldRunADuplicateActivationIdOnce() {
        InvokerClient c = client(invoker("INVOKER_MEMORY_MB", "256"));
        run(c, "d1", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 300));
        run(c, "d2", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 10));

        run(c, "d1", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 300));
        run(c, "d2", "guest", "sleep", 256, LONG_LIMIT_MS, params("ms", 10));

        controller.await("d1", TIMEOUT);
        controller.await("d2", TIMEOUT);
        JsonObject runs = json(c.get("/v1/runs"));
        assertEquals(2, runs.get("count").getAsInt(), runs.toString());
        assertEquals(2, c.stats().get("total").getAsInt());
        assertEquals(1, controller.count("d1"));
        assertEquals(1, controller.count("d2"));
    }

    @Test
    void shouldResetHighWaterMarksToCurrentCountsAndTotalsToZero() {
        InvokerClient c = client(invoker());
        run(c, "x1", "alpha", "echo", 128, LONG_LIMIT_MS, new JsonObject());
        run(c, "x2", "alpha", "echo", 128, LONG_LIMIT_MS, new JsonObject());
        Wait.until(TIMEOUT, () -> controller.deliveredCount() == 2, () -> "two echo completions");
        run(c, "long", "beta", "sleep", 128, LONG_LIMIT_MS, params("ms", 3000));
        JsonObject before = c.stats();
        assertEquals(3, before.get("total").getAsInt());
        assertEquals(2, before.getAsJsonObject("namespaces").getAsJsonObject("alpha").get("total").getAsInt());

        HttpResponse<String> reset = c.post("/v1/stats/reset", "");

        assertEquals(200, reset.statusCode());
        JsonObject after = c.stats();
        assertEquals(0, after.get("total").getAsInt());
        assertEquals(1, after.get("running").getAsInt());
        assertEquals(1, after.get("maxRunning").getAsInt());
        JsonObject ns = after.getAsJsonObject("namespaces");
        assertTrue(!ns.has("alpha"), "idle namespaces are forgotten: " + ns);
        assertEquals(1, ns.getAsJsonObject("beta").get("maxRunning").getAsInt());
        assertEquals(0, ns.getAsJsonObject("beta").get("total").getAsInt());
        assertEquals(3, json(c.get("/v1/runs")).get("count").getAsInt(), "the run log is not reset");
        controller.await("long", TIMEOUT);
    }

    @Test
    void shouldAnswerMalformedRequestsWithJsonErrors() {
        InvokerClient c = client(invoker());

        assertError(400, c.run("{not json"));
        assertError(400, c.run("{\"activationId\": \"a\"} trailing"));
        assertError(400, c.run("[1, 2]"));
        assertError(400, c.run(""));
        assertError(400, c.run(runBody("a", "guest", "nosuchkind", 256, 1000, new JsonObject(), controller.url())));
        assertError(400, c.run(runBody("a", "guest", "echo", -1, 1000, new JsonObject(), controller.url())));
        assertError(400, c.run(runBody("a", "guest", "echo", 256, 1000, new JsonObject(), controller.url())
                .replace("http://", "ftp://")));
        assertError(400, c.run(runBody("a", "guest", "echo", 4096, 1000, new JsonObject(), controller.url())));
        assertError(404, c.get("/v1/nothing"));
        assertError(405, c.get("/v1/run"));
        assertError(405, c.post("/v1/stats", "{}"));
        assertError(413, c.run("{\"pad\": \"" + "x".repeat(InvokerHttpHandler.MAX_BODY_BYTES) + "\"}"));
        assertEquals(0, json(c.get("/v1/runs")).get("count").getAsInt());
    }

    private static void assertError(int status, HttpResponse<String> r) {
        assertEquals(status, r.statusCode(), r.body());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
        assertTrue(json(r).get("error").getAsString().length() > 0, r.body());
    }

    @Test
    void shouldRequireTheTokenWhenConfiguredAndSendItWithCompletions() {
        ReferenceInvoker inv = invoker("INVOKER_TOKEN", "s3cret");
        InvokerClient anonymous = client(inv);
        InvokerClient wrong = client(inv, "guess");
        InvokerClient right = client(inv, "s3cret");
        String body = runBody("k1", "guest", "echo", 256, LONG_LIMIT_MS, new JsonObject(), controller.url());

        assertError(401, anonymous.run(body));
        assertError(401, anonymous.get("/v1/health"));
        assertError(401, wrong.run(body));
        assertEquals(202, right.run(body).statusCode());
        assertEquals(200, right.get("/v1/health").statusCode());

        controller.await("k1", TIMEOUT);
        assertEquals("Bearer s3cret", controller.find("k1").authorization());
        assertEquals(1, json(right.get("/v1/runs")).get("count").getAsInt());
    }

    @Test
    void shouldRunTwoThousandConcurrentSleepsWithAFixedNumberOfThreads() throws Exception {
        int n = 2000;
        int memoryMb = 128;
        ReferenceInvoker inv = invoker("INVOKER_MEMORY_MB", Integer.toString(n * memoryMb));
        InvokerClient c = client(inv);
        // Blocking posts from a fixed pool, as a controller's bounded connection pool would send them.
        ThreadPoolExecutor posters = new ThreadPoolExecutor(8, 8, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>());
        posters.prestartAllCoreThreads();
        toClose.add(posters::shutdownNow);
        // Warm up, so that every pool has its threads before the baseline is taken and the code is compiled;
        // then time a second batch to learn how fast this machine posts right now.
        post(posters, c, "warm", 200, memoryMb, 20);
        long timedStart = System.nanoTime();
        post(posters, c, "timed", 200, memoryMb, 20);
        long postNs = (System.nanoTime() - timedStart) / 200;
        Wait.until(TIMEOUT, () -> controller.deliveredCount() == 400, () -> "warm-up completions");
        c.post("/v1/stats/reset", "");
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        int baseline = threads.getThreadCount();
        threads.resetPeakThreadCount();

        // A blocker takes all the memory, so the sleeps queue behind it and all start together when its time limit
        // strikes. The limit is twice the time the posts should take plus two seconds, so a slow machine only waits
        // longer (the posts below also run faster than the timed batch: the code is hotter by then).
        long blockMs = Math.min(30_000, 2 * n * postNs / 1_000_000 + 2_000);
        run(c, "blocker", "block", "sleep", n * memoryMb, blockMs, params("ms", 600_000));
        post(posters, c, "s", n, memoryMb, 300);
        JsonObject queued = c.stats();
        assertEquals(n, queued.get("queued").getAsInt(), "all sleeps queued behind the blocker: " + queued);
        Wait.until(TIMEOUT.plusMillis(blockMs), () -> controller.deliveredCount() == 400 + 1 + n,
                () -> "all completions, have " + controller.deliveredCount());

        int peak = threads.getPeakThreadCount();
        assertTrue(peak - baseline <= 8, "threads grew from " + baseline + " to " + peak);
        JsonObject stats = c.stats();
        assertEquals(n, stats.get("maxRunning").getAsInt(), "all sleeps ran at once: " + stats);
        assertEquals(n + 1, stats.get("total").getAsInt());
        assertEquals(0, stats.get("running").getAsInt());
        for (int i = 0; i < n; i++) {
            assertEquals(1, controller.count("s" + i), "completions of s" + i);
        }
        assertEquals("action developer error", controller.find("blocker").body().get("status").getAsString());
        assertEquals(0, inv.engine().publisher().dropped());
    }

    private void post(ExecutorService posters, InvokerClient c, String prefix, int n, int memoryMb, long sleepMs)
            throws Exception {
        List<Future<Integer>> acks = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String body = runBody(prefix + i, "ns" + (i % 10), "sleep", memoryMb, LONG_LIMIT_MS,
                    params("ms", sleepMs), controller.url());
            acks.add(posters.submit(() -> c.run(body).statusCode()));
        }
        for (Future<Integer> f : acks) {
            assertEquals(202, f.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS));
        }
    }

    @Test
    void shouldNameTheAddressWhenThePortIsTaken() {
        ReferenceInvoker first = invoker();

        TandemException e = assertThrows(TandemException.class,
                () -> invoker("INVOKER_PORT", Integer.toString(first.port())));

        assertTrue(e.getMessage().contains("INVOKER_PORT=" + first.port()), e.getMessage());
        assertTrue(e.getMessage().contains("BIND_ADDR=127.0.0.1"), e.getMessage());
    }

    @Test
    void shouldCloseIdempotentlyAndRefuseConnectionsAfterwards() {
        ReferenceInvoker inv = invoker();
        InvokerClient c = client(inv);
        assertEquals(200, c.get("/v1/health").statusCode());

        inv.close();
        inv.close();

        // The client turns the refused connection into an AssertionError.
        assertThrows(AssertionError.class, () -> c.send(c.request("/v1/health").GET()));
    }
}
