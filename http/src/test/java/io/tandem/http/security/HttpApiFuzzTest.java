package io.tandem.http.security;

import static io.tandem.http.security.SecurityFixture.GUEST;
import static io.tandem.http.security.SecurityFixture.OTHER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: random and mutated requests to the API of a real in-process controller — paths, query strings, headers
 * (huge ones included) and bodies (deep nesting, huge numbers, invalid UTF-8, non-objects) — over raw sockets and
 * over java.net.http. Every answer is a well-formed HTTP response below 500 with a JSON error body (Undertow's own
 * 400 for a malformed request line or oversized headers excepted), the bookkeeping returns to zero, and the
 * controller stays healthy and still invokes. Each test runs {@code -Dtandem.fuzz.seconds} (default 15); the seed
 * is printed and replayed with {@code -Dtandem.fuzz.seed=...}.
 */
@Timeout(180)
class HttpApiFuzzTest {
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "TRACE",
        "FOO", "post", "GET\u0000"};
    private static final String[] PREFIXES = {"/api/v1/namespaces/", "/api/v1/namespaces/_/actions/",
        "/api/v1/namespaces/_/activations/", "/api/v1/namespaces/guest/actions/", "/internal/v1/completions",
        "/api/v1/", "/", "//", "/api/v1/namespaces/_/actions/echo", "/api/v1/namespaces/other/activations/"};
    private static final String[] SEGMENTS = {"_", "echo", "guest", "other", "actions", "activations", "result",
        "logs", "..", ".", "%2e%2e", "%2F", "%00", "%ff%fe", "%", "%zz", "é", "\u202e", "a".repeat(300),
        "pkg", "0123456789abcdef0123456789abcdef", ";jsessionid=1", "*", "$", "~", "%20", "+"};
    private static final String[] QUERIES = {"blocking=true", "blocking=false", "result=true", "blocking=maybe",
        "timeout=1", "timeout=0", "timeout=-1", "timeout=99999999999999999999", "timeout=1e3", "timeout=",
        "blocking", "=", "&&&", "blocking=true&blocking=false", "a=%", "x=" + "y".repeat(5000), "%ff=%fe",
        "blocking=true&timeout=50"};
    private static final String[] BODIES = {"{}", "{\"a\":1}", "[]", "1", "\"s\"", "null", "true", "", "{",
        "{\"a\":}", "{\"a\":1e999999}", "{\"a\":-1e-999999}", "{\"a\":123456789012345678901234567890}",
        "{\"a\":NaN}", "{\"a\":\"\\ud800\"}", "{\"a\":\"\\u0000\"}", "{\"__proto__\":{}}", "{'a':1}",
        "{\"a\":1,\"a\":2}", "{\"a\":1}garbage", "\ufeff{}"};
    /** MAX_HEADER_BYTES (the default) and Undertow's default of at most 200 headers. */
    private static final int MAX_HEADER_BYTES = 16_384;
    private static final int MAX_HEADERS = 200;
    private static final java.util.regex.Pattern BAD_PERCENT = java.util.regex.Pattern.compile("%(?![0-9A-Fa-f]{2})");
    private static SecurityFixture fx;

    @BeforeAll
    static void start() {
        fx = SecurityFixture.start();
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    @Test
    void fuzzOverRawSocketsShouldAnswerEveryRequestWellAndStayHealthy() throws Exception {
        long seed = Long.getLong("tandem.fuzz.seed", System.nanoTime());
        long seconds = Long.getLong("tandem.fuzz.seconds", 15);
        System.out.println("HTTP raw-socket fuzz: seed " + seed + " (-Dtandem.fuzz.seed=" + seed + "), " + seconds + " s");
        SplittableRandom random = new SplittableRandom(seed);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        int inputs = 0;
        int undertow400 = 0;
        int[] byClass = new int[6];
        while (System.nanoTime() < deadline) {
            Raw raw = rawRequest(random);
            byte[] request = raw.bytes();
            inputs++;
            Answer a = exchange(request);
            String where = "seed " + seed + ", input " + inputs + ": " + preview(request) + " -> " + a.head;
            assertTrue(a.status >= 100 && a.status < 600, where);
            byClass[a.status / 100]++;
            assertTrue(a.status < 500, where);
            if (a.status >= 400 && !a.head.startsWith("HEAD")) {
                if (SecurityFixture.isJsonError(a.body)) {
                    continue;
                }
                // Undertow answers a malformed request line or header, or oversized headers, itself: 400, no JSON.
                // Anything else must be our JSON error.
                assertEquals(400, a.status, where + " body " + a.body);
                assertTrue(raw.malformed(), "a non-JSON 400 to a well-formed request: " + where + " body " + a.body);
                if (undertow400++ < 5) {
                    System.out.println("HTTP raw-socket fuzz: a non-JSON 400 (Undertow's): " + where);
                }
            }
            if (inputs % 500 == 0) {
                fx.awaitTotalsZero();
            }
        }
        System.out.println("HTTP raw-socket fuzz: " + inputs + " requests; 2xx " + byClass[2] + ", 4xx " + byClass[4]
                + " (of which Undertow's own 400: " + undertow400 + ")");
        assertHealthy();
        assertTrue(inputs > 100, "ran " + inputs);
    }

    @Test
    void fuzzOverJavaNetHttpShouldAnswerEveryRequestWellAndStayHealthy() {
        long seed = Long.getLong("tandem.fuzz.seed", System.nanoTime()) + 1;
        long seconds = Long.getLong("tandem.fuzz.seconds", 15);
        System.out.println("HTTP client fuzz: seed " + seed + " (-Dtandem.fuzz.seed=" + (seed - 1) + "), " + seconds + " s");
        SplittableRandom random = new SplittableRandom(seed);
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        int inputs = 0;
        int[] byClass = new int[6];
        while (System.nanoTime() < deadline) {
            boolean nearValid = random.nextInt(3) == 0;
            String path = nearValid ? "/api/v1/namespaces/_/actions/echo?blocking=true" : path(random);
            URI uri;
            try {
                uri = URI.create(fx.apiUrl() + path);
            } catch (IllegalArgumentException notAUri) {
                continue; // java.net.http refuses it; the raw-socket fuzzer sends such paths
            }
            String method = nearValid || random.nextInt(3) != 0 ? "POST" : "GET";
            byte[] body = body(random);
            HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(20))
                    .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
            String auth = nearValid ? GUEST : auth(random);
            if (auth != null) {
                b.header("Authorization", auth);
            }
            if (random.nextBoolean()) {
                b.header("Content-Type", random.nextBoolean() ? "application/json" : "text/plain; charset=latin1");
            }
            if (random.nextInt(10) == 0) {
                b.header("X-Filler", "z".repeat(random.nextInt(12_000)));
            }
            HttpResponse<String> r;
            try {
                r = fx.http.send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.ISO_8859_1));
            } catch (IllegalArgumentException refusedByClient) {
                continue;
            } catch (IOException e) {
                // Undertow closes the connection after its own 400 for oversized headers
                inputs++;
                continue;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
            inputs++;
            String where = "seed " + (seed - 1) + ", input " + inputs + ": " + method + " " + path + " -> "
                    + r.statusCode() + " " + r.body();
            byClass[r.statusCode() / 100]++;
            assertTrue(r.statusCode() < 500, where);
            if (r.statusCode() >= 400) {
                assertTrue(SecurityFixture.isJsonError(r.body()) || r.statusCode() == 400, where);
            }
            if (inputs % 500 == 0) {
                fx.awaitTotalsZero();
            }
        }
        System.out.println("HTTP client fuzz: " + inputs + " requests; 2xx " + byClass[2] + ", 4xx " + byClass[4]);
        assertHealthy();
        assertTrue(inputs > 100, "ran " + inputs);
    }

    private static void assertHealthy() {
        fx.awaitTotalsZero();
        assertEquals(200, fx.admin("/health", null).statusCode());
        HttpResponse<String> ok = fx.invoke(GUEST, "_", "{\"still\":\"works\"}");
        assertEquals(200, ok.statusCode(), ok.body());
        assertTrue(ok.body().contains("works"), ok.body());
        fx.awaitTotalsZero();
    }

    // ------------------------------------------------------------------------------------------- generators

    private static String path(SplittableRandom r) {
        StringBuilder b = new StringBuilder(pick(r, PREFIXES));
        for (int i = 0, n = r.nextInt(4); i < n; i++) {
            if (i > 0 || b.charAt(b.length() - 1) != '/') {
                b.append('/');
            }
            b.append(pick(r, SEGMENTS));
        }
        if (r.nextInt(4) == 0) {
            b.append("/".repeat(r.nextInt(3)));
        }
        if (r.nextBoolean()) {
            b.append('?').append(pick(r, QUERIES));
            if (r.nextBoolean()) {
                b.append('&').append(pick(r, QUERIES));
            }
        }
        if (r.nextInt(50) == 0) {
            b.append("/x".repeat(2000 + r.nextInt(5000))); // a very long path
        }
        return b.toString();
    }

    private static String auth(SplittableRandom r) {
        switch (r.nextInt(8)) {
            case 0:
                return null;
            case 1:
                return OTHER;
            case 2:
                return "Basic " + "A".repeat(r.nextInt(10_000));
            case 3:
                return "Basic !!!";
            case 4:
                return "Bearer " + SecurityFixture.INVOKER_TOKEN.substring(1);
            case 5:
                return SecurityFixture.basic("x", "");
            default:
                return GUEST;
        }
    }

    private static byte[] body(SplittableRandom r) {
        switch (r.nextInt(8)) {
            case 0: { // deep nesting
                int depth = 1 + r.nextInt(20_000);
                String open = r.nextBoolean() ? "[" : "{\"a\":";
                return (open.repeat(depth) + "1" + (open.equals("[") ? "]" : "}").repeat(r.nextInt(depth + 1)))
                        .getBytes(StandardCharsets.UTF_8);
            }
            case 1: { // invalid UTF-8 inside a string
                byte[] b = "{\"a\":\"xx\"}".getBytes(StandardCharsets.UTF_8);
                b[6] = (byte) (0x80 | r.nextInt(128));
                b[7] = (byte) (0xc0 | r.nextInt(64));
                return b;
            }
            case 2: { // random bytes
                byte[] b = new byte[r.nextInt(3000)];
                r.nextBytes(b);
                return b;
            }
            case 3: // a big one (limits are 1 MB by default)
                return ("{\"a\":\"" + "b".repeat(r.nextInt(2_000_000)) + "\"}").getBytes(StandardCharsets.UTF_8);
            case 4: { // many parameters
                StringBuilder s = new StringBuilder("{");
                for (int i = 0, n = r.nextInt(5000); i < n; i++) {
                    s.append(i == 0 ? "" : ",").append("\"k").append(i).append("\":").append(i);
                }
                return s.append('}').toString().getBytes(StandardCharsets.UTF_8);
            }
            case 5: { // a mutated valid one
                byte[] b = pick(r, BODIES).getBytes(StandardCharsets.UTF_8);
                if (b.length > 0) {
                    b[r.nextInt(b.length)] = (byte) r.nextInt(256);
                }
                return b;
            }
            default:
                return pick(r, BODIES).getBytes(StandardCharsets.UTF_8);
        }
    }

    /** A request and whether it is malformed at the HTTP level (which Undertow, not our handler, answers). */
    private record Raw(byte[] bytes, boolean malformed) {
    }

    private static Raw rawRequest(SplittableRandom r) {
        boolean malformed = false;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] body = body(r);
        int shape = r.nextInt(12);
        StringBuilder head = new StringBuilder();
        if (shape == 0) { // a broken request line
            String[] broken = {"GET\r\n", "GET / HTTP/9.9\r\n", " / HTTP/1.1\r\n", "GET  /  HTTP/1.1\r\n",
                "GET /\u0000 HTTP/1.1\r\n", "\r\n\r\n", "GET " + "/a".repeat(20_000) + " HTTP/1.1\r\n",
                "POST /api/v1/namespaces/_/actions/echo HTTP/1.1 extra\r\n", "G\u00e9T / HTTP/1.1\r\n"};
            head.append(pick(r, broken));
            malformed = true;
        } else if (shape <= 4) { // a valid invoke with a mutated body: exercises the JSON checks and admission
            head.append("POST /api/v1/namespaces/_/actions/echo?blocking=true HTTP/1.1\r\n");
        } else {
            head.append(pick(r, METHODS)).append(' ').append(path(r)).append(" HTTP/1.1\r\n");
        }
        head.append("Host: 127.0.0.1\r\n");
        String auth = shape <= 4 && shape > 0 ? GUEST : auth(r);
        if (auth != null) {
            head.append("Authorization: ").append(auth).append("\r\n");
        }
        switch (r.nextInt(8)) {
            case 0:
                head.append("X-Huge: ").append("h".repeat(r.nextInt(40_000))).append("\r\n");
                break;
            case 1: {
                int n = r.nextInt(300);
                for (int i = 0; i < n; i++) {
                    head.append("X-Many-").append(i).append(": v\r\n");
                }
                malformed |= n + 6 > MAX_HEADERS; // with Host, Authorization, Connection, Content-Length...
                break;
            }
            case 2:
                if (r.nextBoolean()) {
                    head.append("Content-Type: application/json; charset=utf-16\r\n");
                } else {
                    head.append("Content-Type: \u00ff\u00fe/\u0001\r\n"); // a control character
                    malformed = true;
                }
                break;
            case 3:
                head.append("Expect: 100-continue\r\n");
                break;
            case 4:
                head.append("Bad Header Name: x\r\n");
                malformed = true;
                break;
            case 5:
                head.append("Content-Encoding: gzip\r\n");
                break;
            default:
                break;
        }
        head.append("Connection: close\r\n");
        boolean chunked = r.nextInt(4) == 0;
        if (chunked) {
            head.append("Transfer-Encoding: chunked\r\n\r\n");
        } else {
            head.append("Content-Length: ").append(body.length).append("\r\n\r\n");
        }
        String line = head.substring(0, head.indexOf("\r\n"));
        malformed |= head.length() > MAX_HEADER_BYTES || !line.chars().allMatch(c -> c > 0x20 && c < 0x7f || c == ' ')
                || BAD_PERCENT.matcher(line).find(); // Undertow refuses to decode the URL
        out.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
        if (chunked) {
            int pos = 0;
            while (pos < body.length) {
                int n = Math.min(body.length - pos, 1 + r.nextInt(70_000));
                out.writeBytes((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body, pos, n);
                out.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
                pos += n;
            }
            out.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        } else {
            out.writeBytes(body);
        }
        return new Raw(out.toByteArray(), malformed);
    }

    // ------------------------------------------------------------------------------------------- raw HTTP

    private record Answer(int status, String head, String body) {
    }

    /** Sends one request on its own connection and reads the answer to EOF; the answer must be well-formed. */
    private static Answer exchange(byte[] request) throws IOException {
        byte[] raw;
        try (Socket s = new Socket("127.0.0.1", fx.controller.apiPort())) {
            s.setSoTimeout(20_000);
            try {
                s.getOutputStream().write(request);
                s.getOutputStream().flush();
            } catch (IOException closedEarly) {
                // the server answered (413, 400) and closed before we sent everything: read what it said
            }
            raw = readAll(s.getInputStream());
        }
        String text = new String(raw, StandardCharsets.ISO_8859_1);
        int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0) {
            fail("not an HTTP response to " + preview(request) + ": " + preview(raw));
        }
        String head = text.substring(0, end);
        int status = Integer.parseInt(head.substring(9, 12));
        String body = text.substring(end + 4);
        String lower = head.toLowerCase(Locale.ROOT);
        if (lower.contains("\r\ntransfer-encoding: chunked")) {
            body = dechunk(body);
        } else {
            int cl = lower.indexOf("\r\ncontent-length: ");
            if (cl >= 0) {
                int len = Integer.parseInt(lower.substring(cl + 18, lower.indexOf('\r', cl + 2)).trim());
                if (!request(request).startsWith("HEAD ")) {
                    assertEquals(len, body.length(), "Content-Length matches the body: " + head);
                }
            }
        }
        byte[] utf8 = body.getBytes(StandardCharsets.ISO_8859_1);
        return new Answer(status, request(request).startsWith("HEAD ") ? "HEAD " + head : head,
                new String(utf8, StandardCharsets.UTF_8));
    }

    private static String request(byte[] request) {
        return new String(request, 0, Math.min(request.length, 16), StandardCharsets.ISO_8859_1);
    }

    private static byte[] readAll(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[16_384];
        try {
            int n;
            while ((n = in.read(buf)) >= 0) {
                out.write(buf, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // a reset after the answer (the server closed with unread request bytes): keep what was read
        }
        return out.toByteArray();
    }

    private static String dechunk(String chunked) {
        StringBuilder out = new StringBuilder();
        int pos = 0;
        while (true) {
            int eol = chunked.indexOf("\r\n", pos);
            assertTrue(eol >= 0, "chunked body ends early");
            int n = Integer.parseInt(chunked.substring(pos, eol).split(";")[0].trim(), 16);
            if (n == 0) {
                return out.toString();
            }
            out.append(chunked, eol + 2, eol + 2 + n);
            pos = eol + 2 + n + 2;
        }
    }

    private static String preview(byte[] b) {
        String s = new String(b, 0, Math.min(b.length, 300), StandardCharsets.ISO_8859_1);
        return s.replace("\r", "\\r").replace("\n", "\\n") + (b.length > 300 ? "...(" + b.length + " bytes)" : "");
    }

    private static <T> T pick(SplittableRandom r, T[] options) {
        return options[r.nextInt(options.length)];
    }

}
