package io.tandem.load;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandler;
import java.net.http.HttpResponse.BodySubscribers;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends the load, open or closed loop, and feeds {@link Tally}.
 *
 * <p>Open loop: one thread (the caller of {@link #run(long)}) walks a fixed arrival schedule, arrival {@code i} at
 * {@code start + i / rate}, and hands each arrival to the HTTP pool to be sent. It never waits for answers. When it
 * falls behind (a pause), it sends the overdue arrivals at once, and every latency is measured from the intended
 * time, so a stall shows up in the percentiles instead of being hidden (coordinated omission). An arrival that finds {@code maxInflight} requests in flight is
 * dropped and counted; the schedule does not slow down.
 *
 * <p>Closed loop: {@code clients} chains, each sending its next request from the completion of the previous one
 * (on the HTTP executor, never recursively); latency is from the actual send.
 *
 * <p>Both stop at the end of warm-up + duration or after {@code requests} measured arrivals, whichever is first,
 * then wait for the requests in flight. Not reusable: one instance per run; {@link #run(long)} is called once.
 */
final class Generator {
    /** Why the generation ended. */
    enum StopReason {
        /** --duration elapsed. */
        DURATION,
        /** --requests measured arrivals were generated. */
        REQUESTS
    }

    private final Options options;
    private final HttpClient client;
    private final Executor executor;
    private final RequestFactory requests;
    private final Tally tally;
    private final AtomicInteger inflight = new AtomicInteger();
    private final AtomicInteger peakInflight = new AtomicInteger();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong measuredArrivals = new AtomicLong();
    private final AtomicLong seq = new AtomicLong();

    private volatile long startNs;
    private volatile long measureStartNs;
    private volatile long windowEndNs;
    private volatile StopReason stopReason = StopReason.DURATION;
    private volatile long drainedNs;

    /** Discards the body except on statuses whose body we classify (429) or show as an error sample. */
    private static final BodyHandler<String> BODY = info -> {
        int s = info.statusCode();
        if (s == 429 || (s >= 400 && s != 502)) {
            return BodySubscribers.ofString(StandardCharsets.UTF_8);
        }
        return BodySubscribers.replacing(null);
    };

    Generator(Options options, HttpClient client, Executor executor, Tally tally) {
        this.options = options;
        this.client = client;
        this.executor = executor;
        this.requests = new RequestFactory(options);
        this.tally = tally;
    }

    /** Sets the start time; the ticker aligns on {@link #measureStartNs()} from here on. */
    void start(long nowNs) {
        startNs = nowNs;
        measureStartNs = nowNs + options.warmup().toNanos();
        windowEndNs = measureStartNs + options.duration().toNanos();
    }

    long startNs() {
        return startNs;
    }

    long measureStartNs() {
        return measureStartNs;
    }

    /** The end of the measured window: the duration's end, or where the request budget ran out. */
    long windowEndNs() {
        return windowEndNs;
    }

    long drainedNs() {
        return drainedNs;
    }

    StopReason stopReason() {
        return stopReason;
    }

    int inflight() {
        return inflight.get();
    }

    int peakInflight() {
        return peakInflight.get();
    }

    /**
     * Generates the load (after {@link #start}), then waits up to {@code drainTimeoutNs} for the requests in flight.
     *
     * @return the requests still in flight after the drain timeout (0 normally)
     */
    int run(long drainTimeoutNs) throws InterruptedException {
        if (options.mode() == Options.Mode.OPEN) {
            runOpen();
        } else {
            runClosed();
        }
        long deadline = System.nanoTime() + drainTimeoutNs;
        while (inflight.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(2);
        }
        drainedNs = System.nanoTime();
        return inflight.get();
    }

    private void runOpen() {
        double periodNs = 1e9 / options.rate();
        long maxMeasured = options.requests();
        long end = windowEndNs;
        for (long i = 0; ; i++) {
            long intended = startNs + (long) (i * periodNs);
            if (intended >= end) {
                stopReason = StopReason.DURATION;
                break;
            }
            boolean measured = intended >= measureStartNs;
            if (measured && measuredArrivals.get() >= maxMeasured) {
                stopReason = StopReason.REQUESTS;
                windowEndNs = intended;
                break;
            }
            long now;
            while ((now = System.nanoTime()) < intended) {
                LockSupport.parkNanos(intended - now);
            }
            if (measured) {
                measuredArrivals.incrementAndGet();
                tally.onArrival();
            }
            if (inflight.incrementAndGet() > options.maxInflight()) {
                inflight.decrementAndGet();
                if (measured) {
                    tally.onDropped();
                } else {
                    tally.onWarmup(true);
                }
                continue;
            }
            peakInflight.accumulateAndGet(inflight.get(), Math::max);
            long k = i;
            // sendAsync costs a few hundred microseconds of this thread: hand it to the pool so the schedule stays
            // punctual at high rates; the send lag then includes the wait for a pool thread, as it should
            executor.execute(() -> {
                if (measured) {
                    tally.onSent(System.nanoTime() - intended);
                } else {
                    tally.onWarmup(false);
                }
                send(k, intended, measured);
            });
        }
        stopped.set(true);
    }

    private void runClosed() throws InterruptedException {
        for (int c = 0; c < options.clients(); c++) {
            executor.execute(this::sendNext);
        }
        while (!stopped.get()) {
            long left = windowEndNs - System.nanoTime();
            if (left <= 0) {
                break;
            }
            Thread.sleep(Math.min(left / 1_000_000 + 1, 5));
        }
        stopped.set(true);
    }

    /** One closed-loop step: send the next request unless the run is over. */
    private void sendNext() {
        if (stopped.get()) {
            return;
        }
        long now = System.nanoTime();
        if (now >= windowEndNs) {
            stopped.set(true);
            return;
        }
        boolean measured = now >= measureStartNs;
        if (measured) {
            long n = measuredArrivals.incrementAndGet();
            if (n > options.requests()) {
                if (stopped.compareAndSet(false, true)) {
                    stopReason = StopReason.REQUESTS;
                    windowEndNs = now;
                }
                return;
            }
            tally.onClosedLoopSent();
        } else {
            tally.onWarmup(false);
        }
        peakInflight.accumulateAndGet(inflight.incrementAndGet(), Math::max);
        send(seq.getAndIncrement(), now, measured).whenCompleteAsync((r, t) -> sendNext(), executor);
    }

    private CompletableFuture<HttpResponse<String>> send(long k, long intendedNs, boolean measured) {
        CompletableFuture<HttpResponse<String>> f;
        try {
            f = client.sendAsync(requests.request(k), BODY);
        } catch (RuntimeException e) {
            f = CompletableFuture.failedFuture(e);
        }
        return f.whenComplete((response, failure) -> {
            long latency = System.nanoTime() - intendedNs;
            // count first, then leave the in-flight set: the drain ends at zero in flight and the report is read then
            try {
                if (!measured) {
                    return;
                }
                if (failure != null) {
                    tally.onFailure(failure);
                } else {
                    tally.onAnswer(response.statusCode(), response.body(),
                            response.headers().firstValue("x-openwhisk-activation-id").isPresent(), latency);
                }
            } finally {
                inflight.decrementAndGet();
            }
        });
    }
}
