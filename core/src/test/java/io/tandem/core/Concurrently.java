package io.tandem.core;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one body on several threads released together by a start gate, waits for all of them with a timeout and
 * rethrows the first failure. Bodies must do a bounded amount of work: nothing here sleeps.
 */
public final class Concurrently {
    /** The work of one thread; {@code worker} is its number, 0 to threads - 1. */
    @FunctionalInterface
    public interface Body {
        void run(int worker) throws Exception;
    }

    private Concurrently() {
    }

    public static void run(int threads, Body body) throws InterruptedException {
        CountDownLatch start = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(threads);
        ConcurrentLinkedQueue<Throwable> failures = new ConcurrentLinkedQueue<>();
        List<Thread> started = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int worker = t;
            Thread thread = new Thread(() -> {
                try {
                    start.await();
                    body.run(worker);
                } catch (Throwable e) {
                    failures.add(e);
                } finally {
                    done.countDown();
                }
            }, "concurrently-" + t);
            thread.setDaemon(true);
            thread.start();
            started.add(thread);
        }
        start.countDown();
        boolean finished = done.await(20, TimeUnit.SECONDS);
        if (!finished) {
            started.forEach(Thread::interrupt);
        }
        assertTrue(finished, "workers did not finish within 20 s");
        Throwable first = failures.peek();
        if (first != null) {
            if (first instanceof AssertionError a) {
                throw a;
            }
            fail("a worker failed", first);
        }
    }
}
