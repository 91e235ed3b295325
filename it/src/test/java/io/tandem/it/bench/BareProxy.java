package io.tandem.it.bench;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.core.admission.Balancer;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The ceiling of the system benchmark: the OpenWhisk invoke API in front of the invokers doing the invoker
 * protocol's work (docs/invoker-protocol.md) and nothing else: no authentication, no admission, no bookkeeping, no
 * activation table or store, no blocking-wait timer, no metrics, no logging.
 *
 * <p>What it does per activation is what a controller does on the wire, with the controller's own plumbing, so that
 * the ratio controller / proxy measures Tandem's logic and not a different HTTP stack:
 * <ul>
 *   <li>Undertow with the controller's defaults (2 IO threads, 16 workers, 16 KiB header limit); the body is read
 *   with the asynchronous receiver and handled on the IO thread; the params are parsed as JSON.</li>
 *   <li>The home invoker of the controller's balancer ({@link Balancer#hash}{@code (ns, ns/action)} mod n): with
 *   the benchmark's invokers never full, that is the invoker every controller picks, so each invoker gets the same
 *   share of the work in every setup.</li>
 *   <li>The same {@code POST /v1/run} body (activationId of 32 hex digits, namespace, action, kind, memoryMb,
 *   timeLimitMs, params, controllerId, callback), sent as the controller's dispatcher sends it: the JDK
 *   {@link HttpClient} over HTTP/1.1 with a 2-thread executor, {@code sendAsync}, at most {@value #CONNECTIONS}
 *   requests on the wire per invoker and the rest in a FIFO queue (the request queue a bare proxy's client needs:
 *   without it, or with too few connections, a proxy answers 503 under load, DESIGN.md), a 10 s ack timeout.</li>
 *   <li>The completion is parsed, answered 204 (404 when unknown), and the blocked caller gets an activation record
 *   with the controller's fields and the {@code x-openwhisk-activation-id} header, written on its IO thread.</li>
 *   <li>A refused or failed dispatch answers the caller 500, as a controller's system error does; the load
 *   generator counts it as an error.</li>
 * </ul>
 * Like the launcher, it sets the common pool's parallelism to 4 before anything touches it, so that
 * {@code sendAsync} does not start a thread per response on a 2-core machine.
 *
 * <p>Usage: {@code java -cp <test classpath> io.tandem.it.bench.BareProxy BIND_ADDR PORT NS_ACTION_KIND MEMORY_MB
 * TIME_LIMIT_MS INVOKER_URL[,...]} (invokers in the order of their ids, as the controller sorts them).
 */
public final class BareProxy {
    static final int CONNECTIONS = 32;
    private static final int QUEUE_LIMIT = 10_000;
    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);
    private static final HttpString ACTIVATION_ID = new HttpString("x-openwhisk-activation-id");
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    private static final Runnable NOTHING = () -> { };

    private record Waiter(HttpServerExchange exchange, String namespace, String action, String invokerId,
                          long admittedMs) {
    }

    private record Job(String activationId, byte[] body) {
    }

    /** One invoker's dispatch lane, as in the controller's dispatcher. Guarded by its own monitor. */
    private static final class Lane {
        final String id;
        final URI runUri;
        final ArrayDeque<Job> queue = new ArrayDeque<>();
        int onWire;

        Lane(String id, String url) {
            this.id = id;
            this.runUri = URI.create(url + "/v1/run");
        }

        synchronized int admit(Job job) {
            if (onWire < CONNECTIONS) {
                onWire++;
                return 1;
            }
            if (queue.size() < QUEUE_LIMIT) {
                queue.addLast(job);
                return 0;
            }
            return -1;
        }

        synchronized Job next() {
            Job j = queue.pollFirst();
            if (j == null) {
                onWire--;
            }
            return j;
        }
    }

    private final String callback;
    private final String kind;
    private final int memoryMb;
    private final long timeLimitMs;
    private final Lane[] lanes;
    private final Map<String, Waiter> waiting = new ConcurrentHashMap<>();
    private final ExecutorService executor = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "bare-proxy-http");
        t.setDaemon(true);
        return t;
    });
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).executor(executor).build();

    private BareProxy(String bind, int port, String kind, int memoryMb, long timeLimitMs, String[] invokers) {
        this.callback = "http://" + bind + ":" + port + "/internal/v1/completions";
        this.kind = kind;
        this.memoryMb = memoryMb;
        this.timeLimitMs = timeLimitMs;
        this.lanes = new Lane[invokers.length];
        for (int i = 0; i < invokers.length; i++) {
            lanes[i] = new Lane("invoker" + (i + 1), invokers[i]);
        }
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "4");
        }
        BareProxy p = new BareProxy(args[0], Integer.parseInt(args[1]), args[2], Integer.parseInt(args[3]),
                Long.parseLong(args[4]), args[5].split(","));
        Undertow.builder().addHttpListener(Integer.parseInt(args[1]), args[0]).setIoThreads(2).setWorkerThreads(16)
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, 16_384)
                .setHandler(p::handle).build().start();
        System.out.println("bare proxy listening on " + args[0] + ":" + args[1]);
    }

    private void handle(HttpServerExchange ex) {
        String path = ex.getRequestPath();
        if (path.equals("/internal/v1/completions")) {
            ex.getRequestReceiver().receiveFullBytes(this::complete);
        } else if (path.startsWith("/api/v1/namespaces/") && path.contains("/actions/")) {
            ex.getRequestReceiver().receiveFullBytes(this::invoke);
        } else if (path.equals("/ready") || path.equals("/health")) {
            ex.getResponseSender().send("{\"ok\":true}");
        } else {
            ex.setStatusCode(404);
            ex.endExchange();
        }
    }

    private void invoke(HttpServerExchange ex, byte[] body) {
        String[] seg = ex.getRequestPath().split("/");
        String ns = seg[4];
        String action = ns + "/" + seg[seg.length - 1];
        boolean blocking = "true".equals(query(ex, "blocking"));
        JsonElement params = body.length == 0 ? new JsonObject()
                : JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
        ThreadLocalRandom r = ThreadLocalRandom.current();
        String id = String.format("%016x%016x", r.nextLong(), r.nextLong());
        int index = Math.floorMod(Balancer.hash(ns, action), lanes.length);
        JsonObject run = new JsonObject();
        run.addProperty("activationId", id);
        run.addProperty("namespace", ns);
        run.addProperty("action", action);
        run.addProperty("kind", kind);
        run.addProperty("memoryMb", memoryMb);
        run.addProperty("timeLimitMs", timeLimitMs);
        run.add("params", params);
        run.addProperty("controllerId", "bare-proxy");
        run.addProperty("callback", callback);
        if (blocking) {
            waiting.put(id, new Waiter(ex, ns, action, lanes[index].id, System.currentTimeMillis()));
            ex.dispatch(SameThreadExecutor.INSTANCE, NOTHING);
        }
        dispatch(lanes[index], new Job(id, GSON.toJson(run).getBytes(StandardCharsets.UTF_8)));
        if (!blocking) {
            ex.getResponseHeaders().put(ACTIVATION_ID, id);
            json(ex, 202, "{\"activationId\":\"" + id + "\"}");
        }
    }

    private void dispatch(Lane lane, Job job) {
        int verdict = lane.admit(job);
        if (verdict < 0) {
            failed(job.activationId());
        } else if (verdict > 0) {
            send(lane, job);
        }
    }

    private void send(Lane lane, Job job) {
        HttpRequest req = HttpRequest.newBuilder(lane.runUri).timeout(ACK_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(job.body())).build();
        client.sendAsync(req, HttpResponse.BodyHandlers.ofString()).whenCompleteAsync((resp, err) -> {
            try {
                if (err != null || resp.statusCode() != 202) {
                    failed(job.activationId());
                }
            } finally {
                Job next = lane.next();
                if (next != null) {
                    send(lane, next);
                }
            }
        }, executor);
    }

    private void failed(String activationId) {
        Waiter w = waiting.remove(activationId);
        if (w != null) {
            answer(w, 500, activationId, "{\"error\":\"The activation could not be dispatched to an invoker.\"}");
        }
    }

    private void complete(HttpServerExchange ex, byte[] body) {
        JsonObject c = JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject();
        String id = c.get("activationId").getAsString();
        Waiter w = waiting.remove(id);
        ex.setStatusCode(w == null ? 404 : 204);
        ex.endExchange();
        if (w == null) {
            return;
        }
        String status = c.get("status").getAsString();
        long start = c.get("start").getAsLong();
        long end = c.get("end").getAsLong();
        JsonObject record = new JsonObject();
        record.addProperty("activationId", id);
        record.addProperty("namespace", w.namespace());
        record.addProperty("name", w.action().substring(w.action().indexOf('/') + 1));
        record.addProperty("version", "0.0.1");
        record.addProperty("subject", w.namespace());
        record.addProperty("start", start);
        record.addProperty("end", end);
        record.addProperty("duration", Math.max(0, end - start));
        record.add("logs", c.has("logs") ? c.get("logs") : new JsonArray());
        JsonArray annotations = new JsonArray();
        annotations.add(annotation("path", w.action()));
        annotations.add(annotation("kind", kind));
        JsonObject limits = new JsonObject();
        limits.addProperty("memory", memoryMb);
        limits.addProperty("timeout", timeLimitMs);
        JsonObject lim = new JsonObject();
        lim.addProperty("key", "limits");
        lim.add("value", limits);
        annotations.add(lim);
        annotations.add(annotation("invoker", w.invokerId()));
        JsonObject wait = new JsonObject();
        wait.addProperty("key", "waitTime");
        wait.addProperty("value", Math.max(0, start - w.admittedMs()));
        annotations.add(wait);
        record.add("annotations", annotations);
        JsonObject response = new JsonObject();
        boolean success = status.equals("success");
        response.addProperty("status", status);
        response.addProperty("statusCode", success ? 0 : 1);
        response.addProperty("success", success);
        response.add("result", c.has("result") ? c.get("result") : new JsonObject());
        record.add("response", response);
        record.addProperty("publish", false);
        answer(w, success ? 200 : status.equals("whisk internal error") ? 500 : 502, id, GSON.toJson(record));
    }

    private static JsonObject annotation(String key, String value) {
        JsonObject o = new JsonObject();
        o.addProperty("key", key);
        o.addProperty("value", value);
        return o;
    }

    private static void answer(Waiter w, int status, String activationId, String json) {
        HttpServerExchange ex = w.exchange();
        ex.getIoThread().execute(() -> {
            ex.getResponseHeaders().put(ACTIVATION_ID, activationId);
            json(ex, status, json);
        });
    }

    private static void json(HttpServerExchange ex, int status, String json) {
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
        ex.getResponseSender().send(json);
    }

    private static String query(HttpServerExchange ex, String name) {
        Deque<String> d = ex.getQueryParameters().get(name);
        return d == null || d.isEmpty() ? null : d.getFirst();
    }
}
