package io.tandem.http.invoker;

import java.lang.System.Logger.Level;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * The invoker without its HTTP face: admits run requests into the {@link ActivationPool}, runs what starts,
 * enforces time limits, and hands each ending to the {@link CompletionPublisher}.
 *
 * <p>Life of an activation: admitted (started or queued) → started (memory booked, stats counted, run log
 * appended, time limit armed) → ended exactly once, by its action or by its time limit, whichever comes first
 * ({@link Activation#end()} decides) → memory released, queued activations started, completion published.
 *
 * <p>Threads: a small scheduler runs timers, time limits and the instant actions; a fixed pool of
 * {@code INVOKER_CPU_THREADS} runs {@code cpu}; the publisher has {@value #COMPLETION_SENDERS} senders and two
 * threads for its HTTP client. None of them grows with the number of activations, so 10,000 sleeping activations
 * cost 10,000 timer entries, not threads.
 *
 * <p>Thread-safe: any thread may call any method. Nothing here blocks, so HTTP IO threads may call
 * {@link #submit} directly.
 */
final class InvokerEngine implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(InvokerEngine.class.getName());
    /**
     * How many completions may be on the wire at once, each on its own sender thread: a bounded number of sockets
     * per controller, not one per activation. A loopback completion takes well under a millisecond, so 16 senders
     * deliver thousands per second.
     */
    static final int COMPLETION_SENDERS = 16;
    /** Delays before the retries of a completion that met a connection failure or a 5xx (protocol doc). */
    static final long[] COMPLETION_RETRY_DELAYS_MS = {100, 500};
    private static final int SCHEDULER_THREADS = 2;

    private final String invokerId;
    private final LongSupplier clockMs;
    private final ActivationPool pool;
    private final ScheduledThreadPoolExecutor scheduler;
    private final ExecutorService cpuPool;
    private final BuiltinActions actions;
    private final CompletionPublisher publisher;
    private final AtomicBoolean closed = new AtomicBoolean();

    InvokerEngine(InvokerSettings s, LongSupplier clockMs) {
        this.invokerId = s.invokerId();
        this.clockMs = clockMs;
        this.pool = new ActivationPool(s.memoryMb(), s.queueLimit(), s.runLogLimit(), clockMs);
        this.scheduler = new ScheduledThreadPoolExecutor(SCHEDULER_THREADS, new DaemonThreadFactory(invokerId, "timer"));
        // Most time limits are cancelled long before they fire; without this the cancelled timers pile up.
        scheduler.setRemoveOnCancelPolicy(true);
        scheduler.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.cpuPool = Executors.newFixedThreadPool(s.cpuThreads(), new DaemonThreadFactory(invokerId, "cpu"));
        this.actions = new BuiltinActions(scheduler, cpuPool, clockMs);
        this.publisher = new CompletionPublisher(invokerId, s.token(), scheduler, COMPLETION_SENDERS,
                COMPLETION_RETRY_DELAYS_MS);
    }

    String invokerId() {
        return invokerId;
    }

    ActivationPool pool() {
        return pool;
    }

    CompletionPublisher publisher() {
        return publisher;
    }

    /** Admits the request; if it started, it is running when this returns. */
    ActivationPool.Admission submit(RunRequest r) {
        if (closed.get()) {
            return new ActivationPool.Admission(ActivationPool.Verdict.QUEUE_FULL, 0, 0);
        }
        Activation a = new Activation(r);
        ActivationPool.Admission admission = pool.admit(a);
        if (admission.verdict() == ActivationPool.Verdict.STARTED) {
            launch(a);
        }
        return admission;
    }

    private void launch(Activation a) {
        RunRequest r = a.request();
        try {
            // The time limit counts from the start of the run, not from arrival (protocol doc).
            a.setTimeLimit(scheduler.schedule(() -> finish(a, timeLimitExceeded(r)), r.timeLimitMs(),
                    TimeUnit.MILLISECONDS));
            actions.start(a, outcome -> finish(a, outcome));
        } catch (RejectedExecutionException e) {
            // Only when closing: the executors are gone and so is everything still running.
            if (!closed.get()) {
                LOG.log(Level.ERROR, () -> invokerId + " could not start activation " + r.activationId(), e);
            }
        }
    }

    private Outcome timeLimitExceeded(RunRequest r) {
        return Outcome.error(ActivationStatus.DEVELOPER_ERROR,
                "The action exceeded its time limits of " + r.timeLimitMs() + " milliseconds.",
                actions.logLine("time limit of " + r.timeLimitMs() + " ms exceeded"));
    }

    private void finish(Activation a, Outcome outcome) {
        if (!a.end()) {
            return;
        }
        List<Activation> started;
        try {
            long endMs = clockMs.getAsLong();
            started = pool.release(a);
            publisher.publish(Completion.of(invokerId, a, outcome, endMs));
        } catch (RuntimeException e) {
            // A scheduled task's exception would vanish into its Future; say it here, with who and what.
            LOG.log(Level.ERROR, () -> invokerId + " failed to finish activation " + a.id(), e);
            return;
        }
        for (Activation next : started) {
            launch(next);
        }
    }

    /** Stops all timers and work; running and queued activations are abandoned without completions. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            pool.drainQueue();
            scheduler.shutdownNow();
            cpuPool.shutdownNow();
            publisher.close();
        }
    }
}
