package io.tandem.http.controller;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import io.tandem.core.admission.Decision;
import io.tandem.core.invoker.Invoker;
import io.tandem.core.invoker.InvokerPool;
import io.tandem.core.invoker.InvokerState;
import io.tandem.core.ledger.Keys;
import io.tandem.core.ledger.Ledger;
import io.tandem.core.ledger.RowSnapshot;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.Methods;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The admin port: {@code /health} and {@code /ready} for probes (open), and {@code /cluster}, {@code /bookkeeping}
 * and {@code /metrics}, which need {@code Authorization: Bearer ADMIN_TOKEN} (compared in constant time; without
 * a configured token they answer 403).
 *
 * <p>Threading: probes are answered on the IO thread; the other answers are built on a worker thread (they walk
 * the ledger, which may hold 100,000 keys). Stateless, so thread-safe.
 */
final class AdminHandler implements HttpHandler {
    private static final System.Logger LOG = System.getLogger(AdminHandler.class.getName());
    private static final int DEFAULT_LIMIT = 1_000;
    private static final int MAX_LIMIT = 100_000;

    private final Controller c;
    private final byte[] token;

    AdminHandler(Controller controller) {
        this.c = controller;
        String t = controller.settings().adminToken();
        this.token = t == null ? null : t.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void handleRequest(HttpServerExchange ex) {
        String rid = ex.getRequestHeaders().getFirst(Replies.REQUEST_ID);
        String code = rid == null ? "admin" : rid.replaceAll("[^A-Za-z0-9._:-]", "");
        try {
            String path = ex.getRequestPath();
            switch (path) {
                case "/health", "/ready", "/cluster", "/bookkeeping", "/metrics" -> { }
                default -> throw new ApiException(404, "No such admin resource: " + path);
            }
            if (!ex.getRequestMethod().equals(Methods.GET) && !ex.getRequestMethod().equals(Methods.HEAD)) {
                ex.getResponseHeaders().put(Headers.ALLOW, "GET");
                throw new ApiException(405, "Only GET is allowed on " + path + ".");
            }
            if (path.equals("/health")) {
                JsonObject o = new JsonObject();
                o.addProperty("status", "ok");
                o.addProperty("controllerId", c.settings().controllerId());
                Replies.json(ex, 200, o);
                return;
            }
            if (path.equals("/ready")) {
                ready(ex);
                return;
            }
            if (token == null) {
                throw new ApiException(403, "ADMIN_TOKEN is not set, so " + path + " is disabled;"
                        + " set ADMIN_TOKEN and send 'Authorization: Bearer <ADMIN_TOKEN>'.");
            }
            if (!Authenticator.bearer(ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION), token)) {
                ex.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
                throw new ApiException(401, "A valid 'Authorization: Bearer <ADMIN_TOKEN>' header is required.");
            }
            if (ex.isInIoThread()) {
                ex.dispatch(() -> answer(ex, path, code));
            } else {
                answer(ex, path, code);
            }
        } catch (ApiException e) {
            Replies.error(ex, e.status(), e.getMessage(), code);
        } catch (RuntimeException e) {
            failed(ex, code, e);
        }
    }

    private void answer(HttpServerExchange ex, String path, String code) {
        try {
            switch (path) {
                case "/cluster" -> Replies.json(ex, 200, cluster());
                case "/bookkeeping" -> Replies.json(ex, 200, bookkeeping(ex));
                default -> {
                    ex.setStatusCode(200);
                    ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
                    ex.getResponseSender().send(metrics());
                }
            }
        } catch (ApiException e) {
            Replies.error(ex, e.status(), e.getMessage(), code);
        } catch (RuntimeException e) {
            failed(ex, code, e);
        }
    }

    private void failed(HttpServerExchange ex, String code, RuntimeException e) {
        LOG.log(Level.ERROR, () -> c.settings().controllerId() + " event=admin-request-failed path="
                + ex.getRequestPath() + " error=" + e, e);
        Replies.error(ex, 500, "An internal error occurred.", code);
    }

    private void ready(HttpServerExchange ex) {
        String why = c.whyNotReady();
        JsonObject o = new JsonObject();
        o.addProperty("ready", why == null);
        o.addProperty("controllerId", c.settings().controllerId());
        if (why != null) {
            o.addProperty("reason", why);
        }
        JsonObject checks = new JsonObject();
        checks.addProperty("stateInstalled", c.replicator().ready());
        checks.addProperty("firstHealthRoundDone", c.pool().firstRoundDone());
        checks.addProperty("draining", c.draining());
        o.add("checks", checks);
        Replies.json(ex, why == null ? 200 : 503, o);
    }

    // ------------------------------------------------------------------------------------------------- /cluster

    private JsonObject cluster() {
        JsonObject o = new JsonObject();
        o.addProperty("controllerId", c.settings().controllerId());
        o.addProperty("incarnation", c.ledger().self().toString());
        o.addProperty("ready", c.ready());
        String why = c.whyNotReady();
        if (why != null) {
            o.addProperty("reason", why);
        }
        o.addProperty("clustering", c.settings().clustering());
        o.addProperty("degraded", c.policy().degraded());
        o.addProperty("visible", c.policy().visible());
        o.addProperty("counted", c.policy().counted());
        o.addProperty("expected", c.policy().expected());
        o.addProperty("inFlight", c.lifecycle().inFlight());
        JsonElement described;
        try {
            described = Replies.GSON.toJsonTree(c.replicator().describe());
        } catch (RuntimeException e) {
            described = new JsonPrimitive(String.valueOf(c.replicator().describe()));
        }
        o.add("replicator", described);
        JsonArray invokers = new JsonArray();
        InvokerPool pool = c.pool();
        for (int i = 0; i < pool.size(); i++) {
            Invoker inv = pool.get(i);
            JsonObject j = new JsonObject();
            j.addProperty("id", inv.id());
            j.addProperty("url", inv.url());
            j.addProperty("capacityMb", inv.capacityMb());
            j.addProperty("state", pool.state(i).name().toLowerCase(Locale.ROOT));
            j.addProperty("bookedMb", c.ledger().total(Keys.invoker(inv.id())));
            j.addProperty("dispatchOnWire", c.dispatcher().onWire(i));
            j.addProperty("dispatchQueued", c.dispatcher().queued(i));
            invokers.add(j);
        }
        o.add("invokers", invokers);
        return o;
    }

    // --------------------------------------------------------------------------------------------- /bookkeeping

    private JsonObject bookkeeping(HttpServerExchange ex) {
        String prefix = param(ex, "namespace");
        String nsPrefix = prefix == null ? "" : prefix;
        int limit = intParam(ex, "limit", DEFAULT_LIMIT, 0, MAX_LIMIT);
        int offset = intParam(ex, "offset", 0, 0, Integer.MAX_VALUE);

        Ledger ledger = c.ledger();
        // One atomic view: the rows and the totals as of the same instant (the ledger's monitor is reentrant).
        View view = ledger.update(tx -> new View(ledger.snapshot(), ledger.totals(""), ledger.anomalies(),
                ledger.replacedIncarnations(), ledger.hasPending()));
        List<RowSnapshot> rows = view.rows();
        Map<String, Long> totals = view.totals();

        JsonObject o = new JsonObject();
        o.addProperty("controllerId", c.settings().controllerId());
        o.addProperty("incarnation", ledger.self().toString());
        o.addProperty("ready", c.ready());

        JsonObject t = new JsonObject();
        JsonObject namespaces = new JsonObject();
        JsonObject invokers = new JsonObject();
        int matching = 0;
        for (Map.Entry<String, Long> e : totals.entrySet()) {
            String key = e.getKey();
            if (key.startsWith(Keys.NAMESPACE_PREFIX)) {
                String ns = key.substring(Keys.NAMESPACE_PREFIX.length());
                if (ns.startsWith(nsPrefix)) {
                    if (matching >= offset && matching - offset < limit) {
                        namespaces.addProperty(ns, e.getValue());
                    }
                    matching++;
                }
            } else if (key.startsWith(Keys.INVOKER_PREFIX)) {
                invokers.addProperty(key.substring(Keys.INVOKER_PREFIX.length()), e.getValue());
            }
        }
        t.add("namespaces", namespaces);
        t.addProperty("namespaceCount", matching);
        t.add("invokers", invokers);
        t.addProperty("system", totals.getOrDefault(Keys.SYSTEM, 0L));
        o.add("totals", t);

        // The local row as published (what peers hold) lags the live one by the undrained changes; show it live.
        Map<String, Long> localLive = new HashMap<>(totals);
        for (RowSnapshot r : rows) {
            if (!r.owner().equals(ledger.self())) {
                for (Map.Entry<String, Long> e : r.counts().entrySet()) {
                    localLive.merge(e.getKey(), -e.getValue(), Long::sum);
                }
            }
        }
        localLive.values().removeIf(v -> v == 0);
        JsonArray rowsJson = new JsonArray();
        for (RowSnapshot r : rows) {
            boolean self = r.owner().equals(ledger.self());
            JsonObject row = new JsonObject();
            row.addProperty("owner", r.owner().controllerId());
            row.addProperty("incarnation", r.owner().toString());
            row.addProperty("seq", r.seq());
            row.addProperty("self", self);
            if (self) {
                row.addProperty("pendingDelta", view.pending());
            }
            Map<String, Long> counts = self ? localLive : r.counts();
            JsonObject cj = new JsonObject();
            int n = 0;
            for (Map.Entry<String, Long> e : new TreeMap<>(counts).entrySet()) {
                String ns = namespaceOf(e.getKey());
                if (ns == null) {
                    cj.addProperty(e.getKey(), e.getValue());
                } else if (ns.startsWith(nsPrefix)) {
                    if (n >= offset && n - offset < limit) {
                        cj.addProperty(e.getKey(), e.getValue());
                    }
                    n++;
                }
            }
            row.add("counts", cj);
            row.addProperty("keyCount", counts.size());
            rowsJson.add(row);
        }
        o.add("rows", rowsJson);
        o.addProperty("anomalies", view.anomalies());
        o.addProperty("replacedIncarnations", view.replaced());
        JsonObject page = new JsonObject();
        page.addProperty("namespace", nsPrefix);
        page.addProperty("limit", limit);
        page.addProperty("offset", offset);
        o.add("page", page);
        return o;
    }

    /** The ledger as of one instant. */
    private record View(List<RowSnapshot> rows, Map<String, Long> totals, long anomalies, long replaced,
                        boolean pending) {
    }

    /** The namespace a namespace or per-minute key counts for; null for invoker and system keys. */
    private static String namespaceOf(String key) {
        if (key.startsWith(Keys.NAMESPACE_PREFIX)) {
            return key.substring(Keys.NAMESPACE_PREFIX.length());
        }
        if (Keys.minuteWindow(key) >= 0) {
            return key.substring(key.indexOf('/', Keys.MINUTE_PREFIX.length()) + 1);
        }
        return null;
    }

    private static String param(HttpServerExchange ex, String name) {
        Deque<String> d = ex.getQueryParameters().get(name);
        return d == null || d.isEmpty() ? null : d.getFirst();
    }

    private static int intParam(HttpServerExchange ex, String name, int otherwise, int min, int max) {
        String v = param(ex, name);
        if (v == null || v.isBlank()) {
            return otherwise;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= min && n <= max) {
                return n;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(400, "'" + name + "' must be a whole number between " + min + " and " + max + ".");
    }

    // ------------------------------------------------------------------------------------------------- /metrics

    private String metrics() {
        StringBuilder out = new StringBuilder(8192);
        var b = c.balancer();
        ControllerMetrics.counter(out, "tandem_admitted_total", "activations admitted", b.admittedCount());
        ControllerMetrics.header(out, "tandem_throttled_total", "counter", "invokes answered 429, by limit");
        for (Decision.Reason r : Decision.Reason.values()) {
            out.append("tandem_throttled_total{reason=\"").append(r.name().toLowerCase(Locale.ROOT)).append("\"} ")
                    .append(b.throttledCount(r)).append('\n');
        }
        ControllerMetrics.counter(out, "tandem_paced_total", "admission attempts within the limit told to wait for the"
                + " next pacing window (retries count again; a request that waits too long is a 429)", b.pacedCount());
        ControllerMetrics.counter(out, "tandem_unavailable_total", "invokes answered 503 because no invoker was healthy",
                b.unavailableCount());
        ControllerMetrics.counter(out, "tandem_forced_placements_total",
                "activations placed on a full invoker because every healthy one was full (overload)", b.forcedCount());
        ControllerMetrics.gauge(out, "tandem_activations_in_flight", "activations in flight on this controller",
                c.lifecycle().inFlight());
        ControllerMetrics.gauge(out, "tandem_activation_records", "activation records held in memory",
                c.store().size());
        ControllerMetrics.gauge(out, "tandem_activation_records_bytes",
                "estimated memory of the activation records held (bounded by ACTIVATION_STORE_BYTES)", c.store().bytes());
        c.metrics().render(out);
        Ledger ledger = c.ledger();
        ControllerMetrics.counter(out, "tandem_ledger_anomalies_total",
                "clamped local releases and rejected remote changes (should stay 0)", ledger.anomalies());
        ControllerMetrics.counter(out, "tandem_ledger_replaced_incarnations_total",
                "rows of an older incarnation replaced by a newer one of the same controller id",
                ledger.replacedIncarnations());
        ControllerMetrics.gauge(out, "tandem_ledger_keys", "distinct keys in the cluster totals", ledger.keyCount());
        ControllerMetrics.gauge(out, "tandem_system_in_flight", "activations in flight cluster-wide (system key)",
                ledger.total(Keys.SYSTEM));
        InvokerPool pool = c.pool();
        ControllerMetrics.header(out, "tandem_invoker_state", "gauge", "1 for the invoker's current health state");
        for (int i = 0; i < pool.size(); i++) {
            for (InvokerState s : InvokerState.values()) {
                out.append("tandem_invoker_state{invoker=\"").append(label(pool.get(i).id())).append("\",state=\"")
                        .append(s.name().toLowerCase(Locale.ROOT)).append("\"} ")
                        .append(pool.state(i) == s ? 1 : 0).append('\n');
            }
        }
        ControllerMetrics.header(out, "tandem_invoker_booked_mb", "gauge", "memory booked on the invoker cluster-wide");
        for (int i = 0; i < pool.size(); i++) {
            out.append("tandem_invoker_booked_mb{invoker=\"").append(label(pool.get(i).id())).append("\"} ")
                    .append(ledger.total(Keys.invoker(pool.get(i).id()))).append('\n');
        }
        ControllerMetrics.header(out, "tandem_dispatch_queued", "gauge", "run requests waiting for a connection");
        for (int i = 0; i < pool.size(); i++) {
            out.append("tandem_dispatch_queued{invoker=\"").append(label(pool.get(i).id())).append("\"} ")
                    .append(c.dispatcher().queued(i)).append('\n');
        }
        ControllerMetrics.gauge(out, "tandem_ready", "1 when /ready answers 200", c.ready() ? 1 : 0);
        ControllerMetrics.gauge(out, "tandem_draining", "1 while shutting down", c.draining() ? 1 : 0);
        ControllerMetrics.gauge(out, "tandem_degraded", "1 while fewer controllers are visible than CONTROLLER_COUNT",
                c.policy().degraded() ? 1 : 0);
        ControllerMetrics.gauge(out, "tandem_controllers_visible", "controllers in the view", c.policy().visible());
        ControllerMetrics.gauge(out, "tandem_controllers_counted",
                "controllers whose rows are held (below visible only while a merge settles)", c.policy().counted());
        Map<String, Number> cluster;
        try {
            cluster = new TreeMap<>(c.replicator().metrics());
        } catch (RuntimeException e) {
            cluster = Map.of();
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (Map.Entry<String, Number> e : cluster.entrySet()) {
            String name = "tandem_cluster_" + e.getKey().replaceAll("[^A-Za-z0-9_]", "_");
            if (e.getValue() == null || !seen.add(name)) {
                continue;
            }
            out.append("# TYPE ").append(name).append(" untyped\n");
            out.append(name).append(' ').append(ControllerMetrics.format(e.getValue().doubleValue())).append('\n');
        }
        return out.toString();
    }

    private static String label(String v) {
        return v.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }
}
