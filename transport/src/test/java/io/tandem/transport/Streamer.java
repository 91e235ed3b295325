package io.tandem.transport;

import io.tandem.core.ledger.Ledger;
import java.util.SplittableRandom;
import java.util.concurrent.locks.LockSupport;

/**
 * Books and releases activations on one ledger from its own thread, as admission would, until closed. Releases
 * only what it booked, so no count goes negative. Not thread-safe itself; one thread drives it.
 */
final class Streamer implements AutoCloseable {
    private final Ledger ledger;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile long ops;

    Streamer(Ledger ledger, long seed) {
        this.ledger = ledger;
        SplittableRandom random = new SplittableRandom(seed);
        this.thread = new Thread(() -> {
            long n = 0;
            while (running) {
                String key = "n/ns" + random.nextInt(40);
                if (random.nextInt(10) < 6) {
                    ledger.add(key, 1);
                    ledger.add("i/invoker" + random.nextInt(4), 256);
                } else {
                    ledger.update(tx -> {
                        if (tx.local(key) > 0) {
                            tx.add(key, -1);
                        }
                        return null;
                    });
                }
                if (++n % 20 == 0) {
                    ops = n;
                    LockSupport.parkNanos(200_000); // a steady stream, not a blast
                }
            }
        }, "streamer-" + ledger.self().controllerId());
        thread.setDaemon(true);
        thread.start();
    }

    long ops() {
        return ops;
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
