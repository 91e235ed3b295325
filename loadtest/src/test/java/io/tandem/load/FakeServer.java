package io.tandem.load;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;

/**
 * Tiny stand-ins for a controller, a reference invoker and a controller's admin port, on 127.0.0.1 and a free port.
 * Thread-safe: handlers run on a small pool and only touch concurrent state.
 */
final class FakeServer implements AutoCloseable {
    /** A request as the fake saw it. */
    record Seen(String method, String path, String query, String authorization, String body) {
    }

    private final HttpServer server;
    private final ExecutorService pool = Executors.newFixedThreadPool(8);
    final List<Seen> seen = new CopyOnWriteArrayList<>();

    private FakeServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(pool);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /**
     * A controller whose n-th invoke (counted from 0 over all namespaces) answers by {@code n mod 10}: 0-6 → 200,
     * 7-8 → 429, 9 → 502; each after {@code delayMs}.
     */
    static FakeServer controller(int delayMs) throws IOException {
        FakeServer f = new FakeServer();
        AtomicInteger n = new AtomicInteger();
        f.server.createContext("/api/v1/namespaces/", ex -> {
            f.record(ex);
            if (delayMs > 0) {
                try {
                    Thread.sleep(delayMs);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            int k = n.getAndIncrement() % 10;
            String id = String.format("%032x", n.get());
            if (k <= 6) {
                ex.getResponseHeaders().add("x-openwhisk-activation-id", id);
                reply(ex, 200, "{\"activationId\":\"" + id + "\",\"response\":{\"status\":\"success\",\"success\":true,"
                        + "\"result\":{}}}");
            } else if (k <= 8) {
                reply(ex, 429, "{\"error\":\"Too many concurrent requests in flight (count: 5, allowed: 5).\","
                        + "\"code\":\"abc\"}");
            } else {
                ex.getResponseHeaders().add("x-openwhisk-activation-id", id);
                reply(ex, 502, "{\"activationId\":\"" + id + "\",\"response\":{\"status\":\"application error\","
                        + "\"success\":false,\"result\":{\"error\":\"boom\"}}}");
            }
        });
        f.server.start();
        return f;
    }

    /** An invoker whose {@code /v1/stats} answers {@code stats}; counts resets. */
    static FakeServer invoker(String stats, AtomicInteger resets) throws IOException {
        FakeServer f = new FakeServer();
        f.server.createContext("/v1/stats", ex -> {
            f.record(ex);
            if (ex.getRequestURI().getPath().equals("/v1/stats/reset") && ex.getRequestMethod().equals("POST")) {
                resets.incrementAndGet();
                reply(ex, 204, null);
            } else {
                reply(ex, 200, stats);
            }
        });
        f.server.start();
        return f;
    }

    /** An admin port whose {@code /bookkeeping} answers what {@code body} holds, to callers with the token. */
    static FakeServer admin(String token, AtomicReference<String> body) throws IOException {
        return admin(token, query -> body.get());
    }

    /** An admin port whose {@code /bookkeeping} answers {@code page.apply(query)}, to callers with the token. */
    static FakeServer admin(String token, Function<String, String> page) throws IOException {
        FakeServer f = new FakeServer();
        f.server.createContext("/bookkeeping", ex -> {
            f.record(ex);
            if (!("Bearer " + token).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                reply(ex, 401, "{\"error\":\"unauthorized\"}");
            } else {
                reply(ex, 200, page.apply(ex.getRequestURI().getRawQuery()));
            }
        });
        f.server.start();
        return f;
    }

    private void record(HttpExchange ex) throws IOException {
        String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        seen.add(new Seen(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), ex.getRequestURI().getRawQuery(),
                ex.getRequestHeaders().getFirst("Authorization"), body));
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        if (body == null) {
            ex.sendResponseHeaders(status, -1);
            ex.close();
            return;
        }
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().add("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(b);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
