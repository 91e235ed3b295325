package io.tandem.http.invoker;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Posts completions to the controllers' callback URLs, off the activation's path: {@link #publish} only queues.
 *
 * <p>Why it looks like this: 10,000 activations ending together must open neither 10,000 sockets nor 10,000
 * threads. Completions wait in a FIFO queue and a fixed set of {@code senders} threads posts them with
 * {@link HttpClient} over HTTP/1.1 keep-alive connections, which the client pools; so at most {@code senders}
 * completions are on the wire and at most that many connections are open per controller.
 *
 * <p>Why blocking {@code send} and not {@code sendAsync}: the JDK's {@code sendAsync} always completes its future
 * on the {@code CompletableFuture} default executor, whatever executor the client was built with, and on a
 * machine with two CPUs or fewer that executor starts a new thread for every task. Measured on JDK 17 with two
 * cores: 300 {@code sendAsync} calls started 300 threads, 15,000 blocking sends from 16 pool threads started none.
 * A fixed pool of blocking senders is the bounded form of the same concurrency.
 *
 * <p>Delivery: 2xx is done; 404 means the controller no longer waits for the activation, so it is dropped; other
 * 4xx are dropped too (resending the same bytes cannot change the answer); a connection failure, timeout or 5xx is
 * retried after each of {@code retryDelaysMs} and then dropped — the controller's forced completion releases its
 * counts. A retry waits on the scheduler, not in a sender thread.
 *
 * <p>Thread-safe. {@link #publish} never blocks.
 */
final class CompletionPublisher implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(CompletionPublisher.class.getName());
    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final long DROP_LOG_INTERVAL_MS = 1_000;

    /** A completion and how many times it has been sent. */
    private record Pending(Completion completion, int attempt) {
    }

    private final String invokerId;
    private final String authorization;
    private final ScheduledExecutorService scheduler;
    private final long[] retryDelaysMs;
    private final ThreadPoolExecutor senders;
    private final ExecutorService clientExecutor;
    private final HttpClient client;
    private final AtomicBoolean closed = new AtomicBoolean();

    private final AtomicLong delivered = new AtomicLong();
    private final AtomicLong retried = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicLong lastDropLogMs = new AtomicLong();
    private final AtomicLong dropsSinceLog = new AtomicLong();

    /**
     * @param token     sent as {@code Authorization: Bearer <token>}; null sends no such header
     * @param scheduler times the retries; owned by the caller
     * @param senders   how many completions may be on the wire at once (and how many threads send them)
     */
    CompletionPublisher(String invokerId, String token, ScheduledExecutorService scheduler, int senders,
                        long[] retryDelaysMs) {
        this.invokerId = invokerId;
        this.authorization = token == null ? null : "Bearer " + token;
        this.scheduler = scheduler;
        this.retryDelaysMs = retryDelaysMs.clone();
        this.senders = new ThreadPoolExecutor(senders, senders, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(),
                new DaemonThreadFactory(invokerId, "completion"));
        // Started up front so the invoker's thread count is fixed from the first request on.
        this.senders.prestartAllCoreThreads();
        // The client runs its own bookkeeping on this executor; the default would be an unbounded cached pool.
        this.clientExecutor = Executors.newFixedThreadPool(2, new DaemonThreadFactory(invokerId, "http-client"));
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(CONNECT_TIMEOUT)
                .executor(clientExecutor)
                .build();
    }

    /** Queues the completion for delivery. Never blocks; after {@link #close()} it is dropped silently. */
    void publish(Completion c) {
        enqueue(new Pending(c, 0));
    }

    private void enqueue(Pending p) {
        if (closed.get()) {
            return;
        }
        try {
            senders.execute(() -> deliver(p));
        } catch (RejectedExecutionException e) {
            // close() won the race; nothing is delivered after close.
        }
    }

    private void deliver(Pending p) {
        HttpRequest.Builder b = HttpRequest.newBuilder(p.completion().callback())
                .timeout(REQUEST_TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(p.completion().body()));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        int status = -1;
        Exception failure = null;
        try {
            status = client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException | RuntimeException e) {
            failure = e;
        } catch (InterruptedException e) {
            // Only close() interrupts senders.
            Thread.currentThread().interrupt();
            return;
        }
        onAnswer(p, status, failure);
    }

    private void onAnswer(Pending p, int status, Exception failure) {
        if (failure == null && status >= 200 && status < 300) {
            delivered.incrementAndGet();
        } else if (failure == null && status < 500) {
            drop(p, "the controller answered " + status);
        } else if (p.attempt() < retryDelaysMs.length && !closed.get()) {
            retried.incrementAndGet();
            Pending next = new Pending(p.completion(), p.attempt() + 1);
            try {
                scheduler.schedule(() -> enqueue(next), retryDelaysMs[p.attempt()], TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                drop(p, "the invoker is closing");
            }
        } else {
            drop(p, failure != null ? describe(failure) : "the controller answered " + status);
        }
    }

    private void drop(Pending p, String why) {
        dropped.incrementAndGet();
        dropsSinceLog.incrementAndGet();
        long now = System.currentTimeMillis();
        long last = lastDropLogMs.get();
        // A controller that went away makes every completion fail: log at a bounded rate, with a count.
        if (now - last >= DROP_LOG_INTERVAL_MS && lastDropLogMs.compareAndSet(last, now)) {
            long count = dropsSinceLog.getAndSet(0);
            LOG.log(Level.WARNING, () -> invokerId + " dropped completion of " + p.completion().activationId()
                    + " to " + p.completion().callback() + " after " + (p.attempt() + 1) + " attempt(s): " + why
                    + (count > 1 ? " (" + count + " completions dropped since the last such line)" : ""));
        }
    }

    private static String describe(Throwable err) {
        return err.getClass().getSimpleName() + (err.getMessage() == null ? "" : ": " + err.getMessage());
    }

    long delivered() {
        return delivered.get();
    }

    long retried() {
        return retried.get();
    }

    long dropped() {
        return dropped.get();
    }

    /** Completions waiting for a sender (not counting those on the wire or waiting to be retried). */
    int waiting() {
        return senders.getQueue().size();
    }

    /** Stops sending; queued and in-flight completions are abandoned. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            senders.shutdownNow();
            clientExecutor.shutdownNow();
        }
    }
}
