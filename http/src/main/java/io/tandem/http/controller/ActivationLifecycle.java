package io.tandem.http.controller;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tandem.core.Clock;
import io.tandem.core.activation.ActivationTable;
import io.tandem.core.activation.StallGuard;
import io.tandem.core.admission.Balancer;
import io.tandem.core.admission.Ticket;
import io.tandem.core.invoker.InvokerPool;
import java.lang.System.Logger.Level;
import java.util.List;

/**
 * Every way an activation in flight can end, and what ending means: release its counts, store its record, answer
 * the blocked caller, tell the invoker pool how the invoker did.
 *
 * <p><b>Exactly once.</b> An activation ends by its completion, by a refused dispatch, by its forced completion, by
 * its invoker going offline, or by the drain time running out on shutdown. Each path first takes the entry out of
 * the {@link ActivationTable}, which hands an entry to one caller only; only that caller goes on to
 * {@link Balancer#release}, so the counts are released exactly once and a late or duplicate ending changes nothing
 * (it is counted and answered 404 when it is a completion).
 *
 * <p>Thread-safe: the table and the balancer are; the rest is per-activation work done by the thread that ended it
 * (an API IO or worker thread for completions, the HTTP client's executor for dispatch failures, the ticker for
 * forced completions and offline invokers, the shutdown thread for the drain).
 */
final class ActivationLifecycle {
    private static final System.Logger LOG = System.getLogger(ActivationLifecycle.class.getName());

    private final String controllerId;
    private final ActivationTable<Flight> table = new ActivationTable<>();
    private final Balancer balancer;
    private final InvokerPool pool;
    private final ActivationStore store;
    private final ControllerMetrics metrics;
    private final Clock clock;
    private final long graceMs;
    /**
     * The ticker passes every 100 ms; a gap over 2 s means this process was stalled, and forced completions then
     * wait 2 s for the completions that arrived meanwhile (ticker thread only).
     */
    private final StallGuard stall = new StallGuard(2_000, 2_000);
    private final Object drained = new Object();

    ActivationLifecycle(String controllerId, Balancer balancer, ActivationStore store, ControllerMetrics metrics,
                        Clock clock, long graceMs) {
        this.controllerId = controllerId;
        this.balancer = balancer;
        this.pool = balancer.pool();
        this.store = store;
        this.metrics = metrics;
        this.clock = clock;
        this.graceMs = graceMs;
    }

    /** Puts an admitted activation in flight; its forced completion is due at time limit + grace. */
    void begin(String activationId, Ticket ticket, Flight f) {
        long deadline = f.admittedMs() + f.spec().timeLimitMs() + graceMs;
        table.add(new ActivationTable.Entry<>(activationId, ticket, f.path(), f.admittedMs(), deadline, f));
    }

    /**
     * The invoker's completion. Returns false (and changes nothing) when the activation is unknown or already ended.
     */
    boolean complete(String activationId, ResponseStatus status, JsonElement result, long startMs, long endMs,
                     JsonArray logs) {
        ActivationTable.Entry<Flight> e = table.complete(activationId);
        if (e == null) {
            metrics.lateCompletion();
            LOG.log(Level.DEBUG, () -> controllerId + " event=completion-ignored activation=" + activationId
                    + " reason=unknown-or-already-ended");
            return false;
        }
        end(e, status, result, startMs, endMs, logs);
        pool.onActivationResult(e.ticket().invokerIndex(), status == ResponseStatus.SYSTEM_ERROR);
        LOG.log(Level.DEBUG, () -> controllerId + " event=completed activation=" + activationId + " request="
                + e.attachment().requestId() + " status=" + status.label() + " invoker=" + e.ticket().invokerId());
        return true;
    }

    /** The invoker did not acknowledge the run request: a system error at once. */
    void dispatchFailed(String activationId, String reason) {
        ActivationTable.Entry<Flight> e = table.complete(activationId);
        if (e == null) {
            return;
        }
        metrics.dispatchFailure();
        LOG.log(Level.WARNING, () -> controllerId + " event=dispatch-failed activation=" + activationId + " request="
                + e.attachment().requestId() + " invoker=" + e.ticket().invokerId() + " reason=\"" + reason + "\"");
        long now = clock.millis();
        end(e, ResponseStatus.SYSTEM_ERROR,
                ActivationRecord.error("The activation could not be dispatched to an invoker."), now, now, null);
        pool.onActivationResult(e.ticket().invokerIndex(), true);
    }

    /** Ticker thread: ends every activation whose forced completion is due. Returns how many. */
    int expire(long nowMs) {
        long stalledMs = stall.pass(nowMs);
        if (stalledMs > 0) {
            LOG.log(Level.WARNING, () -> controllerId + " event=stalled ms=" + stalledMs + " in-flight=" + table.size()
                    + " action=\"forced completions wait 2000 ms for completions that arrived meanwhile\"");
        }
        if (stall.holding(nowMs)) {
            return 0;
        }
        List<ActivationTable.Entry<Flight>> due = table.expire(nowMs);
        for (ActivationTable.Entry<Flight> e : due) {
            metrics.forcedCompletion();
            long after = e.deadlineMs() - e.startMs();
            LOG.log(Level.WARNING, () -> controllerId + " event=forced-completion activation=" + e.id() + " request="
                    + e.attachment().requestId() + " invoker=" + e.ticket().invokerId() + " afterMs=" + after);
            end(e, ResponseStatus.SYSTEM_ERROR, ActivationRecord.error(
                    "The activation did not complete in time (forced completion after " + after + " ms)."),
                    e.startMs(), nowMs, null);
            // Like OpenWhisk's "timeout" result: an invoker that keeps losing activations stops getting work.
            pool.onActivationResult(e.ticket().invokerIndex(), true);
        }
        return due.size();
    }

    /** Ends every activation on an invoker that went offline. Returns how many. */
    int invokerOffline(String invokerId) {
        List<ActivationTable.Entry<Flight>> lost = table.removeForInvoker(invokerId);
        long now = clock.millis();
        for (ActivationTable.Entry<Flight> e : lost) {
            metrics.offlineEnd();
            LOG.log(Level.WARNING, () -> controllerId + " event=invoker-offline-end activation=" + e.id()
                    + " request=" + e.attachment().requestId() + " invoker=" + invokerId);
            end(e, ResponseStatus.SYSTEM_ERROR,
                    ActivationRecord.error("The invoker running the activation went offline."), e.startMs(), now, null);
        }
        return lost.size();
    }

    /** Ends every activation still in flight (shutdown, after the drain time). Returns how many. */
    int endAll() {
        List<ActivationTable.Entry<Flight>> rest = table.removeAll();
        long now = clock.millis();
        for (ActivationTable.Entry<Flight> e : rest) {
            metrics.shutdownEnd();
            LOG.log(Level.WARNING, () -> controllerId + " event=shutdown-end activation=" + e.id() + " request="
                    + e.attachment().requestId() + " invoker=" + e.ticket().invokerId());
            end(e, ResponseStatus.SYSTEM_ERROR,
                    ActivationRecord.error("The controller shut down before the activation completed."),
                    e.startMs(), now, null);
        }
        return rest.size();
    }

    /** Waits until nothing is in flight or {@code timeoutMs} passed. Returns true when drained. */
    boolean awaitDrained(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000;
        synchronized (drained) {
            while (table.size() > 0) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (left <= 0) {
                    return false;
                }
                drained.wait(Math.min(left, 100));
            }
        }
        return true;
    }

    int inFlight() {
        return table.size();
    }

    /**
     * The one place counts are released. Only a caller that took {@code e} out of the table gets here, so this runs
     * once per activation.
     */
    private void end(ActivationTable.Entry<Flight> e, ResponseStatus status, JsonElement result, long startMs,
                     long endMs, JsonArray logs) {
        balancer.release(e.ticket());
        try {
            Flight f = e.attachment();
            JsonObject record = ActivationRecord.build(e.id(), f, e.ticket().invokerId(), status, result, startMs,
                    endMs, logs);
            store.put(e.id(), f.namespace(), record, clock.millis());
            metrics.ended(status);
            if (f.waiter() != null) {
                f.waiter().complete(record, status);
            }
        } catch (RuntimeException ex) {
            LOG.log(Level.ERROR, () -> controllerId + " event=end-failed activation=" + e.id() + " error=" + ex, ex);
        } finally {
            if (table.size() == 0) {
                synchronized (drained) {
                    drained.notifyAll();
                }
            }
        }
    }
}
