package io.tandem.load;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Watches the reference invokers' {@code /v1/stats}, the ground truth of what ran at once.
 *
 * <p>Two measures of a namespace's peak concurrency, because invokers cannot tell when their peaks happened:
 * <ul>
 *   <li>the <b>per-invoker max sum</b>: each invoker's high-water mark for the namespace, summed over invokers, read
 *   once after the run. The peaks may have been at different instants, so this is an <i>upper bound</i>;</li>
 *   <li>the <b>highest sampled sum</b>: every {@code --stats-interval} all invokers are asked at once for
 *   {@code running}, summed per namespace; the highest sum seen is a <i>lower bound</i> of the true peak (short
 *   peaks between samples are missed, and the answers are only nearly simultaneous).</li>
 * </ul>
 *
 * <p>Thread-safety: {@link #start} and {@link #stop} are called by the run's main thread; samples are taken on the
 * scheduler and their results folded in by HTTP threads (concurrent map, atomics). A sample still outstanding when
 * the next is due is skipped, never queued.
 */
final class InvokerWatch {
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(2);

    private final List<URI> invokers;
    private final String token;
    private final HttpClient client;
    private final Duration interval;
    private final Map<String, Integer> sampledMax = new ConcurrentHashMap<>();
    private final AtomicBoolean busy = new AtomicBoolean();
    private final AtomicLong samples = new AtomicLong();
    private final AtomicLong sampleFailures = new AtomicLong();
    private final AtomicLong skipped = new AtomicLong();
    private volatile ScheduledFuture<?> task;

    InvokerWatch(List<URI> invokers, String token, HttpClient client, Duration interval) {
        this.invokers = invokers;
        this.token = token;
        this.client = client;
        this.interval = interval;
    }

    /** One invoker's stats as read after the run. */
    record Stats(URI url, String invokerId, int running, int queued, int maxRunning, long total,
                 Map<String, NamespaceStats> namespaces, String error) {
        boolean reachable() {
            return error == null;
        }
    }

    /** One namespace at one invoker. */
    record NamespaceStats(int running, int maxRunning, long total) {
    }

    /** Resets every invoker's high-water marks and totals; returns one message per invoker that failed. */
    List<String> reset() {
        List<String> problems = new ArrayList<>();
        for (URI u : invokers) {
            try {
                HttpResponse<String> r = client.send(request(u, "/v1/stats/reset")
                        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() / 100 != 2) {
                    problems.add("invoker " + u + ": POST /v1/stats/reset answered " + r.statusCode());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                problems.add("invoker " + u + ": interrupted");
                break;
            } catch (Exception e) {
                problems.add("invoker " + u + ": POST /v1/stats/reset failed: " + Tally.unwrap(e));
            }
        }
        return problems;
    }

    void start(ScheduledExecutorService scheduler) {
        long ms = interval.toMillis();
        task = scheduler.scheduleAtFixedRate(this::sample, 0, ms, TimeUnit.MILLISECONDS);
    }

    void stop() {
        ScheduledFuture<?> t = task;
        if (t != null) {
            t.cancel(false);
        }
        long deadline = System.nanoTime() + CALL_TIMEOUT.toNanos() + 500_000_000L;
        while (busy.get() && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void sample() {
        if (!busy.compareAndSet(false, true)) {
            skipped.incrementAndGet();
            return;
        }
        List<CompletableFuture<Stats>> calls = new ArrayList<>();
        for (URI u : invokers) {
            calls.add(fetch(u));
        }
        CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).whenComplete((v, t) -> {
            try {
                Map<String, Integer> sum = new TreeMap<>();
                boolean failed = false;
                for (CompletableFuture<Stats> c : calls) {
                    Stats s = c.getNow(null);
                    if (s == null || !s.reachable()) {
                        failed = true;
                        continue;
                    }
                    s.namespaces().forEach((ns, n) -> sum.merge(ns, n.running(), Integer::sum));
                }
                samples.incrementAndGet();
                if (failed) {
                    sampleFailures.incrementAndGet();
                }
                sum.forEach((ns, n) -> sampledMax.merge(ns, n, Math::max));
            } finally {
                busy.set(false);
            }
        });
    }

    /** Reads every invoker's stats now (blocking); unreachable invokers come back with {@code error} set. */
    List<Stats> readAll() {
        List<CompletableFuture<Stats>> calls = new ArrayList<>();
        for (URI u : invokers) {
            calls.add(fetch(u));
        }
        return calls.stream().map(CompletableFuture::join).toList();
    }

    private CompletableFuture<Stats> fetch(URI u) {
        CompletableFuture<HttpResponse<String>> f;
        try {
            f = client.sendAsync(request(u, "/v1/stats").GET().build(), HttpResponse.BodyHandlers.ofString());
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.handle((r, t) -> {
            if (t != null) {
                return failed(u, "GET /v1/stats failed: " + Tally.unwrap(t));
            }
            if (r.statusCode() != 200) {
                return failed(u, "GET /v1/stats answered " + r.statusCode());
            }
            try {
                return parse(u, r.body());
            } catch (RuntimeException e) {
                return failed(u, "GET /v1/stats: unreadable answer: " + e.getMessage());
            }
        });
    }

    private static Stats failed(URI u, String error) {
        return new Stats(u, null, 0, 0, 0, 0, Map.of(), error);
    }

    static Stats parse(URI u, String body) {
        JsonObject o = JsonParser.parseString(body).getAsJsonObject();
        Map<String, NamespaceStats> nss = new TreeMap<>();
        JsonElement n = o.get("namespaces");
        if (n != null && n.isJsonObject()) {
            for (Map.Entry<String, JsonElement> e : n.getAsJsonObject().entrySet()) {
                JsonObject s = e.getValue().getAsJsonObject();
                nss.put(e.getKey(), new NamespaceStats(intOf(s, "running"), intOf(s, "maxRunning"), longOf(s, "total")));
            }
        }
        JsonElement id = o.get("invokerId");
        return new Stats(u, id == null || id.isJsonNull() ? null : id.getAsString(), intOf(o, "running"),
                intOf(o, "queued"), intOf(o, "maxRunning"), longOf(o, "total"), nss, null);
    }

    private static int intOf(JsonObject o, String k) {
        JsonElement e = o.get(k);
        return e == null || e.isJsonNull() ? 0 : e.getAsInt();
    }

    private static long longOf(JsonObject o, String k) {
        JsonElement e = o.get(k);
        return e == null || e.isJsonNull() ? 0 : e.getAsLong();
    }

    private HttpRequest.Builder request(URI base, String path) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(CALL_TIMEOUT);
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return b;
    }

    /** Highest sampled sum of {@code running} per namespace. */
    Map<String, Integer> sampledMax() {
        return new TreeMap<>(sampledMax);
    }

    long samples() {
        return samples.get();
    }

    long sampleFailures() {
        return sampleFailures.get();
    }

    long skipped() {
        return skipped.get();
    }
}
