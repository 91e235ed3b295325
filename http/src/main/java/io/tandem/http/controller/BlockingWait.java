package io.tandem.http.controller;

import com.google.gson.JsonObject;
import io.undertow.server.HttpServerExchange;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A blocking invoke waiting for its activation, without a thread: the exchange stays open (dispatched) and is
 * answered exactly once, by whichever comes first — the activation's end ({@link #complete}: 200, 502 or 500 with
 * the record, or only its result) or the wait's timeout ({@link #timeout}: 202 with the activation id, the
 * activation goes on).
 *
 * <p>Thread-safe: {@link #complete} runs on whatever thread ended the activation, {@link #timeout} on the timer
 * thread; a compare-and-set decides which one answers, and the answer is written on the exchange's IO thread.
 */
final class BlockingWait {
    private final HttpServerExchange exchange;
    private final String controllerId;
    private final String activationId;
    private final boolean resultOnly;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile ScheduledFuture<?> timer;

    BlockingWait(HttpServerExchange exchange, String controllerId, String activationId, boolean resultOnly) {
        this.exchange = exchange;
        this.controllerId = controllerId;
        this.activationId = activationId;
        this.resultOnly = resultOnly;
    }

    /** Starts the timeout. Does nothing if the activation already ended. */
    void arm(ScheduledExecutorService timers, long timeoutMs) {
        if (answered.get()) {
            return;
        }
        try {
            timer = timers.schedule(this::timeout, timeoutMs, TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            timeout();
            return;
        }
        if (answered.get()) {
            timer.cancel(false);
        }
    }

    /** The activation ended with {@code record}. */
    void complete(JsonObject record, ResponseStatus status) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        ScheduledFuture<?> t = timer;
        if (t != null) {
            t.cancel(false);
        }
        String body = Replies.GSON.toJson(resultOnly ? record.getAsJsonObject("response").get("result") : record);
        Replies.later(exchange, controllerId, () -> {
            exchange.getResponseHeaders().put(Replies.ACTIVATION_ID, activationId);
            Replies.json(exchange, status.httpStatus(), body);
        });
    }

    /** The wait is over: 202 with the id; the activation continues. */
    void timeout() {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        Replies.later(exchange, controllerId, () -> {
            exchange.getResponseHeaders().put(Replies.ACTIVATION_ID, activationId);
            Replies.json(exchange, 202, ActivationRecord.accepted(activationId));
        });
    }

    boolean answered() {
        return answered.get();
    }
}
