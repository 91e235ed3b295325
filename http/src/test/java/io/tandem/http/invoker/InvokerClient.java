package io.tandem.http.invoker;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Talks to a reference invoker the way a controller does. Blocking sends only: the JDK's {@code sendAsync} starts
 * a thread per response on small machines, which would spoil the thread-count measurements. Thread-safe.
 */
final class InvokerClient implements AutoCloseable {
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "test-invoker-client");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .executor(executor).connectTimeout(Duration.ofSeconds(5)).build();
    private final String base;
    private final String token;

    InvokerClient(int port, String token) {
        this.base = "http://127.0.0.1:" + port;
        this.token = token;
    }

    InvokerClient(int port) {
        this(port, null);
    }

    static String runBody(String id, String ns, String kind, int memoryMb, long timeLimitMs, JsonObject params,
                          URI callback) {
        JsonObject o = new JsonObject();
        o.addProperty("activationId", id);
        o.addProperty("namespace", ns);
        o.addProperty("action", ns + "/demo/" + kind);
        o.addProperty("kind", kind);
        o.addProperty("memoryMb", memoryMb);
        o.addProperty("timeLimitMs", timeLimitMs);
        o.add("params", params);
        o.addProperty("controllerId", "c1");
        o.addProperty("callback", callback.toString());
        return o.toString();
    }

    static JsonObject params(String key, Object value) {
        JsonObject p = new JsonObject();
        if (value instanceof Number) {
            p.addProperty(key, (Number) value);
        } else {
            p.addProperty(key, String.valueOf(value));
        }
        return p;
    }

    HttpResponse<String> run(String body) {
        return post("/v1/run", body);
    }

    HttpResponse<String> post(String path, String body) {
        return send(request(path).POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    HttpResponse<String> get(String path) {
        return send(request(path).GET());
    }

    HttpResponse<String> send(HttpRequest.Builder b) {
        try {
            return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new AssertionError("request failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    HttpRequest.Builder request(String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json");
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    JsonObject stats() {
        return json(get("/v1/stats"));
    }

    static JsonObject json(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
