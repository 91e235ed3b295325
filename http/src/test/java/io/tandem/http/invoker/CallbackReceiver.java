package io.tandem.http.invoker;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A stand-in for a controller's completion endpoint: records every completion POSTed to it and answers with a
 * status the test chooses (204 by default). Thread-safe.
 */
final class CallbackReceiver implements AutoCloseable {
    /** One POST as received: the parsed body and its Authorization header (null when absent). */
    record Received(JsonObject body, String authorization) {
        String activationId() {
            return body.get("activationId").getAsString();
        }
    }

    /** Called for each POST before it is answered; returns the status to answer with. */
    interface Responder {
        int status(JsonObject completion) throws InterruptedException;
    }

    private final HttpServer server;
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final Map<String, AtomicInteger> attempts = new ConcurrentHashMap<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile Responder responder = c -> 204;

    private CallbackReceiver(Executor executor) throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1000);
        server.createContext("/completions", this::handle);
        server.setExecutor(executor);
        server.start();
    }

    /** A receiver that answers on its dispatcher thread: one thread however many completions arrive. */
    static CallbackReceiver start() throws IOException {
        return new CallbackReceiver(null);
    }

    static CallbackReceiver start(Executor executor) throws IOException {
        return new CallbackReceiver(executor);
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/completions");
    }

    void respondWith(Responder r) {
        responder = r;
    }

    private void handle(HttpExchange ex) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        int status = 500;
        try {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            JsonObject o = JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject();
            attempts.computeIfAbsent(o.get("activationId").getAsString(), k -> new AtomicInteger()).incrementAndGet();
            try {
                status = responder.status(o);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (status >= 200 && status < 300) {
                received.add(new Received(o, ex.getRequestHeaders().getFirst("Authorization")));
            }
        } finally {
            inFlight.decrementAndGet();
            ex.sendResponseHeaders(status, -1);
            ex.close();
        }
    }

    /** Completions answered with 2xx, in arrival order. */
    List<Received> received() {
        return List.copyOf(received);
    }

    int deliveredCount() {
        return received.size();
    }

    int attempts(String activationId) {
        AtomicInteger n = attempts.get(activationId);
        return n == null ? 0 : n.get();
    }

    int maxInFlight() {
        return maxInFlight.get();
    }

    int inFlight() {
        return inFlight.get();
    }

    /** Waits for the accepted completion of this activation and returns its body. */
    JsonObject await(String activationId, Duration timeout) {
        Wait.until(timeout, () -> find(activationId) != null, () -> "completion of " + activationId);
        return find(activationId).body();
    }

    Received find(String activationId) {
        for (Received r : received) {
            if (r.activationId().equals(activationId)) {
                return r;
            }
        }
        return null;
    }

    long count(String activationId) {
        return received.stream().filter(r -> r.activationId().equals(activationId)).count();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
