package io.tandem.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Runs the generator against fakes of a controller, an invoker and an admin port, for well under a second each. */
@Timeout(30)
class LoadTestRunTest {
    private static final String ZERO_BOOKKEEPING = "{\"controllerId\":\"c1\",\"ready\":true,"
            + "\"totals\":{\"namespaces\":{},\"invokers\":{\"invoker0\":0},\"system\":0},"
            + "\"rows\":[{\"owner\":\"c1@1.2\",\"seq\":9,\"counts\":{}}]}";

    @TempDir
    Path dir;
    Path auth;
    final List<FakeServer> fakes = new ArrayList<>();

    @BeforeEach
    void writeAuthFile() throws IOException {
        auth = dir.resolve("auth.txt");
        Files.writeString(auth, "guest 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:key1\nalice aaaa:key2\n");
    }

    @AfterEach
    void stopFakes() {
        fakes.forEach(FakeServer::close);
    }

    private FakeServer keep(FakeServer f) {
        fakes.add(f);
        return f;
    }

    private static final class Run {
        int code;
        String out;
        String err;
    }

    private Run execute(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        Run r = new Run();
        r.code = LoadTest.execute(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        r.out = out.toString(StandardCharsets.UTF_8);
        r.err = err.toString(StandardCharsets.UTF_8);
        return r;
    }

    private static String[] concat(String[] a, String... b) {
        String[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }

    @Test
    void shouldCountStatusesAndWriteJsonAndHtmlReports() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        AtomicInteger resets = new AtomicInteger();
        FakeServer invoker = keep(FakeServer.invoker("{\"invokerId\":\"invoker0\",\"running\":1,\"queued\":0,"
                + "\"maxRunning\":4,\"total\":70,\"namespaces\":{\"guest\":{\"running\":1,\"maxRunning\":3,\"total\":40},"
                + "\"alice\":{\"running\":0,\"maxRunning\":2,\"total\":30}}}", resets));
        FakeServer admin = keep(FakeServer.admin("tok", new AtomicReference<>(ZERO_BOOKKEEPING)));
        Path json = dir.resolve("out/report.json");
        Path html = dir.resolve("out/report.html");

        Run run = execute("--url", controller.url(), "--auth-file", auth.toString(), "--rate", "400",
                "--requests", "100", "--duration", "10s", "--mix", "echo:1,demo/sleep:1", "--sleep-ms", "20-30",
                "--invoker", invoker.url(), "--admin", admin.url(), "--admin-token", "tok", "--limit", "4",
                "--max-overshoot", "1", "--json", json.toString(), "--html", html.toString());

        assertEquals(0, run.code, run.out + run.err);
        assertEquals(100, controller.seen.size());
        assertEquals(1, resets.get(), "stats are reset before the run");
        assertTrue(run.out.contains("RESULT: OK"), run.out);
        assertTrue(run.err.contains("open loop"), run.err);

        JsonObject j = JsonParser.parseString(Files.readString(json)).getAsJsonObject();
        for (String field : List.of("tool", "startedAt", "config", "mode", "stopReason", "windowSeconds", "requests",
                "intendedRate", "achievedRate", "throughput", "okThroughput", "latencyMs", "latencyAdmittedMs",
                "sendLagMs", "statusCounts", "rateLimited", "errors", "applicationErrors", "overshoot", "leakCheck",
                "generator", "timeline", "warnings", "failures", "exitCode")) {
            assertTrue(j.has(field), "JSON report lacks " + field);
        }
        assertEquals("requests", j.get("stopReason").getAsString());
        JsonObject req = j.getAsJsonObject("requests");
        assertEquals(100, req.get("intended").getAsLong());
        assertEquals(100, req.get("sent").getAsLong());
        assertEquals(100, req.get("answered").getAsLong());
        assertEquals(70, req.get("ok").getAsLong());
        assertEquals(0, req.get("dropped").getAsLong());
        JsonObject statuses = j.getAsJsonObject("statusCounts");
        assertEquals(70, statuses.get("200").getAsLong());
        assertEquals(20, statuses.get("429").getAsLong());
        assertEquals(10, statuses.get("502").getAsLong());
        assertEquals(20, j.getAsJsonObject("rateLimited").get("total").getAsLong());
        assertEquals(20, j.getAsJsonObject("rateLimited").getAsJsonObject("byKind").get("concurrency").getAsLong());
        assertEquals(0, j.getAsJsonObject("errors").get("total").getAsLong());
        assertEquals(10, j.get("applicationErrors").getAsLong());
        assertEquals(100, j.getAsJsonObject("latencyMs").get("count").getAsLong());
        assertEquals(80, j.getAsJsonObject("latencyAdmittedMs").get("count").getAsLong());
        assertTrue(j.getAsJsonObject("latencyMs").getAsJsonArray("spectrum").size() > 10);
        JsonObject overshoot = j.getAsJsonObject("overshoot");
        assertEquals(3, overshoot.getAsJsonObject("namespaces").getAsJsonObject("guest").get("perInvokerMaxSum").getAsInt());
        assertEquals(1, overshoot.getAsJsonObject("namespaces").getAsJsonObject("guest").get("sampledMaxRunning").getAsInt());
        assertEquals(-1, overshoot.get("worst").getAsInt());
        assertTrue(overshoot.get("samples").getAsLong() >= 1);
        assertEquals("passed", j.getAsJsonObject("leakCheck").get("status").getAsString());
        assertEquals(0, j.get("exitCode").getAsInt());
        assertTrue(j.getAsJsonObject("generator").get("cpuTimeMs").getAsLong() >= 0);

        String page = Files.readString(html);
        assertTrue(page.startsWith("<!DOCTYPE html>"));
        assertTrue(page.contains("<svg") && page.contains("<polyline"), "charts are inline SVG");
        assertTrue(page.contains("Latency by percentile"));
        for (String external : List.of("<script", "<link", "<img", "src=", "href=", "@import", "url(")) {
            assertFalse(page.contains(external), "HTML must be self-contained, found " + external);
        }

        Map<String, Long> byAction = controller.seen.stream().collect(Collectors.groupingBy(
                s -> s.path().substring(s.path().indexOf("/actions/") + 9), Collectors.counting()));
        assertEquals(Map.of("echo", 50L, "demo/sleep", 50L), byAction);
        Map<String, Long> byNamespace = controller.seen.stream().collect(Collectors.groupingBy(
                s -> s.path().split("/")[4], Collectors.counting()));
        assertEquals(Map.of("guest", 50L, "alice", 50L), byNamespace);
        FakeServer.Seen sleep = controller.seen.stream().filter(s -> s.path().endsWith("/sleep")).findFirst().orElseThrow();
        int ms = JsonParser.parseString(sleep.body()).getAsJsonObject().get("ms").getAsInt();
        assertTrue(ms >= 20 && ms <= 30, "sleep ms " + ms);
        assertEquals("blocking=true", sleep.query());
        assertTrue(controller.seen.stream().allMatch(s -> s.authorization().startsWith("Basic ")));
    }

    @Test
    void shouldRoundRobinOverUrlsAndSendNonBlocking() throws Exception {
        FakeServer a = keep(FakeServer.controller(0));
        FakeServer b = keep(FakeServer.controller(0));
        Report r = LoadTest.run(Options.builder().url(a.url() + "," + b.url()).authFile(auth).rate(500).requests(40)
                .blocking(false).progress(null).build());
        assertEquals(20, a.seen.size());
        assertEquals(20, b.seen.size());
        assertTrue(a.seen.stream().allMatch(s -> s.query().equals("blocking=false")));
        assertEquals(Map.of("guest", 10L, "alice", 10L), a.seen.stream().collect(Collectors.groupingBy(
                s -> s.path().split("/")[4], Collectors.counting())));
        assertEquals(40, r.requests().answered());
        assertEquals("skipped", r.leakCheck().status());
        assertFalse(r.overshoot().measured());
        assertEquals(0, r.exitCode());
    }

    @Test
    void shouldStopClosedLoopAtTheRequestCount() throws Exception {
        FakeServer controller = keep(FakeServer.controller(2));
        Report r = LoadTest.run(Options.builder().url(controller.url()).authFile(auth).clients(4).requests(40)
                .duration(Duration.ofSeconds(10)).progress(null).build());
        assertEquals(40, r.requests().sent());
        assertEquals(40, r.requests().answered());
        assertEquals(40, controller.seen.size());
        assertEquals("closed", r.mode());
        assertEquals("requests", r.stopReason());
        assertTrue(r.generator().peakInflight() <= 4);
        assertEquals(28L, r.statusCounts().get("200"));
    }

    @Test
    void shouldStopAtTheDurationAndEmitATimeline() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        Report r = LoadTest.run(Options.builder().url(controller.url()).authFile(auth).rate(100)
                .duration(Duration.ofMillis(1200)).progress(null).build());
        assertEquals("duration", r.stopReason());
        assertEquals(120, r.requests().intended(), 2);
        assertFalse(r.timeline().isEmpty());
        assertEquals(r.requests().sent(), r.timeline().stream().mapToLong(Report.Second::sent).sum());
        assertEquals(r.requests().answered(), r.timeline().stream().mapToLong(Report.Second::answered).sum());
    }

    @Test
    void shouldCountArrivalsBeyondMaxInflightAsDroppedByTheGenerator() throws Exception {
        FakeServer slow = keep(FakeServer.controller(300));
        Report r = LoadTest.run(Options.builder().url(slow.url()).authFile(auth).rate(100).requests(20).maxInflight(2)
                .progress(null).build());
        assertEquals(20, r.requests().intended());
        assertTrue(r.requests().dropped() > 0, "dropped " + r.requests().dropped());
        assertEquals(20, r.requests().sent() + r.requests().dropped());
        assertEquals(r.requests().sent(), slow.seen.size());
        assertTrue(r.toText().contains("dropped by generator"), r.toText());
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("dropped by the generator")), r.warnings().toString());
        assertTrue(r.latencyMs().p50() >= 300, "latency from the intended time: " + r.toText());
    }

    @Test
    void shouldCountConnectionFailuresAsErrors() throws Exception {
        int freePort;
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            freePort = s.getLocalPort();
        }
        Report r = LoadTest.run(Options.builder().url("http://127.0.0.1:" + freePort).authFile(auth).rate(200)
                .requests(10).progress(null).build());
        assertEquals(10, r.errors().total());
        assertEquals(Map.of("connect failed", 10L), r.errors().byKind());
        assertTrue(r.warnings().stream().anyMatch(w -> w.contains("every request failed")), r.warnings().toString());
        assertEquals(0, r.exitCode(), "errors alone break no invariant");
    }

    @Test
    void shouldFailTheLeakCheckWithExitOneWhenAControllerStillHoldsCounts() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        FakeServer clean = keep(FakeServer.admin("tok", new AtomicReference<>(ZERO_BOOKKEEPING)));
        FakeServer leaky = keep(FakeServer.admin("tok", new AtomicReference<>("{\"controllerId\":\"c2\",\"ready\":true,"
                + "\"totals\":{\"namespaces\":{\"guest\":1},\"invokers\":{\"invoker0\":256},\"system\":1},\"rows\":[]}")));
        Run run = execute("--url", controller.url(), "--auth-file", auth.toString(), "--rate", "200", "--requests", "10",
                "--admin", clean.url(), "--admin", leaky.url(), "--admin-token", "tok", "--leak-timeout", "500ms",
                "--quiet");
        assertEquals(1, run.code, run.out + run.err);
        assertTrue(run.out.contains("leak check         FAILED"), run.out);
        assertTrue(run.out.contains("namespaces.guest=1"), run.out);
        assertTrue(run.out.contains("RESULT: INVARIANT BROKEN"), run.out);
        assertTrue(run.out.contains("not zero after"), run.out);
        assertEquals("Bearer tok", leaky.seen.get(0).authorization());
    }

    @Test
    void shouldPassTheLeakCheckOnceCountsReturnToZero() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        AtomicReference<String> body = new AtomicReference<>(
                "{\"totals\":{\"namespaces\":{\"guest\":2},\"system\":2}}");
        FakeServer admin = keep(FakeServer.admin("tok", body));
        Thread drainer = new Thread(() -> {
            try {
                Thread.sleep(300);
            } catch (InterruptedException e) {
                return;
            }
            body.set("{\"totals\":{}}");
        });
        Report r;
        drainer.start();
        try {
            r = LoadTest.run(Options.builder().url(controller.url()).authFile(auth).rate(200).requests(5)
                    .admin(admin.url()).adminToken("tok").leakTimeout(Duration.ofSeconds(5)).progress(null).build());
        } finally {
            drainer.join();
        }
        assertEquals("passed", r.leakCheck().status(), r.leakCheck().reason());
        assertEquals(0, r.exitCode());
    }

    @Test
    void shouldFailTheLeakCheckAtOnceOnAWrongAdminToken() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        FakeServer admin = keep(FakeServer.admin("right", new AtomicReference<>(ZERO_BOOKKEEPING)));
        Report r = LoadTest.run(Options.builder().url(controller.url()).authFile(auth).rate(200).requests(5)
                .admin(admin.url()).adminToken("wrong").leakTimeout(Duration.ofSeconds(20)).progress(null).build());
        assertEquals("failed", r.leakCheck().status());
        assertTrue(r.leakCheck().reason().contains("401"), r.leakCheck().reason());
        assertEquals(1, r.leakCheck().rounds(), "waiting cannot fix a 401");
        assertEquals(1, r.exitCode());
    }

    @Test
    void shouldFollowBookkeepingPagesToFindALeakInALaterNamespace() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        FakeServer admin = keep(FakeServer.admin("tok", query -> query.contains("offset=0")
                ? "{\"totals\":{\"namespaces\":{\"a\":0,\"b\":0},\"namespaceCount\":3,\"system\":0}}"
                : "{\"totals\":{\"namespaces\":{\"c\":1},\"namespaceCount\":3,\"system\":0}}"));
        Report r = LoadTest.run(Options.builder().url(controller.url()).authFile(auth).rate(200).requests(5)
                .admin(admin.url()).adminToken("tok").leakTimeout(Duration.ZERO).progress(null).build());
        assertEquals("failed", r.leakCheck().status());
        assertEquals(Map.of("namespaces.c", 1L), r.leakCheck().controllers().get(0).nonZero());
        assertTrue(admin.seen.stream().anyMatch(s -> s.query().contains("offset=2")), admin.seen.toString());
    }

    @Test
    void shouldFailTheLeakCheckAtOnceOnANegativeCount() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        FakeServer admin = keep(FakeServer.admin("tok", new AtomicReference<>("{\"totals\":{\"namespaces\":{}},"
                + "\"rows\":[{\"owner\":\"c1@1.2\",\"seq\":3,\"counts\":{\"n/guest\":-1,\"n/alice\":1}},"
                + "{\"owner\":\"c2@1.2\",\"seq\":3,\"counts\":{\"n/alice\":-1}}]}")));
        Report r = LoadTest.run(Options.builder().url(controller.url()).authFile(auth).rate(200).requests(5)
                .admin(admin.url()).adminToken("tok").leakTimeout(Duration.ofSeconds(10)).progress(null).build());
        assertEquals("failed", r.leakCheck().status());
        assertTrue(r.leakCheck().reason().contains("rows[0].counts.n/guest = -1"), r.leakCheck().reason());
        assertTrue(r.leakCheck().waitedMs() < 5000, "fails at once, not after the timeout");
        assertEquals(1, r.exitCode());
    }

    @Test
    void shouldFailWhenOvershootExceedsMaxOvershoot() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        AtomicInteger resets = new AtomicInteger();
        Function<Integer, String> stats = max -> "{\"invokerId\":\"i\",\"running\":2,\"queued\":0,\"maxRunning\":" + max
                + ",\"total\":5,\"namespaces\":{\"guest\":{\"running\":2,\"maxRunning\":" + max + ",\"total\":5}}}";
        FakeServer i0 = keep(FakeServer.invoker(stats.apply(7), resets));
        FakeServer i1 = keep(FakeServer.invoker(stats.apply(5), resets));
        String[] base = {"--url", controller.url(), "--auth-file", auth.toString(), "--rate", "200", "--requests", "10",
            "--invoker", i0.url() + "," + i1.url(), "--limit", "10", "--quiet"};

        Run over = execute(concat(base, "--max-overshoot", "1"));
        assertEquals(1, over.code, over.out + over.err);
        assertTrue(over.out.contains("FAILED: overshoot 2 in namespace guest"), over.out);
        assertTrue(over.out.contains("guest                          12            4"), over.out);
        // two invokers ran it: the peaks may not have been at once, so the overshoot is a range, not a verdict
        assertTrue(over.out.contains("0..2 (at most 20.0%)"), over.out);
        assertTrue(over.out.contains("worst overshoot  at most 2 (sampled: at least 0) in guest"), over.out);

        Run within = execute(concat(base, "--max-overshoot", "2"));
        assertEquals(0, within.code, within.out + within.err);
        assertEquals(4, resets.get(), "each run resets both invokers");
    }

    @Test
    void shouldKeepTheResultAndWarnWhenAReportFileCannotBeWritten() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        Run run = execute("--url", controller.url(), "--auth-file", auth.toString(), "--rate", "200", "--requests", "5",
                "--json", dir.toString(), "--quiet");
        assertEquals(0, run.code, run.out + run.err);
        assertTrue(run.out.contains("warning: cannot write --json"), run.out);
        assertFalse(run.out.contains("JSON report:"), run.out);
    }

    @Test
    void shouldFailWhenAnInvokerCannotBeReadButOvershootWasAskedFor() throws Exception {
        FakeServer controller = keep(FakeServer.controller(0));
        Report r = LoadTest.run(Options.builder().url(controller.url()).authFile(auth).rate(200).requests(5)
                .invoker("http://127.0.0.1:1").limit(5).maxOvershoot(0).progress(null).build());
        assertEquals(1, r.exitCode());
        assertNotNull(r.overshoot().invokers().get(0).error());
        assertTrue(r.failures().get(0).contains("overshoot not measured"), r.failures().toString());
    }
}
