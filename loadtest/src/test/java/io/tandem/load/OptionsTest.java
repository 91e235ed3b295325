package io.tandem.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class OptionsTest {
    @TempDir
    static Path dir;
    static Path auth;

    @BeforeEach
    void writeAuthFile() throws IOException {
        auth = dir.resolve("auth.txt");
        Files.writeString(auth, """
                # namespace uuid:key
                guest 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP

                alice   11111111-2222-3333-4444-555555555555:abcdef   # trailing comment
                bob 66666666-7777-8888-9999-000000000000:xyz
                """);
    }

    private static String[] args(String... extra) {
        List<String> a = new ArrayList<>(List.of("--url", "http://127.0.0.1:3233", "--auth-file", auth.toString()));
        a.addAll(Arrays.asList(extra));
        return a.toArray(new String[0]);
    }

    @Test
    void shouldParseEveryOption() {
        Options o = Options.parse(args("--url", "http://a:1/,http://b:2", "--namespaces", "2",
                "--mix", "echo:70,demo/sleep:20,fail:10", "--sleep-ms", "50-200", "--blocking", "false",
                "--rate", "250.5", "--duration", "1.5s", "--requests", "1000", "--warmup", "500ms",
                "--max-inflight", "64", "--request-timeout", "2m", "--invoker", "http://i:1",
                "--invoker=http://i:2", "--invoker-token", "it", "--reset-stats", "no", "--stats-interval", "50ms",
                "--limit", "30", "--max-overshoot", "1", "--admin", "http://c:9", "--admin-token", "secret",
                "--leak-timeout", "10s", "--json", "r.json", "--html", "r.html", "--quiet"));
        assertEquals(3, o.urls().size());
        assertEquals("http://a:1", o.urls().get(1).toString());
        assertEquals(List.of("guest", "alice"), o.credentials().stream().map(Credential::namespace).toList());
        assertEquals(List.of("echo", "demo/sleep", "fail"), o.mix().actions());
        assertEquals(new SleepMs(50, 200), o.sleepMs());
        assertEquals(false, o.blocking());
        assertEquals(Options.Mode.OPEN, o.mode());
        assertEquals(250.5, o.rate());
        assertEquals(Duration.ofMillis(1500), o.duration());
        assertEquals(1000, o.requests());
        assertEquals(Duration.ofMillis(500), o.warmup());
        assertEquals(64, o.maxInflight());
        assertEquals(Duration.ofMinutes(2), o.requestTimeout());
        assertEquals(2, o.invokers().size());
        assertEquals("it", o.invokerToken());
        assertEquals(false, o.resetStats());
        assertEquals(Duration.ofMillis(50), o.statsInterval());
        assertEquals(30, o.limit());
        assertEquals(1, o.maxOvershoot());
        assertEquals("secret", o.adminToken());
        assertEquals(Duration.ofSeconds(10), o.leakTimeout());
        assertEquals(Path.of("r.json"), o.jsonFile());
        assertEquals(Path.of("r.html"), o.htmlFile());
        assertNull(o.progress());
    }

    @Test
    void shouldApplyDefaults() {
        Options o = Options.parse(args("--clients", "8"));
        assertEquals(Options.Mode.CLOSED, o.mode());
        assertEquals(8, o.clients());
        assertEquals(3, o.credentials().size());
        assertEquals(List.of("echo"), o.mix().actions());
        assertEquals(true, o.blocking());
        assertEquals(Duration.ofSeconds(30), o.duration());
        assertEquals(Long.MAX_VALUE, o.requests());
        assertEquals(512, o.maxInflight());
        assertEquals(Duration.ofSeconds(30), o.leakTimeout());
        assertEquals(Duration.ofMillis(100), o.statsInterval());
        assertNull(o.limit());
    }

    @Test
    void shouldTakeActionsWithEqualWeights() {
        Options o = Options.parse(args("--rate", "10", "--actions", "echo,pkg/sleep"));
        assertEquals(List.of("echo", "pkg/sleep"), o.mix().actions());
        assertEquals(2, o.mix().cycleLength());
    }

    static Stream<Arguments> badArguments() {
        return Stream.of(
                Arguments.of(List.of("--rate", "abc"), "--rate"),
                Arguments.of(List.of("--rate", "0"), "--rate"),
                Arguments.of(List.of("--rate", "-5"), "--rate"),
                Arguments.of(List.of("--clients", "0"), "--clients"),
                Arguments.of(List.of(), "--rate"),
                Arguments.of(List.of("--rate", "10", "--clients", "2"), "--clients"),
                Arguments.of(List.of("--clients", "600"), "--clients"),
                Arguments.of(List.of("--rate", "10", "--duration", "5x"), "--duration"),
                Arguments.of(List.of("--rate", "10", "--duration", "0s"), "--duration"),
                Arguments.of(List.of("--rate", "10", "--requests", "many"), "--requests"),
                Arguments.of(List.of("--rate", "10", "--blocking", "maybe"), "--blocking"),
                Arguments.of(List.of("--rate", "10", "--sleep-ms", "200-50"), "--sleep-ms"),
                Arguments.of(List.of("--rate", "10", "--sleep-ms", "x"), "--sleep-ms"),
                Arguments.of(List.of("--rate", "10", "--mix", "echo:x"), "--mix"),
                Arguments.of(List.of("--rate", "10", "--mix", "echo:0"), "--mix"),
                Arguments.of(List.of("--rate", "10", "--mix", "echo:1,echo:2"), "--mix"),
                Arguments.of(List.of("--rate", "10", "--actions", "echo", "--mix", "sleep:1"), "--mix"),
                Arguments.of(List.of("--rate", "10", "--namespaces", "4"), "--namespaces"),
                Arguments.of(List.of("--rate", "10", "--max-overshoot", "1"), "--max-overshoot"),
                Arguments.of(List.of("--rate", "10", "--max-overshoot", "1", "--limit", "5"), "--max-overshoot"),
                Arguments.of(List.of("--rate", "10", "--limit", "-1"), "--limit"),
                Arguments.of(List.of("--rate", "10", "--invoker", "ftp://x"), "--invoker"),
                Arguments.of(List.of("--rate", "10", "--admin", "not a url"), "--admin"),
                Arguments.of(List.of("--rate", "10", "--stats-interval", "1ms"), "--stats-interval"),
                Arguments.of(List.of("--rate", "10", "--bogus", "1"), "--bogus"),
                Arguments.of(List.of("--rate", "10", "--quiet=yes"), "--quiet"),
                Arguments.of(List.of("--rate", "10", "stray"), "arguments"),
                Arguments.of(List.of("--rate"), "--rate"));
    }

    @ParameterizedTest
    @MethodSource("badArguments")
    void shouldExitWithTwoNamingTheOptionOnBadArguments(List<String> extra, String option) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = LoadTest.execute(args(extra.toArray(new String[0])), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String message = err.toString(StandardCharsets.UTF_8);
        assertEquals(2, code, message);
        assertTrue(message.startsWith("tandem-load: " + option + ":"), message);
        assertEquals("", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRequireUrlAndAuthFile() {
        BadArgumentException e = assertThrows(BadArgumentException.class,
                () -> Options.parse("--auth-file", auth.toString(), "--rate", "1"));
        assertEquals("--url", e.option());
        e = assertThrows(BadArgumentException.class, () -> Options.parse("--url", "http://x:1", "--rate", "1"));
        assertEquals("--auth-file", e.option());
        e = assertThrows(BadArgumentException.class, () -> Options.parse("--url", "http://x:1", "--rate", "1",
                "--auth-file", dir.resolve("missing.txt").toString()));
        assertEquals("--auth-file", e.option());
        assertTrue(e.getMessage().contains("missing.txt"), e.getMessage());
    }

    @Test
    void shouldRejectMalformedAuthFileNamingTheLine() throws IOException {
        Path bad = dir.resolve("bad-auth.txt");
        Files.writeString(bad, "guest uuid:key\nalice no-colon\n");
        BadArgumentException e = assertThrows(BadArgumentException.class,
                () -> Options.parse("--url", "http://x:1", "--rate", "1", "--auth-file", bad.toString()));
        assertEquals("--auth-file", e.option());
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
    }

    @Test
    void shouldPrintUsageListingEveryOption() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int code = LoadTest.execute(new String[]{"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        assertEquals(0, code);
        String usage = out.toString(StandardCharsets.UTF_8);
        for (Options.Opt o : Options.OPTIONS) {
            assertTrue(usage.contains(o.name()), o.name());
        }
        assertTrue(usage.contains("[default: 512]"), usage);
        assertTrue(usage.contains("Exit codes"), usage);
    }

    @Test
    void shouldParseDurations() {
        assertEquals(Duration.ofMillis(250), Options.duration("--d", "250ms", false));
        assertEquals(Duration.ofSeconds(30), Options.duration("--d", "30", false));
        assertEquals(Duration.ofMinutes(2), Options.duration("--d", "2m", false));
        assertEquals(Duration.ofHours(1), Options.duration("--d", "1h", false));
        assertEquals(Duration.ZERO, Options.duration("--d", "0s", true));
        assertThrows(BadArgumentException.class, () -> Options.duration("--d", "-1s", true));
    }

    @Test
    void shouldReadCredentialsAndBuildBasicAuth() {
        List<Credential> c = Credential.readFile(auth);
        assertEquals(3, c.size());
        assertEquals("alice", c.get(1).namespace());
        assertEquals("11111111-2222-3333-4444-555555555555:abcdef", c.get(1).uuidKey());
        assertEquals("Basic MTExMTExMTEtMjIyMi0zMzMzLTQ0NDQtNTU1NTU1NTU1NTU1OmFiY2RlZg==", c.get(1).basicAuthorization());
        assertTrue(!c.get(1).toString().contains("abcdef"), "toString must not show the key");
    }
}
