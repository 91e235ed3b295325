package io.tandem.http.controller;

import static io.tandem.http.controller.ControllerFixture.GUEST;
import static io.tandem.http.controller.ControllerFixture.LIMITED_KEY;
import static io.tandem.http.controller.ControllerFixture.LIMITED_UUID;
import static io.tandem.http.controller.ControllerFixture.OTHER_KEY;
import static io.tandem.http.controller.ControllerFixture.OTHER_UUID;
import static io.tandem.http.controller.ControllerFixture.basic;
import static io.tandem.http.controller.ControllerFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.core.activation.ActivationIds;
import io.tandem.http.invoker.InvokerSettings;
import io.tandem.http.invoker.ReferenceInvoker;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The OpenWhisk API against one controller and a real reference invoker; after every test nothing is booked. */
@Timeout(30)
class InvokeApiTest {
    private static ReferenceInvoker invoker;
    private static ControllerFixture fx;

    @BeforeAll
    static void start() {
        invoker = ReferenceInvoker.start(new InvokerSettings("invoker0", "127.0.0.1", 0, 2048, 1000, 2, 10_000, null));
        Map<String, String> env = ControllerFixture.env("invoker0=http://127.0.0.1:" + invoker.port() + "=2048");
        env.put("ACTIONS", "*/echo=echo:256:60s,*/sleep=sleep:256:60s,*/fail=fail:256:60s,*/error=error:256:60s,"
                + "guest/demo/hello=echo:128:5s");
        env.put("MAX_BODY_BYTES", "4096");
        env.put("MAX_PARAMS", "5");
        env.put("MAX_JSON_DEPTH", "4");
        fx = ControllerFixture.start(env).awaitReady();
    }

    @AfterEach
    void nothingIsLeft() {
        fx.assertNoLeak();
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
        if (invoker != null) {
            invoker.close();
        }
    }

    @Test
    void shouldAnswerBlockingInvokeWithTheRecordAndTheActivationIdHeader() {
        HttpResponse<String> r = fx.send("POST", "/api/v1/namespaces/_/actions/echo?blocking=true",
                "{\"hello\":\"world\"}", GUEST, "x-request-id", "req-123");

        assertEquals(200, r.statusCode(), r.body());
        JsonObject rec = json(r);
        String id = rec.get("activationId").getAsString();
        assertTrue(ActivationIds.isValid(id), id);
        assertEquals(Optional.of(id), r.headers().firstValue("x-openwhisk-activation-id"));
        assertEquals(Optional.of("req-123"), r.headers().firstValue("x-request-id"));
        assertEquals("guest", rec.get("namespace").getAsString());
        assertEquals("echo", rec.get("name").getAsString());
        assertEquals("0.0.1", rec.get("version").getAsString());
        assertEquals("guest", rec.get("subject").getAsString());
        assertEquals(rec.get("end").getAsLong() - rec.get("start").getAsLong(), rec.get("duration").getAsLong());
        assertTrue(rec.get("logs").isJsonArray());
        JsonObject response = rec.getAsJsonObject("response");
        assertEquals("success", response.get("status").getAsString());
        assertEquals(0, response.get("statusCode").getAsInt());
        assertTrue(response.get("success").getAsBoolean());
        assertEquals(JsonParser.parseString("{\"hello\":\"world\"}"), response.get("result"));
        assertEquals("guest/echo", annotation(rec, "path").getAsString());
        assertEquals("echo", annotation(rec, "kind").getAsString());
        assertEquals(256, annotation(rec, "limits").getAsJsonObject().get("memory").getAsInt());
        assertEquals(60_000, annotation(rec, "limits").getAsJsonObject().get("timeout").getAsInt());
        assertEquals("invoker0", annotation(rec, "invoker").getAsString());
        assertTrue(annotation(rec, "waitTime").getAsLong() >= 0);
    }

    @Test
    void shouldAnswerOnlyTheResultWithResultTrue() {
        HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true&result=true", "{\"a\":[1,2,{\"b\":\"c\"}]}");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals(JsonParser.parseString("{\"a\":[1,2,{\"b\":\"c\"}]}"), JsonParser.parseString(r.body()));
        assertTrue(r.headers().firstValue("x-openwhisk-activation-id").isPresent());
    }

    @Test
    void shouldTreatAnEmptyBodyAsNoParameters() {
        HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true&result=true", "");

        assertEquals(200, r.statusCode(), r.body());
        assertEquals("{}", r.body());
    }

    @Test
    void shouldAnswerNonBlockingWith202AndServeTheRecordItsResultAndItsLogs() {
        HttpResponse<String> r = fx.invoke("guest/actions/echo", "", "{\"x\":1}");

        assertEquals(202, r.statusCode(), r.body());
        String id = json(r).get("activationId").getAsString();
        assertEquals(Optional.of(id), r.headers().firstValue("x-openwhisk-activation-id"));
        assertEquals(1, json(r).size());

        HttpResponse<String> rec = Wait.forValue(ControllerFixture.WAIT, "the activation record",
                () -> fx.get("/api/v1/namespaces/_/activations/" + id), x -> x.statusCode() == 200);
        assertEquals(id, json(rec).get("activationId").getAsString());

        HttpResponse<String> result = fx.get("/api/v1/namespaces/guest/activations/" + id + "/result");
        assertEquals(200, result.statusCode(), result.body());
        assertEquals("success", json(result).get("status").getAsString());
        assertEquals(JsonParser.parseString("{\"x\":1}"), json(result).get("result"));

        HttpResponse<String> logs = fx.get("/api/v1/namespaces/_/activations/" + id + "/logs");
        assertEquals(200, logs.statusCode(), logs.body());
        assertTrue(json(logs).get("logs").isJsonArray());
    }

    @Test
    void shouldInvokeAnActionInAPackage() {
        HttpResponse<String> r = fx.invoke("_/actions/demo/hello", "blocking=true", "{\"p\":true}");

        assertEquals(200, r.statusCode(), r.body());
        JsonObject rec = json(r);
        assertEquals("hello", rec.get("name").getAsString());
        assertEquals("guest/demo/hello", annotation(rec, "path").getAsString());
        assertEquals(128, annotation(rec, "limits").getAsJsonObject().get("memory").getAsInt());
        assertEquals(404, fx.invoke("_/actions/other/hello", "blocking=true", "{}").statusCode());
    }

    @Test
    void shouldAnswer401WithTheChallengeForAMissingOrWrongKey() {
        HttpResponse<String> missing = fx.send("POST", "/api/v1/namespaces/_/actions/echo", "{}", null);
        HttpResponse<String> wrong = fx.send("POST", "/api/v1/namespaces/_/actions/echo", "{}",
                basic(ControllerFixture.GUEST_UUID, "not-the-key"));
        HttpResponse<String> unknownUuid = fx.send("POST", "/api/v1/namespaces/_/actions/echo", "{}",
                basic("99999999-2222-3333-4444-555555555555", ControllerFixture.GUEST_KEY));
        HttpResponse<String> garbage = fx.send("POST", "/api/v1/namespaces/_/actions/echo", "{}", "Basic !!!");

        for (HttpResponse<String> r : java.util.List.of(missing, wrong, unknownUuid, garbage)) {
            assertEquals(401, r.statusCode(), r.body());
            assertEquals(Optional.of("Basic realm=\"OpenWhisk secure realm\""),
                    r.headers().firstValue("WWW-Authenticate"));
            assertErrorShape(r);
            assertFalse(r.body().contains(ControllerFixture.GUEST_KEY), "a key never appears in an answer");
        }
        assertEquals(401, fx.send("GET", "/api/v1/namespaces/_/activations/" + "0".repeat(32), null, null)
                .statusCode());
    }

    @Test
    void shouldAnswer403ForAnotherNamespace() {
        HttpResponse<String> r = fx.invoke("other/actions/echo", "blocking=true", "{}");

        assertEquals(403, r.statusCode(), r.body());
        assertErrorShape(r);
    }

    @Test
    void shouldAnswer404ForUnknownActionActivationAndPath() {
        HttpResponse<String> action = fx.invoke("_/actions/nope", "blocking=true", "{}");
        String ownTag = ActivationIds.controllerTag("c1");
        HttpResponse<String> activation = fx.get("/api/v1/namespaces/_/activations/" + ownTag + "0".repeat(24));
        HttpResponse<String> foreign = fx.get("/api/v1/namespaces/_/activations/" + "f".repeat(32));
        HttpResponse<String> path = fx.send("GET", "/api/v2/whatever", null, GUEST, "x-request-id", "rid-404");
        HttpResponse<String> triggers = fx.send("POST", "/api/v1/namespaces/_/triggers/t", "{}", GUEST);

        for (HttpResponse<String> r : java.util.List.of(action, activation, foreign, path, triggers)) {
            assertEquals(404, r.statusCode(), r.body());
            assertErrorShape(r);
        }
        assertEquals("rid-404", json(path).get("code").getAsString());
    }

    @Test
    void shouldAnswer405ForAWrongMethod() {
        HttpResponse<String> getAction = fx.send("GET", "/api/v1/namespaces/_/actions/echo", null, GUEST);
        HttpResponse<String> deleteActivation = fx.send("DELETE", "/api/v1/namespaces/_/activations/" + "0".repeat(32),
                null, GUEST);

        assertEquals(405, getAction.statusCode(), getAction.body());
        assertEquals(Optional.of("POST"), getAction.headers().firstValue("Allow"));
        assertErrorShape(getAction);
        assertEquals(405, deleteActivation.statusCode(), deleteActivation.body());
        assertErrorShape(deleteActivation);
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "malformed JSON|_/actions/echo|blocking=true|{\"a\":",
        "trailing garbage|_/actions/echo|blocking=true|{} x",
        "array body|_/actions/echo|blocking=true|[1,2]",
        "string body|_/actions/echo|blocking=true|\"text\"",
        "timeout zero|_/actions/echo|blocking=true&timeout=0|{}",
        "timeout not a number|_/actions/echo|blocking=true&timeout=abc|{}",
        "timeout above the maximum|_/actions/echo|blocking=true&timeout=60001|{}",
        "bad blocking flag|_/actions/echo|blocking=maybe|{}",
        "action name starting with a dash|_/actions/-echo|blocking=true|{}",
        "action name with a leading space|_/actions/%20echo|blocking=true|{}",
        "package name with a bad character|_/actions/de$mo/hello|blocking=true|{}",
        "namespace with a bad character|gu!est/actions/echo|blocking=true|{}",
        "too many parameters|_/actions/echo|blocking=true|{\"a\":1,\"b\":2,\"c\":3,\"d\":4,\"e\":5,\"f\":6}",
        "nested too deep|_/actions/echo|blocking=true|{\"a\":{\"b\":{\"c\":{\"d\":{}}}}}",
    })
    void shouldAnswer400ForABadRequest(String what, String path, String query, String body) {
        HttpResponse<String> r = fx.invoke(path, query, body);

        assertEquals(400, r.statusCode(), what + ": " + r.body());
        assertErrorShape(r);
    }

    @Test
    void shouldAcceptTheDeepestAndLargestAllowedBody() {
        HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true&result=true",
                "{\"a\":{\"b\":{\"c\":[]}},\"b\":2,\"c\":3,\"d\":4,\"e\":5}");

        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void shouldAnswer413ForAnOversizedBody() {
        HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true", "{\"big\":\"" + "x".repeat(5000) + "\"}");

        assertEquals(413, r.statusCode(), r.body());
        assertErrorShape(r);
    }

    @Test
    void shouldAnswer413ForAnOversizedChunkedBodyWithoutReadingItAll() throws Exception {
        byte[] big = ("{\"big\":\"" + "x".repeat(200_000) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.net.http.HttpRequest req = java.net.http.HttpRequest.newBuilder(
                        java.net.URI.create(fx.apiUrl() + "/api/v1/namespaces/_/actions/echo?blocking=true"))
                .timeout(java.time.Duration.ofSeconds(10))
                .header("Authorization", GUEST)
                .POST(java.net.http.HttpRequest.BodyPublishers.ofInputStream(
                        () -> new java.io.ByteArrayInputStream(big)))
                .build();

        HttpResponse<String> r;
        try {
            r = fx.http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (java.io.IOException e) {
            // The server may close the connection while the client is still sending; that is a refusal too.
            return;
        }
        assertEquals(413, r.statusCode(), r.body());
    }

    @Test
    void shouldLeaveOversizedHeadersToUndertow() throws Exception {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", fx.controller.apiPort())) {
            s.setSoTimeout(5_000);
            String req = "POST /api/v1/namespaces/_/actions/echo HTTP/1.1\r\nHost: x\r\nX-Big: " + "y".repeat(20_000)
                    + "\r\nContent-Length: 2\r\n\r\n{}";
            s.getOutputStream().write(req.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            byte[] buf = new byte[256];
            int n = s.getInputStream().read(buf);
            String answer = n < 0 ? "" : new String(buf, 0, n, java.nio.charset.StandardCharsets.US_ASCII);
            assertTrue(answer.startsWith("HTTP/1.1 400"), answer);
        }
    }

    @Test
    void shouldAnswer502ForApplicationAndDeveloperErrors() {
        HttpResponse<String> fail = fx.invoke("_/actions/fail", "blocking=true", "{\"message\":\"boom\"}");
        HttpResponse<String> error = fx.invoke("_/actions/error", "blocking=true", "{}");

        assertEquals(502, fail.statusCode(), fail.body());
        assertTrue(fail.headers().firstValue("x-openwhisk-activation-id").isPresent());
        assertEquals("application error", json(fail).getAsJsonObject("response").get("status").getAsString());
        assertEquals(1, json(fail).getAsJsonObject("response").get("statusCode").getAsInt());
        assertEquals("boom", json(fail).getAsJsonObject("response").getAsJsonObject("result").get("error")
                .getAsString());
        assertEquals(502, error.statusCode(), error.body());
        assertEquals("action developer error", json(error).getAsJsonObject("response").get("status").getAsString());
        assertEquals(2, json(error).getAsJsonObject("response").get("statusCode").getAsInt());
        HttpResponse<String> resultOnly = fx.invoke("_/actions/fail", "blocking=true&result=true",
                "{\"message\":\"boom\"}");
        assertEquals(502, resultOnly.statusCode());
        assertEquals("boom", json(resultOnly).get("error").getAsString());
    }

    @Test
    void shouldAnswer429OverTheConcurrencyLimitNamingCountAndLimitAndBookNothing() {
        String limited = basic(LIMITED_UUID, LIMITED_KEY);
        for (int i = 0; i < 2; i++) {
            HttpResponse<String> ok = fx.send("POST", "/api/v1/namespaces/_/actions/sleep", "{\"ms\":1500}", limited);
            assertEquals(202, ok.statusCode(), ok.body());
        }

        HttpResponse<String> r = fx.send("POST", "/api/v1/namespaces/_/actions/sleep", "{\"ms\":1500}", limited,
                "x-request-id", "rid-429");

        assertEquals(429, r.statusCode(), r.body());
        assertEquals("Too many concurrent requests in flight (count: 2, allowed: 2).", json(r).get("error").getAsString());
        assertEquals("rid-429", json(r).get("code").getAsString());
        JsonObject totals = fx.bookkeeping().getAsJsonObject("totals");
        assertEquals(2, totals.getAsJsonObject("namespaces").get("limited").getAsLong());
        assertEquals(2, totals.get("system").getAsLong());
        assertEquals(512, totals.getAsJsonObject("invokers").get("invoker0").getAsLong());
    }

    @Test
    void shouldAnswer202WhenTheBlockingWaitTimesOutAndLetTheActivationFinish() {
        HttpResponse<String> r = fx.invoke("_/actions/sleep", "blocking=true&timeout=100", "{\"ms\":800}");

        assertEquals(202, r.statusCode(), r.body());
        String id = json(r).get("activationId").getAsString();
        assertEquals(Optional.of(id), r.headers().firstValue("x-openwhisk-activation-id"));
        HttpResponse<String> rec = Wait.forValue(ControllerFixture.WAIT, "the activation to finish",
                () -> fx.get("/api/v1/namespaces/_/activations/" + id), x -> x.statusCode() == 200);
        assertEquals("success", json(rec).getAsJsonObject("response").get("status").getAsString());
    }

    @Test
    void shouldNotRevealAnotherNamespacesRecord() {
        HttpResponse<String> r = fx.invoke("_/actions/echo", "blocking=true", "{}");
        String id = json(r).get("activationId").getAsString();

        HttpResponse<String> other = fx.send("GET", "/api/v1/namespaces/_/activations/" + id, null,
                basic(OTHER_UUID, OTHER_KEY));

        assertEquals(404, other.statusCode(), other.body());
        assertEquals(403, fx.get("/api/v1/namespaces/other/activations/" + id).statusCode());
        assertEquals(400, fx.get("/api/v1/namespaces/_/activations/NOT-AN-ID").statusCode());
    }

    @Test
    void shouldCountRequestsAndActivationsInMetricsWithoutNamespaceLabels() {
        assertEquals(200, fx.invoke("_/actions/echo", "blocking=true", "{}").statusCode());

        HttpResponse<String> m = fx.admin("/metrics", ControllerFixture.ADMIN_TOKEN);

        assertEquals(200, m.statusCode());
        assertTrue(m.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"));
        assertTrue(m.body().contains("tandem_http_requests_total{route=\"invoke\",code=\"200\"}"), m.body());
        assertTrue(m.body().contains("tandem_activations_ended_total{status=\"success\"}"), m.body());
        assertTrue(m.body().contains("tandem_invoker_state{invoker=\"invoker0\",state=\"healthy\"} 1"), m.body());
        assertTrue(m.body().contains("tandem_invoke_latency_seconds_bucket{le=\"+Inf\"}"), m.body());
        assertTrue(m.body().contains("tandem_cluster_view_size 1"), m.body());
        assertTrue(m.body().contains("tandem_ready 1"), m.body());
        assertFalse(m.body().contains("namespace="), "no per-namespace labels");
        assertFalse(m.body().contains("guest"), "no namespace names at all");
    }

    private static JsonElement annotation(JsonObject record, String key) {
        JsonArray a = record.getAsJsonArray("annotations");
        for (JsonElement e : a) {
            if (e.getAsJsonObject().get("key").getAsString().equals(key)) {
                return e.getAsJsonObject().get("value");
            }
        }
        throw new AssertionError("no annotation " + key + " in " + record);
    }

    static void assertErrorShape(HttpResponse<String> r) {
        JsonObject o = json(r);
        assertTrue(o.has("error") && o.get("error").isJsonPrimitive(), r.body());
        assertTrue(o.has("code") && !o.get("code").getAsString().isEmpty(), r.body());
        assertEquals(Optional.of("application/json"), r.headers().firstValue("Content-Type"));
    }
}
