package io.tandem.it.harness;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Steady background load for fault tests: closed-loop workers sending blocking `sleep` invokes round robin over
 * the controllers that {@code targets} returns, bounded in time and in count. Counts answers by status
 * (-1 = connection failure). Thread-safe.
 */
public final class Load implements AutoCloseable {
    private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final Thread[] workers;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    public Load(Supplier<List<Cluster.Node>> targets, Cluster cluster, String namespace, int workerCount,
                Duration maxDuration, long maxRequests) {
        String auth = Http.basic(cluster.key(namespace));
        long deadline = System.nanoTime() + maxDuration.toNanos();
        workers = new Thread[workerCount];
        for (int w = 0; w < workerCount; w++) {
            int offset = w;
            workers[w] = new Thread(() -> {
                long i = offset;
                while (running.get() && System.nanoTime() < deadline && sent.incrementAndGet() <= maxRequests) {
                    List<Cluster.Node> live = targets.get();
                    if (live.isEmpty()) {
                        break;
                    }
                    Cluster.Node c = live.get((int) (i++ % live.size()));
                    int ms = 20 + ThreadLocalRandom.current().nextInt(100);
                    HttpRequest req = HttpRequest.newBuilder(URI.create(c.apiUrl()
                                    + "/api/v1/namespaces/_/actions/sleep?blocking=true"))
                            .timeout(Duration.ofSeconds(30)).header("Authorization", auth)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"ms\":" + ms + "}")).build();
                    int status;
                    try {
                        status = client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
                    } catch (java.io.IOException e) {
                        status = -1;
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                    if (status == -1 || status == 503) {
                        try {
                            Thread.sleep(20);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        }
                    }
                }
            }, "load-" + w);
            workers[w].setDaemon(true);
            workers[w].start();
        }
    }

    /** Stops the workers and waits until every request they sent has been answered (or failed). */
    @Override
    public void close() {
        running.set(false);
        for (Thread t : workers) {
            try {
                t.join(40_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    public long count(int status) {
        AtomicLong n = statuses.get(status);
        return n == null ? 0 : n.get();
    }

    public Map<Integer, Long> statuses() {
        Map<Integer, Long> out = new java.util.TreeMap<>();
        statuses.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }
}
