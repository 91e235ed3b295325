package io.tandem.http.controller;

import java.util.concurrent.atomic.LongAdder;

/**
 * The controller's own counters (the balancer, ledger, pool and replicator keep theirs) and the invoke latency
 * histogram, rendered in the Prometheus text format 0.0.4. No label ever names a namespace: 100,000 namespaces
 * would explode the series.
 *
 * <p>Thread-safe: every counter is a {@link LongAdder}; a scrape may see counters a few increments apart.
 */
final class ControllerMetrics {
    /** Upper bounds of the latency buckets, in seconds. */
    private static final double[] BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};

    private final LongAdder[][] requestsByCode = new LongAdder[ApiHandler.Route.values().length][];
    private final LongAdder[] endedByStatus = adders(ResponseStatus.values().length);
    private final LongAdder forcedCompletions = new LongAdder();
    private final LongAdder offlineEnds = new LongAdder();
    private final LongAdder shutdownEnds = new LongAdder();
    private final LongAdder lateCompletions = new LongAdder();
    private final LongAdder dispatchFailures = new LongAdder();
    private final LongAdder notReady = new LongAdder();
    private final LongAdder forwardedGets = new LongAdder();
    private final LongAdder[] latencyBuckets = adders(BUCKETS.length + 1);
    private final LongAdder latencyMicros = new LongAdder();

    ControllerMetrics() {
        for (int r = 0; r < requestsByCode.length; r++) {
            requestsByCode[r] = adders(600);
        }
    }

    private static LongAdder[] adders(int n) {
        LongAdder[] a = new LongAdder[n];
        for (int i = 0; i < n; i++) {
            a[i] = new LongAdder();
        }
        return a;
    }

    void request(ApiHandler.Route route, int status) {
        if (status >= 100 && status < 600) {
            requestsByCode[route.ordinal()][status].increment();
        }
    }

    /** API requests of {@code route} answered with {@code status} so far. */
    long requests(ApiHandler.Route route, int status) {
        return requestsByCode[route.ordinal()][status].sum();
    }

    void ended(ResponseStatus status) {
        endedByStatus[status.ordinal()].increment();
    }

    void forcedCompletion() {
        forcedCompletions.increment();
    }

    void offlineEnd() {
        offlineEnds.increment();
    }

    void shutdownEnd() {
        shutdownEnds.increment();
    }

    void lateCompletion() {
        lateCompletions.increment();
    }

    void dispatchFailure() {
        dispatchFailures.increment();
    }

    void notReady() {
        notReady.increment();
    }

    void forwardedGet() {
        forwardedGets.increment();
    }

    /** One invoke request answered after {@code nanos}, whatever its status. */
    void invokeLatency(long nanos) {
        double s = nanos / 1e9;
        int i = 0;
        while (i < BUCKETS.length && s > BUCKETS[i]) {
            i++;
        }
        latencyBuckets[i].increment();
        latencyMicros.add(nanos / 1000);
    }

    long count(ResponseStatus s) {
        return endedByStatus[s.ordinal()].sum();
    }

    long lateCompletions() {
        return lateCompletions.sum();
    }

    long forcedCompletions() {
        return forcedCompletions.sum();
    }

    long dispatchFailures() {
        return dispatchFailures.sum();
    }

    void render(StringBuilder out) {
        header(out, "tandem_http_requests_total", "counter", "API requests answered, by route and status code");
        for (ApiHandler.Route route : ApiHandler.Route.values()) {
            String r = route.name().toLowerCase(java.util.Locale.ROOT);
            for (int code = 100; code < 600; code++) {
                long n = requestsByCode[route.ordinal()][code].sum();
                if (n > 0) {
                    out.append("tandem_http_requests_total{route=\"").append(r).append("\",code=\"").append(code)
                            .append("\"} ").append(n).append('\n');
                }
            }
        }
        header(out, "tandem_activations_ended_total", "counter", "activations ended, by response status");
        for (ResponseStatus s : ResponseStatus.values()) {
            out.append("tandem_activations_ended_total{status=\"").append(s.label()).append("\"} ")
                    .append(endedByStatus[s.ordinal()].sum()).append('\n');
        }
        counter(out, "tandem_forced_completions_total",
                "activations ended by their forced completion (time limit + FORCED_COMPLETION_GRACE)",
                forcedCompletions.sum());
        counter(out, "tandem_invoker_offline_ends_total", "activations ended because their invoker went offline",
                offlineEnds.sum());
        counter(out, "tandem_shutdown_ends_total", "activations ended because the drain time ran out on shutdown",
                shutdownEnds.sum());
        counter(out, "tandem_late_completions_ignored_total",
                "completions for unknown, already ended or duplicate activations (answered 404, nothing changed)",
                lateCompletions.sum());
        counter(out, "tandem_dispatch_failures_total",
                "activations an invoker refused or could not be sent to (ended as system errors)",
                dispatchFailures.sum());
        counter(out, "tandem_not_ready_rejections_total",
                "invokes answered 503 because the controller was not ready or was draining", notReady.sum());
        counter(out, "tandem_forwarded_gets_total", "activation GETs forwarded to the owning controller",
                forwardedGets.sum());
        header(out, "tandem_invoke_latency_seconds", "histogram",
                "time from an invoke request's arrival to its answer, all statuses");
        long cumulative = 0;
        for (int i = 0; i <= BUCKETS.length; i++) {
            cumulative += latencyBuckets[i].sum();
            out.append("tandem_invoke_latency_seconds_bucket{le=\"")
                    .append(i < BUCKETS.length ? Double.toString(BUCKETS[i]) : "+Inf").append("\"} ")
                    .append(cumulative).append('\n');
        }
        out.append("tandem_invoke_latency_seconds_sum ").append(latencyMicros.sum() / 1e6).append('\n');
        out.append("tandem_invoke_latency_seconds_count ").append(cumulative).append('\n');
    }

    static void header(StringBuilder out, String name, String type, String help) {
        out.append("# HELP ").append(name).append(' ').append(help).append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    static void counter(StringBuilder out, String name, String help, long value) {
        header(out, name, "counter", help);
        out.append(name).append(' ').append(value).append('\n');
    }

    static void gauge(StringBuilder out, String name, String help, double value) {
        header(out, name, "gauge", help);
        out.append(name).append(' ').append(format(value)).append('\n');
    }

    static String format(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return Double.toString(v);
    }
}
