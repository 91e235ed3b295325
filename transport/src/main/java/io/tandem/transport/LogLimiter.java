package io.tandem.transport;

import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Logs at most one line per kind per interval, so that a stranger or a broken peer flooding the channel cannot
 * flood the log. The next line of a kind says how many were suppressed since the previous one. Every line starts
 * with the controller id. Thread-safe.
 */
final class LogLimiter {
    private final Logger log;
    private final String prefix;
    private final long intervalNanos;
    private final LongSupplier nanoTime;
    private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();

    private static final class Window {
        /** When the last line of this kind was written; Long.MIN_VALUE: never. */
        final AtomicLong lastNanos = new AtomicLong(Long.MIN_VALUE);
        final AtomicLong suppressed = new AtomicLong();
    }

    LogLimiter(Logger log, String controllerId, long interval, TimeUnit unit, LongSupplier nanoTime) {
        this.log = log;
        this.prefix = controllerId + " ";
        this.intervalNanos = unit.toNanos(interval);
        this.nanoTime = nanoTime;
    }

    /** Logs {@code message} unless a line of this kind was logged less than an interval ago. True if logged. */
    boolean log(Level level, String kind, String message) {
        Window w = windows.computeIfAbsent(kind, k -> new Window());
        long now = nanoTime.getAsLong();
        long last = w.lastNanos.get();
        if (last != Long.MIN_VALUE && now - last < intervalNanos || !w.lastNanos.compareAndSet(last, now)) {
            w.suppressed.incrementAndGet();
            return false;
        }
        long suppressed = w.suppressed.getAndSet(0);
        log.log(level, prefix + message + (suppressed > 0 ? " (" + suppressed + " similar suppressed)" : ""));
        return true;
    }
}
