package io.tandem.http.invoker;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Names the invoker's threads after the invoker and the pool, so a thread dump says whose thread it is. Daemon
 * threads: a forgotten {@link ReferenceInvoker#close()} in a test must not keep the JVM alive. Thread-safe.
 */
final class DaemonThreadFactory implements ThreadFactory {
    private final String prefix;
    private final AtomicInteger next = new AtomicInteger();

    DaemonThreadFactory(String invokerId, String pool) {
        this.prefix = "invoker-" + invokerId + "-" + pool + "-";
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(r, prefix + next.incrementAndGet());
        t.setDaemon(true);
        return t;
    }
}
