package io.tandem.http.security;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.core.Clock;
import io.tandem.core.admission.SharePolicy;
import io.tandem.core.cluster.Member;
import io.tandem.core.cluster.Replicator;
import io.tandem.core.config.Env;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import io.tandem.http.controller.Controller;
import io.tandem.http.controller.ControllerSettings;
import io.tandem.http.invoker.InvokerSettings;
import io.tandem.http.invoker.ReferenceInvoker;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;

/**
 * A real in-process controller (public API only: {@link Controller#start}) with a reference invoker and a
 * replicator that replicates nothing, three tenants and an admin token; plus the HTTP helpers the security tests
 * share. Every wait has a timeout.
 */
final class SecurityFixture implements AutoCloseable {
    static final String GUEST_UUID = "23bc46b1-71f6-4ed5-8c54-816aa4f8c502";
    static final String GUEST_KEY = "GuestKey9f8e7d6c5b4a39281706f5e4d3c2b1a0ZZguestsecretZZ0123456789";
    static final String OTHER_UUID = "11111111-2222-3333-4444-555555555555";
    static final String OTHER_KEY = "OtherKey0a1b2c3d4e5f60718293a4b5c6d7e8f9YYothersecretYY0123456789";
    static final String ADMIN_TOKEN = "AdminTokenQQ5e6f7a8b9c0d1e2f3a4b5cQQ";
    static final String INVOKER_TOKEN = "InvokerTokenWW0f1e2d3c4b5a69788796a5WW";
    static final Duration WAIT = Duration.ofSeconds(15);

    final ReferenceInvoker invoker;
    final Controller controller;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private SecurityFixture(ReferenceInvoker invoker, Controller controller) {
        this.invoker = invoker;
        this.controller = controller;
    }

    static SecurityFixture start() {
        ReferenceInvoker invoker = ReferenceInvoker.start(
                new InvokerSettings("invoker0", "127.0.0.1", 0, 2048, 1000, 4, 10_000, INVOKER_TOKEN));
        Map<String, String> env = new HashMap<>();
        env.put("CONTROLLER_ID", "c1");
        env.put("BIND_ADDR", "127.0.0.1");
        env.put("API_PORT", "0");
        env.put("ADMIN_PORT", "0");
        env.put("ADMIN_TOKEN", ADMIN_TOKEN);
        env.put("INVOKER_TOKEN", INVOKER_TOKEN);
        env.put("AUTH", "guest " + GUEST_UUID + ":" + GUEST_KEY + "; other " + OTHER_UUID + ":" + OTHER_KEY);
        env.put("INVOKERS", "invoker0=http://127.0.0.1:" + invoker.port() + "=2048");
        env.put("ACTIONS", "*/echo=echo:128:60s");
        env.put("INVOKER_HEALTH_INTERVAL", "100ms");
        env.put("INVOKER_OFFLINE_AFTER", "1s");
        env.put("NAMESPACE_MINUTE_LIMIT", "100000000");
        env.put("IO_THREADS", "1");
        env.put("WORKER_THREADS", "4");
        Controller c;
        try {
            ControllerSettings s = ControllerSettings.from(new Env(env));
            Ledger ledger = new Ledger(Incarnation.next(s.controllerId(), System.currentTimeMillis(),
                    new SplittableRandom()));
            c = Controller.start(s, ledger, new NoReplicator(), SharePolicy.clustered(() -> 1, 1), Clock.system());
        } catch (RuntimeException e) {
            invoker.close();
            throw e;
        }
        SecurityFixture fx = new SecurityFixture(invoker, c);
        fx.waitUntil("an invoke succeeds", () -> fx.invoke(GUEST, "_", "{}").statusCode() == 200);
        return fx;
    }

    String apiUrl() {
        return "http://127.0.0.1:" + controller.apiPort();
    }

    String adminUrl() {
        return "http://127.0.0.1:" + controller.adminPort();
    }

    static String basic(String uuid, String key) {
        return "Basic " + Base64.getEncoder().encodeToString((uuid + ":" + key).getBytes(StandardCharsets.UTF_8));
    }

    static final String GUEST = basic(GUEST_UUID, GUEST_KEY);
    static final String OTHER = basic(OTHER_UUID, OTHER_KEY);

    /** A blocking invoke of echo in {@code namespace} with {@code authorization}. */
    HttpResponse<String> invoke(String authorization, String namespace, String body) {
        return send("POST", apiUrl() + "/api/v1/namespaces/" + namespace + "/actions/echo?blocking=true", body,
                authorization);
    }

    HttpResponse<String> get(String authorization, String path) {
        return send("GET", apiUrl() + path, null, authorization);
    }

    HttpResponse<String> admin(String path, String token) {
        return send("GET", adminUrl() + path, null, token == null ? null : "Bearer " + token);
    }

    HttpResponse<String> send(String method, String url, String body, String authorization) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(15))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError(method + " " + url + " failed: " + e, e);
        }
    }

    /** The admin /bookkeeping totals are all zero (no activation counted anywhere). */
    boolean totalsAreZero() {
        HttpResponse<String> r = admin("/bookkeeping", ADMIN_TOKEN);
        if (r.statusCode() != 200) {
            return false;
        }
        JsonObject t = JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("totals");
        return t.getAsJsonObject("namespaces").size() == 0 && t.getAsJsonObject("invokers").size() == 0
                && t.get("system").getAsLong() == 0;
    }

    void awaitTotalsZero() {
        waitUntil("the bookkeeping totals to return to zero", this::totalsAreZero);
    }

    void waitUntil(String what, BooleanSupplier condition) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + WAIT.toMillis() + " ms: " + what);
            }
            java.util.concurrent.locks.LockSupport.parkNanos(20_000_000L);
        }
    }

    /** A JSON object with a string "error": the shape of every error answer. */
    static boolean isJsonError(String body) {
        try {
            JsonElement e = JsonParser.parseString(body);
            return e.isJsonObject() && e.getAsJsonObject().has("error")
                    && e.getAsJsonObject().get("error").isJsonPrimitive();
        } catch (RuntimeException notJson) {
            return false;
        }
    }

    @Override
    public void close() {
        controller.close();
        invoker.close();
    }

    /** Replicates nothing; ready, alone in its view. Thread-safe (stateless). */
    private static final class NoReplicator implements Replicator {
        @Override
        public void start() {
        }

        @Override
        public boolean ready() {
            return true;
        }

        @Override
        public int viewSize() {
            return 1;
        }

        @Override
        public int rank() {
            return 0;
        }

        @Override
        public List<Member> members() {
            return List.of();
        }

        @Override
        public Map<String, Object> describe() {
            return Map.of("mode", "none");
        }

        @Override
        public Map<String, Number> metrics() {
            return Map.of("view_size", 1);
        }

        @Override
        public void close() {
        }
    }
}
