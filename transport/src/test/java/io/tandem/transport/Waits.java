package io.tandem.transport;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waiting in tests: always with a timeout, polling a condition; never a bare sleep. */
final class Waits {
    private Waits() {
    }

    /** Polls {@code condition} every {@code interval} until it holds; fails with {@code what} after {@code timeout}. */
    static void waitUntil(Duration timeout, Duration interval, BooleanSupplier condition, Supplier<String> what) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("not within " + timeout.toMillis() + " ms: " + what.get());
            }
            java.util.concurrent.locks.LockSupport.parkNanos(interval.toNanos());
        }
    }

    static void waitUntil(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
        waitUntil(timeout, Duration.ofMillis(20), condition, what);
    }
}
