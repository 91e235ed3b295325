package io.tandem.it.harness.netns;

import io.tandem.it.harness.Http;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Steady load for fault scenarios, standing in for clients behind a front load balancer: closed-loop workers send
 * blocking {@code sleep} invokes (20-120 ms) of one namespace round robin over the controllers in rotation, bounded
 * in time and in count. It keeps every answer's status (-1: the connection failed or was reset) and the activation
 * id of every 200/202/5xx answer, so that the scenario can reconcile them with the invokers' run logs, and the
 * first {@link #MAX_FAILURES} failures with the controller they went to and when they were sent and ended.
 * Thread-safe.
 */
public final class Traffic implements AutoCloseable {
    public static final int MAX_FAILURES = 10_000;

    /** One failed request (-1 or 5xx): where it went, when it was sent and when it ended ({@link System#nanoTime}). */
    public record Failure(String host, long sentNanos, long endedNanos, int status, String what) {
    }

    private final ConcurrentLinkedQueue<Failure> failures = new ConcurrentLinkedQueue<>();
    private final AtomicInteger failuresKept = new AtomicInteger();
    private final Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    /** Host -> how many 200 answers it gave. */
    private final Map<String, AtomicLong> okBy = new ConcurrentHashMap<>();
    /** Activation id -> status of the answer that carried it. */
    private final Map<String, Integer> ids = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<String> failureSamples = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final AtomicLong sent = new AtomicLong();
    private final Thread[] workers;
    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    public Traffic(NetnsCluster cluster, String namespace, int workerCount, Duration maxDuration, long maxRequests) {
        String auth = Http.basic(cluster.key(namespace));
        long deadline = System.nanoTime() + maxDuration.toNanos();
        workers = new Thread[workerCount];
        for (int w = 0; w < workerCount; w++) {
            int offset = w;
            workers[w] = new Thread(() -> {
                long i = offset;
                while (running.get() && System.nanoTime() < deadline && sent.incrementAndGet() <= maxRequests) {
                    List<NetnsCluster.Node> live = cluster.rotation();
                    if (live.isEmpty()) {
                        pause(50);
                        continue;
                    }
                    NetnsCluster.Node c = live.get((int) (i++ % live.size()));
                    int ms = 20 + ThreadLocalRandom.current().nextInt(100);
                    HttpRequest req = HttpRequest.newBuilder(URI.create(c.apiUrl()
                                    + "/api/v1/namespaces/_/actions/sleep?blocking=true"))
                            .timeout(Duration.ofSeconds(30)).header("Authorization", auth)
                            .header("Content-Type", "application/json")
                            .POST(HttpRequest.BodyPublishers.ofString("{\"ms\":" + ms + "}")).build();
                    int status;
                    String what = null;
                    long sentAt = System.nanoTime();
                    try {
                        HttpResponse<Void> r = client.send(req, HttpResponse.BodyHandlers.discarding());
                        status = r.statusCode();
                        int answered = status;
                        r.headers().firstValue("x-openwhisk-activation-id").ifPresent(id -> ids.put(id, answered));
                    } catch (IOException e) {
                        status = -1;
                        what = e.toString();
                        sample(c.host() + ": " + e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return;
                    }
                    statuses.computeIfAbsent(status, k -> new AtomicLong()).incrementAndGet();
                    if (status == 200) {
                        okBy.computeIfAbsent(c.host(), k -> new AtomicLong()).incrementAndGet();
                    }
                    if (status >= 500) {
                        sample(c.host() + ": HTTP " + status);
                    }
                    if ((status == -1 || status >= 500) && failuresKept.incrementAndGet() <= MAX_FAILURES) {
                        failures.add(new Failure(c.host(), sentAt, System.nanoTime(), status,
                                what == null ? "HTTP " + status : what));
                    }
                    if (status == -1 || status >= 500) {
                        pause(20);
                    } else if (status == 429) {
                        pause(5);
                    }
                }
            }, "traffic-" + w);
            workers[w].setDaemon(true);
            workers[w].start();
        }
    }

    private void sample(String s) {
        if (failureSamples.size() < 20) {
            failureSamples.add(s);
        }
    }

    private static void pause(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the workers and waits until every request they sent has been answered or has failed. */
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

    /** How many 200 answers controller host {@code host} gave. */
    public long ok(String host) {
        AtomicLong n = okBy.get(host);
        return n == null ? 0 : n.get();
    }

    /** Answers that are failures: connection failures and resets (-1) and every 5xx. */
    public long failed() {
        long n = 0;
        for (Map.Entry<Integer, AtomicLong> e : statuses.entrySet()) {
            if (e.getKey() == -1 || e.getKey() >= 500) {
                n += e.getValue().get();
            }
        }
        return n;
    }

    public Map<Integer, Long> statuses() {
        Map<Integer, Long> out = new TreeMap<>();
        statuses.forEach((k, v) -> out.put(k, v.get()));
        return out;
    }

    /** Activation id -> the status of the answer that carried it. */
    public Map<String, Integer> activationIds() {
        return Map.copyOf(ids);
    }

    /** The first {@link #MAX_FAILURES} failures, in the order they ended. */
    public List<Failure> failures() {
        return new ArrayList<>(failures);
    }

    public List<String> failureSamples() {
        return new ArrayList<>(failureSamples);
    }
}
