package io.tandem.http.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.core.Clock;
import io.tandem.core.admission.SharePolicy;
import io.tandem.core.config.Env;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One controller on ephemeral ports with a stub replicator, plus an HTTP client that speaks to it like a script:
 * {@code invoke}, {@code get}, {@code admin}, {@code awaitReady}, {@code assertNoLeak}.
 */
final class ControllerFixture implements AutoCloseable {
    static final String GUEST_UUID = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502";
    static final String GUEST_KEY = "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";
    static final String OTHER_UUID = "11111111-2222-3333-4444-555555555555";
    static final String OTHER_KEY = "other-key-0000000000000000000000000000000000000000000000000000000";
    static final String LIMITED_UUID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
    static final String LIMITED_KEY = "limited-key-00000000000000000000000000000000000000000000000000000";
    static final String ADMIN_TOKEN = "admin-secret-token";
    static final String GUEST = basic(GUEST_UUID, GUEST_KEY);
    static final Duration WAIT = Duration.ofSeconds(10);

    final Controller controller;
    final StubReplicator replicator;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ControllerFixture(Controller controller, StubReplicator replicator) {
        this.controller = controller;
        this.replicator = replicator;
    }

    /** The settings every test starts from; {@code invokers} is the INVOKERS value. */
    static Map<String, String> env(String invokers) {
        Map<String, String> env = new HashMap<>();
        env.put("CONTROLLER_ID", "c1");
        env.put("BIND_ADDR", "127.0.0.1");
        env.put("API_PORT", "0");
        env.put("ADMIN_PORT", "0");
        env.put("ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("AUTH", "guest " + GUEST_UUID + ":" + GUEST_KEY + "; other " + OTHER_UUID + ":" + OTHER_KEY
                + "; limited " + LIMITED_UUID + ":" + LIMITED_KEY);
        env.put("INVOKERS", invokers);
        env.put("INVOKER_HEALTH_INTERVAL", "100ms");
        env.put("INVOKER_OFFLINE_AFTER", "1s");
        env.put("NAMESPACE_MINUTE_LIMIT", "100000");
        env.put("NAMESPACE_LIMITS", "limited=2/100000");
        env.put("IO_THREADS", "1");
        env.put("WORKER_THREADS", "4");
        return env;
    }

    static ControllerFixture start(Map<String, String> env) {
        return start(env, new StubReplicator());
    }

    static ControllerFixture start(Map<String, String> env, StubReplicator replicator) {
        return start(env, replicator, SharePolicy.clustered(() -> 1, 1));
    }

    static ControllerFixture start(Map<String, String> env, StubReplicator replicator, SharePolicy policy) {
        ControllerSettings s = ControllerSettings.from(new Env(env));
        Ledger ledger = new Ledger(Incarnation.next(s.controllerId(), System.currentTimeMillis(),
                new SplittableRandom()));
        Controller c = Controller.start(s, ledger, replicator, policy, Clock.system());
        return new ControllerFixture(c, replicator);
    }

    /** Waits until the controller is ready and every invoker is healthy. */
    ControllerFixture awaitReady() {
        Wait.until(WAIT, "the controller to be ready with every invoker healthy",
                () -> controller.ready() && controller.pool().healthyCount() == controller.pool().size());
        return this;
    }

    String apiUrl() {
        return "http://127.0.0.1:" + controller.apiPort();
    }

    static String basic(String uuid, String key) {
        return "Basic " + Base64.getEncoder().encodeToString((uuid + ":" + key).getBytes(StandardCharsets.UTF_8));
    }

    /** POST an invoke as guest. {@code query} without '?', may be empty. */
    HttpResponse<String> invoke(String nsAndAction, String query, String body) {
        return send("POST", "/api/v1/namespaces/" + nsAndAction + (query.isEmpty() ? "" : "?" + query), body, GUEST);
    }

    /** POST an invoke as guest without waiting for the answer. */
    java.util.concurrent.CompletableFuture<HttpResponse<String>> invokeAsync(String nsAndAction, String query,
                                                                             String body) {
        HttpRequest req = HttpRequest.newBuilder(URI.create(apiUrl() + "/api/v1/namespaces/" + nsAndAction
                        + (query.isEmpty() ? "" : "?" + query)))
                .timeout(Duration.ofSeconds(15))
                .header("Authorization", GUEST)
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build();
        return http.sendAsync(req, HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> get(String path) {
        return send("GET", path, null, GUEST);
    }

    HttpResponse<String> send(String method, String path, String body, String authorization, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(apiUrl() + path))
                .timeout(Duration.ofSeconds(15))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i + 1 < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(method + " " + path + " failed: " + e, e);
        }
    }

    HttpResponse<String> admin(String path, String token) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + controller.adminPort() + path))
                .timeout(Duration.ofSeconds(10)).GET();
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("GET admin " + path + " failed: " + e, e);
        }
    }

    JsonObject bookkeeping() {
        HttpResponse<String> r = admin("/bookkeeping", ADMIN_TOKEN);
        assertEquals(200, r.statusCode(), r.body());
        return json(r);
    }

    static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    static boolean totalsAreZero(JsonObject bookkeeping) {
        JsonObject t = bookkeeping.getAsJsonObject("totals");
        return t.getAsJsonObject("namespaces").size() == 0 && t.getAsJsonObject("invokers").size() == 0
                && t.get("system").getAsLong() == 0;
    }

    /** Waits until every activation ended and the bookkeeping totals are back to zero, with no anomaly. */
    void assertNoLeak() {
        JsonObject b = Wait.forValue(WAIT, "the bookkeeping totals to return to zero", this::bookkeeping,
                ControllerFixture::totalsAreZero);
        assertEquals(0, b.get("anomalies").getAsLong(), b.toString());
        assertEquals(0, controller.lifecycle().inFlight());
    }

    @Override
    public void close() {
        controller.close();
    }
}
