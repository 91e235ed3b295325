package io.tandem.http.controller;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.core.Clock;
import io.tandem.core.activation.ActionSpec;
import io.tandem.core.activation.ActivationIds;
import io.tandem.core.activation.Catalog;
import io.tandem.core.admission.Balancer;
import io.tandem.core.admission.Decision;
import io.tandem.core.admission.Ticket;
import io.tandem.core.cluster.Member;
import io.tandem.core.cluster.Replicator;
import io.tandem.http.invoker.InvokerSettings;
import io.undertow.io.Receiver;
import io.undertow.server.HttpHandler;
import io.undertow.server.HttpServerExchange;
import io.undertow.server.RequestTooBigException;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.Methods;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Deque;
import java.util.Locale;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * The API port: OpenWhisk's invoke and activation endpoints, and the invokers' completion callback.
 *
 * <p><b>Invoke, in order</b> (DESIGN.md "Admission order"): route (404/405), authenticate (401), validate names and
 * the namespace (400/403), query (400), catalog (404), body (413/400) — none of which counts anywhere — then
 * readiness (503), then {@link Balancer#admit} (429/503), then the activation is put in flight, dispatched, and
 * answered: 202 at once, or, when blocking, when it ends or the wait times out.
 *
 * <p><b>Threading.</b> Requests arrive on Undertow's IO threads. Routing, authentication, admission (a short ledger
 * lock) and small bodies are handled there; a body larger than {@link #INLINE_BODY_BYTES} is parsed on a worker
 * thread. Nothing here blocks: bodies are read with the asynchronous receiver, the blocking wait holds no thread
 * ({@link BlockingWait}), a forwarded GET uses the asynchronous HTTP client. Stateless apart from the thread-safe
 * parts it holds, so thread-safe.
 */
final class ApiHandler implements HttpHandler {
    static final String COMPLETIONS = "/internal/v1/completions";
    static final String PREFIX = "/api/v1/namespaces/";
    static final HttpString FORWARDED = new HttpString("x-tandem-forwarded");
    static final String REALM = "Basic realm=\"OpenWhisk secure realm\"";
    static final String NOT_FOUND = "The requested resource does not exist.";
    static final int INLINE_BODY_BYTES = 64 * 1024;
    private static final System.Logger LOG = System.getLogger(ApiHandler.class.getName());
    private static final Pattern REQUEST_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(5);

    /** The routes, for the request metrics. */
    enum Route { INVOKE, ACTIVATIONS, COMPLETIONS, OTHER }

    private final Controller controller;
    private final ControllerSettings settings;
    private final String controllerId;
    private final String ownTag;
    private final Authenticator auth;
    private final Catalog catalog;
    private final Balancer balancer;
    private final ActivationLifecycle lifecycle;
    private final Dispatcher dispatcher;
    private final ActivationStore store;
    private final ControllerMetrics metrics;
    private final Replicator replicator;
    private final HttpClient client;
    private final ScheduledExecutorService timers;
    private final Clock clock;
    private final byte[] invokerToken;
    private final int completionBodyLimit;
    private volatile String callbackUrl;

    ApiHandler(Controller controller, ControllerSettings settings, Balancer balancer, ActivationLifecycle lifecycle,
               Dispatcher dispatcher, ActivationStore store, ControllerMetrics metrics, Replicator replicator,
               HttpClient client, ScheduledExecutorService timers, Clock clock) {
        this.controller = controller;
        this.settings = settings;
        this.controllerId = settings.controllerId();
        this.ownTag = ActivationIds.controllerTag(controllerId);
        this.auth = new Authenticator(settings.credentials());
        this.catalog = settings.catalog();
        this.balancer = balancer;
        this.lifecycle = lifecycle;
        this.dispatcher = dispatcher;
        this.store = store;
        this.metrics = metrics;
        this.replicator = replicator;
        this.client = client;
        this.timers = timers;
        this.clock = clock;
        this.invokerToken = settings.invokerToken() == null ? null
                : settings.invokerToken().getBytes(StandardCharsets.UTF_8);
        // A completion carries the result (an echo returns its params) and the logs: room for twice the body limit.
        this.completionBodyLimit = (int) Math.min(Integer.MAX_VALUE - 1, Math.max(4L << 20,
                2L * settings.maxBodyBytes() + (64 << 10)));
    }

    /** Set once the API port is bound; invokers post completions there. */
    void callbackUrl(String url) {
        this.callbackUrl = url;
    }

    @Override
    public void handleRequest(HttpServerExchange ex) {
        String rid = requestId(ex);
        ex.getResponseHeaders().put(Replies.REQUEST_ID, rid);
        try {
            route(ex, rid);
        } catch (ApiException e) {
            Replies.error(ex, e.status(), e.getMessage(), rid);
        } catch (RuntimeException e) {
            internalError(ex, rid, e);
        }
    }

    private void route(HttpServerExchange ex, String rid) {
        String path = ex.getRequestPath();
        if (path.equals(COMPLETIONS)) {
            count(ex, Route.COMPLETIONS);
            method(ex, Methods.POST);
            completion(ex, rid);
            return;
        }
        if (path.startsWith(PREFIX)) {
            String[] seg = path.substring(PREFIX.length()).split("/", -1);
            if (seg.length >= 3 && seg.length <= 4 && seg[1].equals("actions")) {
                count(ex, Route.INVOKE);
                long arrived = System.nanoTime();
                ex.addExchangeCompleteListener((e, next) -> {
                    metrics.invokeLatency(System.nanoTime() - arrived);
                    next.proceed();
                });
                method(ex, Methods.POST);
                invoke(ex, rid, seg[0], seg.length == 4 ? seg[2] : null, seg[seg.length - 1]);
                return;
            }
            if (seg.length >= 3 && seg.length <= 4 && seg[1].equals("activations")
                    && (seg.length == 3 || seg[3].equals("result") || seg[3].equals("logs"))) {
                count(ex, Route.ACTIVATIONS);
                method(ex, Methods.GET);
                getActivation(ex, rid, seg[0], seg[2], seg.length == 4 ? seg[3] : null);
                return;
            }
        }
        count(ex, Route.OTHER);
        throw new ApiException(404, "The requested resource could not be found.");
    }

    private void count(HttpServerExchange ex, Route route) {
        ex.addExchangeCompleteListener((e, next) -> {
            metrics.request(route, e.getStatusCode());
            next.proceed();
        });
    }

    private static void method(HttpServerExchange ex, HttpString allowed) {
        if (!ex.getRequestMethod().equals(allowed)) {
            ex.getResponseHeaders().put(Headers.ALLOW, allowed.toString());
            throw new ApiException(405, "The method " + ex.getRequestMethod() + " is not allowed on this resource;"
                    + " supported: " + allowed + ".");
        }
    }

    // ------------------------------------------------------------------------------------------------- invoke

    private void invoke(HttpServerExchange ex, String rid, String nsSegment, String pkg, String action) {
        Authenticator.Identity who = authenticate(ex);
        String ns = namespace(nsSegment, who);
        if (pkg != null && !EntityNames.isValid(pkg)) {
            throw new ApiException(400, "The package name is not valid: " + describeName(pkg) + ".");
        }
        if (!EntityNames.isValid(action)) {
            throw new ApiException(400, "The action name is not valid: " + describeName(action) + ".");
        }
        boolean blocking = flag(ex, "blocking");
        boolean resultOnly = flag(ex, "result");
        long timeoutMs = timeoutMs(ex);
        String name = pkg == null ? action : pkg + "/" + action;
        ActionSpec spec = catalog.find(ns, name).orElseThrow(() -> new ApiException(404, NOT_FOUND));
        Request req = new Request(rid, who, ns, ns + "/" + name, action, spec, blocking, resultOnly, timeoutMs);
        readBody(ex, rid, settings.maxBodyBytes(), body -> admit(ex, req, body));
    }

    /** An invoke that passed routing, authentication and validation. Immutable. */
    private record Request(String requestId, Authenticator.Identity who, String namespace, String path,
                           String name, ActionSpec spec, boolean blocking, boolean resultOnly, long timeoutMs) {
    }

    private void admit(HttpServerExchange ex, Request req, byte[] body) {
        JsonObject params = InvokeParams.parse(body, settings.maxParams(), settings.maxJsonDepth());
        // Written for the invoker, parameters can take more room than the body they came in (a latin1 body, control
        // characters escaped as six bytes): refuse what the invoker would refuse, before anything is booked. Only
        // a body above a sixth of the room can grow past it, so small bodies are not written twice.
        int room = InvokerSettings.MAX_RUN_BODY_BYTES - RUN_ENVELOPE_BYTES;
        if ((long) body.length * 6 > room) {
            int written = Replies.GSON.toJson(params).getBytes(StandardCharsets.UTF_8).length;
            if (written > room) {
                Replies.error(ex, 413, "The request content is larger than the limit of " + room
                        + " bytes once its parameters are written for the invoker (" + written + " bytes).",
                        req.requestId());
                return;
            }
        }
        admit(ex, req, params, clock.millis() + settings.admissionPaceMaxWait().toMillis());
    }

    /** Room kept in a run request for everything but the parameters (ids, names, callback URL). */
    static final int RUN_ENVELOPE_BYTES = 16 << 10;

    /**
     * One admission attempt. A paced answer (the cluster has room, this controller's share of it for the current
     * window is used) is asked again at the next window, on the exchange's IO thread, until {@code giveUpAtMs};
     * no thread waits meanwhile.
     */
    private void admit(HttpServerExchange ex, Request req, JsonObject params, long giveUpAtMs) {
        String notReady = controller.whyNotAdmitting();
        if (notReady != null) {
            metrics.notReady();
            LOG.log(Level.DEBUG, () -> controllerId + " event=rejected-not-ready request=" + req.requestId()
                    + " reason=\"" + notReady + "\"");
            throw new ApiException(503, Balancer.UNAVAILABLE);
        }
        Decision d = balancer.admit(req.namespace(), req.spec());
        if (d instanceof Decision.Paced p) {
            if (clock.millis() + p.retryInMs() > giveUpAtMs) {
                balancer.pacedOut();
                LOG.log(Level.DEBUG, () -> controllerId + " event=throttled request=" + req.requestId()
                        + " reason=paced count=" + p.count());
                throw new ApiException(429, p.message());
            }
            Replies.keepOpen(ex);
            timers.schedule(() -> Replies.later(ex, controllerId,
                    () -> guarded(ex, req.requestId(), () -> admit(ex, req, params, giveUpAtMs))),
                    p.retryInMs(), TimeUnit.MILLISECONDS);
            return;
        }
        if (d instanceof Decision.Throttled t) {
            LOG.log(Level.DEBUG, () -> controllerId + " event=throttled request=" + req.requestId() + " reason="
                    + t.reason().name().toLowerCase(Locale.ROOT) + " count=" + t.count());
            throw new ApiException(429, t.message());
        } else if (d instanceof Decision.Unavailable u) {
            LOG.log(Level.DEBUG, () -> controllerId + " event=unavailable request=" + req.requestId());
            throw new ApiException(503, u.message());
        }
        run(ex, req, ((Decision.Admitted) d).ticket(), params);
    }

    private void run(HttpServerExchange ex, Request req, Ticket ticket, JsonObject params) {
        String id = ActivationIds.next(ownTag, ThreadLocalRandom.current());
        BlockingWait wait = req.blocking() ? new BlockingWait(ex, controllerId, id, req.resultOnly()) : null;
        Flight f = new Flight(req.requestId(), req.namespace(), req.who().namespace(), req.path(), req.name(),
                req.spec(), clock.millis(), wait);
        if (wait != null) {
            // Before the activation can end (even at once, on a refused dispatch), the exchange must stay open.
            Replies.keepOpen(ex);
        }
        try {
            lifecycle.begin(id, ticket, f);
        } catch (RuntimeException e) {
            balancer.release(ticket);
            throw e;
        }
        LOG.log(Level.DEBUG, () -> controllerId + " event=admitted activation=" + id + " request=" + req.requestId()
                + " invoker=" + ticket.invokerId() + (ticket.forced() ? " forced=true" : ""));
        dispatcher.dispatch(ticket.invokerIndex(), id, runRequest(id, req, params));
        if (wait != null) {
            wait.arm(timers, req.timeoutMs());
        } else {
            ex.getResponseHeaders().put(Replies.ACTIVATION_ID, id);
            Replies.json(ex, 202, ActivationRecord.accepted(id));
        }
    }

    private byte[] runRequest(String id, Request req, JsonObject params) {
        JsonObject r = new JsonObject();
        r.addProperty("activationId", id);
        r.addProperty("namespace", req.namespace());
        r.addProperty("action", req.path());
        r.addProperty("kind", req.spec().kind());
        r.addProperty("memoryMb", req.spec().memoryMb());
        r.addProperty("timeLimitMs", req.spec().timeLimitMs());
        r.add("params", params);
        r.addProperty("controllerId", controllerId);
        r.addProperty("callback", callbackUrl);
        return Replies.GSON.toJson(r).getBytes(StandardCharsets.UTF_8);
    }

    private long timeoutMs(HttpServerExchange ex) {
        long max = settings.blockingWaitMax().toMillis();
        String v = query(ex, "timeout");
        if (v == null) {
            return max;
        }
        try {
            long t = Long.parseLong(v.trim());
            if (t >= 1 && t <= max) {
                return t;
            }
        } catch (NumberFormatException e) {
            // answered below
        }
        throw new ApiException(400, "The timeout must be a whole number of milliseconds between 1 and " + max + ".");
    }

    private static boolean flag(HttpServerExchange ex, String name) {
        String v = query(ex, name);
        if (v == null) {
            return false;
        }
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true": case "yes": case "on": case "1":
                return true;
            case "false": case "no": case "off": case "0": case "":
                return false;
            default:
                throw new ApiException(400, "The query parameter '" + name + "' must be true or false.");
        }
    }

    private static String query(HttpServerExchange ex, String name) {
        Deque<String> d = ex.getQueryParameters().get(name);
        return d == null || d.isEmpty() ? null : d.getFirst();
    }

    // ---------------------------------------------------------------------------------------------- activations

    private void getActivation(HttpServerExchange ex, String rid, String nsSegment, String id, String part) {
        Authenticator.Identity who = authenticate(ex);
        String ns = namespace(nsSegment, who);
        if (!ActivationIds.isValid(id)) {
            throw new ApiException(400, "The activation id is not valid: it must be 32 lower-case hex digits.");
        }
        if (ActivationIds.tagOf(id).equals(ownTag)) {
            ActivationStore.Stored s = store.get(id, clock.millis());
            // Another namespace's record is as absent as an unknown one: nothing about it is revealed.
            if (s == null || !s.namespace().equals(ns)) {
                throw new ApiException(404, NOT_FOUND);
            }
            JsonObject record = s.record();
            ex.getResponseHeaders().put(Replies.ACTIVATION_ID, id);
            if (part == null) {
                Replies.json(ex, 200, record);
            } else if (part.equals("result")) {
                Replies.json(ex, 200, record.get("response"));
            } else {
                JsonObject logs = new JsonObject();
                logs.add("logs", record.get("logs"));
                Replies.json(ex, 200, logs);
            }
            return;
        }
        // Forwarded requests are answered here or not at all: never forwarded twice, so no loop.
        if (ex.getRequestHeaders().contains(FORWARDED)) {
            throw new ApiException(404, NOT_FOUND);
        }
        Member owner = null;
        for (Member m : replicator.members()) {
            if (!m.self() && ActivationIds.controllerTag(m.controllerId()).equals(ActivationIds.tagOf(id))) {
                owner = m;
            }
        }
        if (owner == null || owner.apiUrl() == null || owner.apiUrl().isBlank()) {
            throw new ApiException(404, NOT_FOUND);
        }
        forward(ex, rid, owner, nsSegment, id, part);
    }

    private void forward(HttpServerExchange ex, String rid, Member owner, String nsSegment, String id, String part) {
        String base = owner.apiUrl().endsWith("/") ? owner.apiUrl().substring(0, owner.apiUrl().length() - 1)
                : owner.apiUrl();
        URI uri = URI.create(base + PREFIX + nsSegment.replace(" ", "%20") + "/activations/" + id
                + (part == null ? "" : "/" + part));
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(FORWARD_TIMEOUT).GET()
                .header(FORWARDED.toString(), controllerId)
                .header(Replies.REQUEST_ID.toString(), rid);
        String authorization = ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        metrics.forwardedGet();
        Replies.keepOpen(ex);
        client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray()).whenComplete((resp, err) ->
                Replies.later(ex, controllerId, () -> {
                    if (err != null) {
                        LOG.log(Level.WARNING, () -> controllerId + " event=forward-failed activation=" + id
                                + " request=" + rid + " owner=" + owner.controllerId() + " reason=\""
                                + Dispatcher.describe(err) + "\"");
                        Replies.error(ex, 503, "The controller that ran the activation did not answer.", rid);
                        return;
                    }
                    ex.setStatusCode(resp.statusCode());
                    ex.getResponseHeaders().put(Headers.CONTENT_TYPE,
                            resp.headers().firstValue("content-type").orElse(Replies.JSON));
                    resp.headers().firstValue(Replies.ACTIVATION_ID.toString())
                            .ifPresent(v -> ex.getResponseHeaders().put(Replies.ACTIVATION_ID, v));
                    ex.getResponseSender().send(java.nio.ByteBuffer.wrap(resp.body()));
                }));
    }

    // ---------------------------------------------------------------------------------------------- completions

    private void completion(HttpServerExchange ex, String rid) {
        if (invokerToken != null
                && !Authenticator.bearer(ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION), invokerToken)) {
            ex.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, "Bearer");
            throw new ApiException(401, "A valid 'Authorization: Bearer <INVOKER_TOKEN>' header is required.");
        }
        readBody(ex, rid, completionBodyLimit, body -> {
            JsonObject c;
            try {
                JsonElement e = JsonParser.parseString(new String(body, StandardCharsets.UTF_8));
                if (!e.isJsonObject()) {
                    throw new ApiException(400, "A completion must be a JSON object.");
                }
                c = e.getAsJsonObject();
            } catch (com.google.gson.JsonParseException e) {
                throw new ApiException(400, "The completion is not valid JSON.");
            }
            String id = text(c, "activationId");
            if (!ActivationIds.isValid(id)) {
                throw new ApiException(400, "The completion has no valid activationId.");
            }
            ResponseStatus status = ResponseStatus.fromWire(text(c, "status"));
            if (status == null) {
                throw new ApiException(400, "The completion's status must be one of success, application error,"
                        + " action developer error, whisk internal error.");
            }
            long now = clock.millis();
            long start = number(c, "start", now);
            long end = number(c, "end", Math.max(start, now));
            JsonArray logs = c.has("logs") && c.get("logs").isJsonArray() ? c.getAsJsonArray("logs") : new JsonArray();
            if (lifecycle.complete(id, status, c.get("result"), start, end, logs)) {
                ex.setStatusCode(204);
                ex.endExchange();
            } else {
                Replies.error(ex, 404, "The activation " + id + " is not in flight here (unknown, already ended or"
                        + " a duplicate completion).", rid);
            }
        });
    }

    private static String text(JsonObject o, String name) {
        JsonElement e = o.get(name);
        return e != null && e.isJsonPrimitive() ? e.getAsString() : null;
    }

    private static long number(JsonObject o, String name, long otherwise) {
        JsonElement e = o.get(name);
        try {
            return e != null && e.isJsonPrimitive() && e.getAsJsonPrimitive().isNumber() ? e.getAsLong() : otherwise;
        } catch (NumberFormatException ex) {
            return otherwise;
        }
    }

    // ---------------------------------------------------------------------------------------------- shared steps

    private Authenticator.Identity authenticate(HttpServerExchange ex) {
        String h = ex.getRequestHeaders().getFirst(Headers.AUTHORIZATION);
        Authenticator.Identity who = auth.basic(h);
        if (who == null) {
            ex.getResponseHeaders().put(Headers.WWW_AUTHENTICATE, REALM);
            throw new ApiException(401, h == null
                    ? "The resource requires authentication, which was not supplied with the request."
                    : "The supplied authentication is invalid.");
        }
        return who;
    }

    /** The namespace a path segment names: {@code _} is the caller's own; another one is 403. */
    private static String namespace(String segment, Authenticator.Identity who) {
        if (segment.equals("_")) {
            return who.namespace();
        }
        if (!EntityNames.isValid(segment)) {
            throw new ApiException(400, "The namespace is not valid: " + describeName(segment) + ".");
        }
        if (!segment.equals(who.namespace())) {
            throw new ApiException(403, "The supplied authentication is not authorized to access '" + segment + "'.");
        }
        return segment;
    }

    private static String describeName(String name) {
        if (name.isEmpty()) {
            return "it is empty";
        }
        if (name.length() > EntityNames.MAX_LENGTH) {
            return "it is longer than " + EntityNames.MAX_LENGTH + " characters";
        }
        return "names are letters, digits, '_', '@', '.', '-' and inner spaces, and do not start with those"
                + " punctuation characters";
    }

    /**
     * Reads the whole body without blocking, refusing it (413) as soon as it passes {@code limit}, then runs
     * {@code then} — on the IO thread for a small body, on a worker for a large one. Errors thrown by
     * {@code then} are answered.
     */
    private void readBody(HttpServerExchange ex, String rid, int limit, Consumer<byte[]> then) {
        if (ex.getRequestContentLength() > limit) {
            tooLarge(ex, rid, limit);
            return;
        }
        ex.setMaxEntitySize(limit);
        Receiver r = ex.getRequestReceiver();
        r.setMaxBufferSize(limit);
        r.receiveFullBytes((e, body) -> {
            if (body.length > INLINE_BODY_BYTES && e.isInIoThread()) {
                e.dispatch(() -> guarded(e, rid, () -> then.accept(body)));
            } else {
                guarded(e, rid, () -> then.accept(body));
            }
        }, (e, ioe) -> {
            if (ioe instanceof RequestTooBigException || ioe instanceof Receiver.RequestToLargeException) {
                tooLarge(e, rid, limit);
            } else if (!e.isResponseStarted()) {
                e.setPersistent(false);
                Replies.error(e, 400, "The request body could not be read.", rid);
            } else {
                e.endExchange();
            }
        });
    }

    private void tooLarge(HttpServerExchange ex, String rid, int limit) {
        // The unread rest of the body would be taken for the next request: do not keep this connection.
        ex.setPersistent(false);
        Replies.error(ex, 413, "The request content is larger than the limit of " + limit + " bytes.", rid);
    }

    private void guarded(HttpServerExchange ex, String rid, Runnable step) {
        try {
            step.run();
        } catch (ApiException e) {
            Replies.error(ex, e.status(), e.getMessage(), rid);
        } catch (RuntimeException e) {
            internalError(ex, rid, e);
        }
    }

    private void internalError(HttpServerExchange ex, String rid, RuntimeException e) {
        LOG.log(Level.ERROR, () -> controllerId + " event=request-failed request=" + rid + " path="
                + ex.getRequestPath() + " error=" + e, e);
        Replies.error(ex, 500, "An internal error occurred; the request id is " + rid + ".", rid);
    }

    private static String requestId(HttpServerExchange ex) {
        String given = ex.getRequestHeaders().getFirst(Replies.REQUEST_ID);
        if (given != null && REQUEST_ID.matcher(given).matches()) {
            return given;
        }
        ThreadLocalRandom r = ThreadLocalRandom.current();
        return String.format("%016x%016x", r.nextLong(), r.nextLong());
    }
}
