package io.tandem.http.invoker;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import java.time.Instant;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * Runs the built-in actions. None of them holds a thread while it waits: {@code sleep} is a timer on the
 * scheduler, the instant ones run as one short task on it, and only {@code cpu} occupies a thread — one of the
 * small cpu pool, for the time it asked for, and it stops early once its activation has ended (time limit).
 *
 * <p>Each action reports its outcome exactly once through the callback given to {@link #start}, on a pool
 * thread and never inside {@code start} itself, so a caller holding state cannot be re-entered. Bad action
 * params are the action's fault: they end it as an action developer error, not as a rejected request.
 *
 * <p>Thread-safe; the executors are owned by the caller.
 */
final class BuiltinActions {
    static final long DEFAULT_SLEEP_MS = 1_000;
    static final long DEFAULT_CPU_MS = 10;
    /** A day: longer waits are certainly a mistake, and this keeps the arithmetic far from overflow. */
    static final long MAX_MS = 86_400_000;

    /** Keeps the JIT from discarding the busy loop as dead code. */
    private static volatile long sink;

    private final ScheduledExecutorService scheduler;
    private final ExecutorService cpuPool;
    private final LongSupplier clockMs;

    BuiltinActions(ScheduledExecutorService scheduler, ExecutorService cpuPool, LongSupplier clockMs) {
        this.scheduler = scheduler;
        this.cpuPool = cpuPool;
        this.clockMs = clockMs;
    }

    void start(Activation a, Consumer<Outcome> done) {
        JsonObject params = a.request().params();
        switch (a.request().kind()) {
            case ECHO:
                a.setWork(scheduler.submit(() -> done.accept(
                        Outcome.of(ActivationStatus.SUCCESS, params.deepCopy(), logLine("echo")))));
                break;
            case FAIL: {
                JsonElement m = params.get("message");
                JsonObject r = new JsonObject();
                r.add("error", m == null || m.isJsonNull() ? new JsonPrimitive("the action failed") : m.deepCopy());
                a.setWork(scheduler.submit(() -> done.accept(
                        Outcome.of(ActivationStatus.APPLICATION_ERROR, r, logLine("fail")))));
                break;
            }
            case ERROR:
                a.setWork(scheduler.submit(() -> done.accept(Outcome.error(ActivationStatus.DEVELOPER_ERROR,
                        "The action did not produce a valid response and exited unexpectedly.",
                        logLine("error")))));
                break;
            case SLEEP: {
                long ms = millis(params, DEFAULT_SLEEP_MS);
                if (ms < 0) {
                    a.setWork(scheduler.submit(() -> done.accept(badMs("sleep"))));
                    break;
                }
                a.setWork(scheduler.schedule(() -> {
                    JsonObject r = new JsonObject();
                    r.addProperty("slept", ms);
                    done.accept(Outcome.of(ActivationStatus.SUCCESS, r, logLine("slept " + ms + " ms")));
                }, ms, TimeUnit.MILLISECONDS));
                break;
            }
            case CPU: {
                long ms = millis(params, DEFAULT_CPU_MS);
                if (ms < 0) {
                    a.setWork(scheduler.submit(() -> done.accept(badMs("cpu"))));
                    break;
                }
                a.setWork(cpuPool.submit(() -> {
                    busy(a, ms);
                    JsonObject r = new JsonObject();
                    r.addProperty("cpuMs", ms);
                    done.accept(Outcome.of(ActivationStatus.SUCCESS, r, logLine("busy for " + ms + " ms")));
                }));
                break;
            }
            default:
                throw new IllegalStateException("unhandled kind " + a.request().kind());
        }
    }

    /** The {@code ms} param, the default when absent, or -1 when it is not a number in [0, MAX_MS]. */
    static long millis(JsonObject params, long dflt) {
        JsonElement e = params.get("ms");
        if (e == null || e.isJsonNull()) {
            return dflt;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isNumber()) {
            return -1;
        }
        double d = e.getAsDouble();
        return d >= 0 && d <= MAX_MS ? (long) d : -1;
    }

    private Outcome badMs(String kind) {
        return Outcome.error(ActivationStatus.DEVELOPER_ERROR,
                kind + ": param ms must be a number of milliseconds between 0 and " + MAX_MS, logLine(kind + " rejected its params"));
    }

    private static void busy(Activation a, long ms) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(ms);
        long x = a.id().hashCode();
        while (System.nanoTime() < deadline && !a.isEnded()) {
            for (int i = 0; i < 10_000; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
            }
        }
        sink = x;
    }

    String logLine(String text) {
        return Instant.ofEpochMilli(clockMs.getAsLong()) + " stdout: " + text;
    }
}
