package io.tandem.load;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The counts and latency recorders of one run, fed by the HTTP completion threads and read by the once-a-second
 * ticker and, at the end, by the report.
 *
 * <p>Thread-safety: every {@code on...} method may be called from any thread at any time (adders, concurrent maps
 * and HdrHistogram {@link Recorder}s). {@link #snapshot()} and the {@code interval...} methods must be called by
 * one thread at a time (the ticker, then the main thread after the ticker stopped); they are not thread-safe
 * among themselves. Only measured requests (not warm-up) are counted here, except {@link #onWarmup}.
 *
 * <p>Latencies are recorded in microseconds: all answers (any HTTP status) in one recorder, admitted answers
 * (200, 202, 502: the activation reached an invoker) in another, and in open loop the generator's send lag
 * (actual minus intended send time) in a third.
 */
final class Tally {
    /** How an answer or a failure is classified. */
    enum Outcome {
        /** 200 or 202. */
        OK,
        /** 429: the controller refused by a limit; not an error. */
        RATE_LIMITED,
        /** 502: the action failed (application or developer error); the platform worked. */
        APP_ERROR,
        /** Any other status, or no answer at all. */
        ERROR
    }

    final LongAdder arrivals = new LongAdder();
    final LongAdder sent = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder answered = new LongAdder();
    final LongAdder ok = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder appErrors = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder missingActivationId = new LongAdder();
    final LongAdder warmupSent = new LongAdder();
    final LongAdder warmupDropped = new LongAdder();
    final Map<Integer, LongAdder> statuses = new ConcurrentHashMap<>();
    final Map<String, LongAdder> rateLimitKinds = new ConcurrentHashMap<>();
    final Map<String, LongAdder> errorKinds = new ConcurrentHashMap<>();
    /** The first message seen per error kind, to tell "connection refused" from "reset". */
    final Map<String, String> errorSamples = new ConcurrentHashMap<>();

    private final Recorder allRecorder = new Recorder(3);
    private final Recorder admittedRecorder = new Recorder(3);
    private final Recorder lagRecorder = new Recorder(3);

    /** Cumulative histograms, added up from the intervals by the single reading thread. */
    final Histogram all = new Histogram(3);
    final Histogram admitted = new Histogram(3);
    final Histogram lag = new Histogram(3);

    void onWarmup(boolean wasDropped) {
        (wasDropped ? warmupDropped : warmupSent).increment();
    }

    void onArrival() {
        arrivals.increment();
    }

    void onDropped() {
        dropped.increment();
    }

    void onSent(long lagNanos) {
        sent.increment();
        lagRecorder.recordValue(Math.max(0, lagNanos / 1000));
    }

    void onClosedLoopSent() {
        arrivals.increment();
        sent.increment();
    }

    /** An HTTP answer arrived {@code latencyNanos} after the (intended) send. */
    Outcome onAnswer(int status, String body, boolean hasActivationId, long latencyNanos) {
        long us = Math.max(0, latencyNanos / 1000);
        answered.increment();
        statuses.computeIfAbsent(status, k -> new LongAdder()).increment();
        allRecorder.recordValue(us);
        Outcome outcome;
        if (status == 200 || status == 202) {
            outcome = Outcome.OK;
            ok.increment();
            if (!hasActivationId) {
                missingActivationId.increment();
            }
        } else if (status == 429) {
            outcome = Outcome.RATE_LIMITED;
            rateLimited.increment();
            rateLimitKinds.computeIfAbsent(rateLimitKind(body), k -> new LongAdder()).increment();
        } else if (status == 502) {
            outcome = Outcome.APP_ERROR;
            appErrors.increment();
        } else {
            outcome = Outcome.ERROR;
            error("http " + status, body);
        }
        if (status == 200 || status == 202 || status == 502) {
            admittedRecorder.recordValue(us);
        }
        return outcome;
    }

    /** The request failed without an HTTP answer. */
    Outcome onFailure(Throwable t) {
        answered.increment();
        error(failureKind(t), String.valueOf(unwrap(t)));
        return Outcome.ERROR;
    }

    private void error(String kind, String sample) {
        errors.increment();
        errorKinds.computeIfAbsent(kind, k -> new LongAdder()).increment();
        if (sample != null && !errorSamples.containsKey(kind)) {
            errorSamples.putIfAbsent(kind, sample.length() > 200 ? sample.substring(0, 200) : sample);
        }
    }

    static String rateLimitKind(String body) {
        String b = body == null ? "" : body;
        if (b.contains("concurrent")) {
            return "concurrency";
        }
        if (b.contains("last minute")) {
            return "per-minute";
        }
        if (b.contains("overloaded")) {
            return "system overload";
        }
        return "other";
    }

    static Throwable unwrap(Throwable t) {
        Throwable c = t;
        while (c instanceof CompletionException && c.getCause() != null) {
            c = c.getCause();
        }
        return c;
    }

    static String failureKind(Throwable t) {
        Throwable c = unwrap(t);
        if (c instanceof HttpConnectTimeoutException || c instanceof ConnectException
                || c.getCause() instanceof ConnectException) {
            return "connect failed";
        }
        if (c instanceof HttpTimeoutException) {
            return "timeout";
        }
        if (c instanceof ClosedChannelException) {
            return "connection closed";
        }
        if (c instanceof IOException) {
            return "io error";
        }
        return "other (" + c.getClass().getSimpleName() + ")";
    }

    /** Counts of one moment, for the progress line and the per-second timeline. */
    record Counts(long arrivals, long sent, long dropped, long answered, long ok, long rateLimited, long appErrors,
                  long errors) {
    }

    Counts snapshot() {
        return new Counts(arrivals.sum(), sent.sum(), dropped.sum(), answered.sum(), ok.sum(), rateLimited.sum(),
                appErrors.sum(), errors.sum());
    }

    /** Latencies since the last call (all answers), also added to the cumulative {@link #all}. */
    Histogram intervalAll() {
        Histogram h = allRecorder.getIntervalHistogram();
        all.add(h);
        return h;
    }

    /** Latencies of admitted answers since the last call, also added to {@link #admitted}. */
    Histogram intervalAdmitted() {
        Histogram h = admittedRecorder.getIntervalHistogram();
        admitted.add(h);
        return h;
    }

    /** Send lag since the last call, also added to {@link #lag}. */
    Histogram intervalLag() {
        Histogram h = lagRecorder.getIntervalHistogram();
        lag.add(h);
        return h;
    }

    static Map<String, Long> sums(Map<?, LongAdder> m) {
        Map<String, Long> out = new TreeMap<>();
        m.forEach((k, v) -> out.put(String.valueOf(k), v.sum()));
        return out;
    }
}
