package io.tandem.http.invoker;

import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One activation from arrival to its end. Thread-safe: {@link #end()} lets exactly one of the racing finishers
 * (the action itself, its time limit) end it; the futures are published through volatile fields so whichever
 * finisher wins can cancel the other's pending work.
 */
final class Activation {
    private final RunRequest request;
    private final AtomicBoolean ended = new AtomicBoolean();
    /** Written once under the pool's lock when the activation starts; read after that lock or a hand-off. */
    private volatile long startMs;
    private volatile Future<?> work;
    private volatile Future<?> timeLimit;

    Activation(RunRequest request) {
        this.request = request;
    }

    RunRequest request() {
        return request;
    }

    String id() {
        return request.activationId();
    }

    void markStarted(long nowMs) {
        this.startMs = nowMs;
    }

    long startMs() {
        return startMs;
    }

    /** True for the one caller that ends this activation; false for every later one. */
    boolean end() {
        if (!ended.compareAndSet(false, true)) {
            return false;
        }
        cancel(work);
        cancel(timeLimit);
        return true;
    }

    boolean isEnded() {
        return ended.get();
    }

    void setWork(Future<?> f) {
        work = f;
        // The time limit may have ended us between scheduling the work and publishing it here.
        if (ended.get()) {
            cancel(f);
        }
    }

    void setTimeLimit(Future<?> f) {
        timeLimit = f;
        if (ended.get()) {
            cancel(f);
        }
    }

    private static void cancel(Future<?> f) {
        if (f != null) {
            f.cancel(false);
        }
    }
}
