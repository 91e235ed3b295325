package io.tandem.http.invoker;

import com.google.gson.JsonObject;
import com.google.gson.stream.JsonWriter;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP face of the invoker (docs/invoker-protocol.md): routes, bearer-token check, JSON in and out.
 *
 * <p>IO threads are never blocked. A run request's body is read with Undertow's asynchronous receiver and the
 * request is admitted on the IO thread — admission only takes the pool's short lock and arms timers. Answers that
 * may be large ({@code /v1/stats}, {@code /v1/runs}) are built on a worker thread. Every error is answered with a
 * JSON body {@code {"error": "..."}}.
 *
 * <p>Thread-safe: stateless apart from the engine, which is thread-safe.
 */
final class InvokerHttpHandler implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(InvokerHttpHandler.class.getName());
    /** Run requests are small; this bounds what a confused or hostile client can make us buffer. */
    static final int MAX_BODY_BYTES = InvokerSettings.MAX_RUN_BODY_BYTES;
    private static final String JSON = "application/json";

    private final InvokerEngine engine;
    /** Expected {@code Authorization} credentials as bytes, or null when no token is configured. */
    private final byte[] token;

    InvokerHttpHandler(InvokerEngine engine, String token) {
        this.engine = engine;
        this.token = token == null ? null : token.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handleRequest(HttpServerExchange ex) {
        try {
            route(ex);
        } catch (RuntimeException e) {
            fail(ex, e);
        }
    }

    private void route(HttpServerExchange ex) {
        if (token != null && !authorized(ex)) {
            ex.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
            error(ex, 401, "a valid 'Authorization: Bearer <token>' header is required");
            return;
        }
        HttpString m = ex.getRequestMethod();
        switch (ex.getRequestPath()) {
            case "/v1/run":
                if (allowed(ex, m, Methods.POST)) {
                    receiveRun(ex);
                }
                break;
            case "/v1/health":
                if (allowed(ex, m, Methods.GET)) {
                    health(ex);
                }
                break;
            case "/v1/stats":
                if (allowed(ex, m, Methods.GET)) {
                    onWorker(ex, () -> send(ex, 200, statsJson(engine.pool().stats())));
                }
                break;
            case "/v1/stats/reset":
                if (allowed(ex, m, Methods.POST)) {
                    onWorker(ex, () -> send(ex, 200, statsJson(engine.pool().resetStats())));
                }
                break;
            case "/v1/runs":
                if (allowed(ex, m, Methods.GET)) {
                    onWorker(ex, () -> send(ex, 200, runsJson(engine.pool().runs())));
                }
                break;
            default:
                error(ex, 404, "no such resource: " + ex.getRequestPath());
        }
    }

    private boolean authorized(HttpServerExchange ex) {
        String h = ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (h == null || h.length() < 7 || !h.substring(0, 7).toLowerCase(Locale.ROOT).equals("bearer ")) {
            return false;
        }
        // Constant-time comparison: the answer time must not tell how much of a guessed token was right.
        return MessageDigest.isEqual(token, h.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    private static boolean allowed(HttpServerExchange ex, HttpString method, HttpString expected) {
        if (method.equals(expected)) {
            return true;
        }
        ex.getResponseHeaders().put(Headers.ALLOW, expected.toString());
        error(ex, 405, "method " + method + " is not allowed on " + ex.getRequestPath() + "; use " + expected);
        return false;
    }

    private void receiveRun(HttpServerExchange ex) {
        if (ex.getRequestContentLength() > MAX_BODY_BYTES) {
            tooLarge(ex);
            return;
        }
        ex.setMaxEntitySize(MAX_BODY_BYTES);
        ex.getRequestReceiver().setMaxBufferSize(MAX_BODY_BYTES);
        ex.getRequestReceiver().receiveFullBytes((e, body) -> {
            try {
                run(e, body);
            } catch (RuntimeException err) {
                fail(e, err);
            }
        }, (e, ioe) -> {
            if (ioe instanceof RequestTooBigException) {
                tooLarge(e);
            } else if (!e.isResponseStarted()) {
                error(e, 400, "could not read the body: " + ioe.getMessage());
            } else {
                e.endExchange();
            }
        });
    }

    private static void tooLarge(HttpServerExchange ex) {
        // The unread rest of the body would be parsed as the next request: do not keep this connection.
        ex.setPersistent(false);
        error(ex, 413, "the body is larger than " + MAX_BODY_BYTES + " bytes");
    }

    private void run(HttpServerExchange ex, byte[] body) {
        RunRequest r;
        try {
            r = RunRequestAdapter.decode(body);
        } catch (BadRequestException e) {
            error(ex, 400, e.getMessage());
            return;
        }
        ActivationPool.Admission a = engine.submit(r);
        switch (a.verdict()) {
            case STARTED:
            case QUEUED:
            case DUPLICATE:
                JsonObject o = new JsonObject();
                o.addProperty("running", a.running());
                o.addProperty("queued", a.queued());
                send(ex, 202, o.toString());
                break;
            case QUEUE_FULL:
                error(ex, 503, "the invoker's queue is full (" + a.queued() + " activations waiting)");
                break;
            case TOO_LARGE:
                error(ex, 400, "memoryMb " + r.memoryMb() + " exceeds this invoker's capacity of "
                        + engine.pool().capacityMb() + " MB");
                break;
            default:
                throw new IllegalStateException("unhandled verdict " + a.verdict());
        }
    }

    private void health(HttpServerExchange ex) {
        ActivationPool.Health h = engine.pool().health();
        JsonObject o = new JsonObject();
        o.addProperty("invokerId", engine.invokerId());
        o.addProperty("capacityMb", h.capacityMb());
        o.addProperty("usedMb", h.usedMb());
        o.addProperty("running", h.running());
        o.addProperty("queued", h.queued());
        send(ex, 200, o.toString());
    }

    private String statsJson(ActivationPool.Stats s) {
        JsonObject o = new JsonObject();
        o.addProperty("invokerId", engine.invokerId());
        o.addProperty("running", s.running());
        o.addProperty("queued", s.queued());
        o.addProperty("maxRunning", s.maxRunning());
        o.addProperty("total", s.total());
        JsonObject ns = new JsonObject();
        for (Map.Entry<String, ActivationPool.NamespaceStats> e : s.namespaces().entrySet()) {
            JsonObject n = new JsonObject();
            n.addProperty("running", e.getValue().running());
            n.addProperty("maxRunning", e.getValue().maxRunning());
            n.addProperty("total", e.getValue().total());
            ns.add(e.getKey(), n);
        }
        o.add("namespaces", ns);
        return Completion.GSON.toJson(o);
    }

    private static String runsJson(ActivationPool.Runs runs) {
        // Up to a million ids: stream them instead of building a JSON tree first.
        StringWriter out = new StringWriter(64 + runs.activationIds().size() * 36);
        try (JsonWriter w = new JsonWriter(out)) {
            w.setHtmlSafe(false);
            w.beginObject().name("count").value(runs.count()).name("activationIds").beginArray();
            for (String id : runs.activationIds()) {
                w.value(id);
            }
            w.endArray().endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Runs the rest of the exchange on a worker thread, so building a large answer never holds an IO thread. */
    private void onWorker(HttpServerExchange ex, Runnable task) {
        ex.dispatch(() -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                fail(ex, e);
            }
        });
    }

    private void fail(HttpServerExchange ex, RuntimeException e) {
        LOG.log(Level.ERROR, () -> engine.invokerId() + " failed on " + ex.getRequestMethod() + " "
                + ex.getRequestPath(), e);
        if (!ex.isResponseStarted()) {
            error(ex, 500, "internal error: " + e.getClass().getSimpleName());
        } else {
            ex.endExchange();
        }
    }

    static void error(HttpServerExchange ex, int status, String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        send(ex, status, Completion.GSON.toJson(o));
    }

    private static void send(HttpServerExchange ex, int status, String json) {
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
        ex.getResponseSender().send(json, StandardCharsets.UTF_8);
    }
}
