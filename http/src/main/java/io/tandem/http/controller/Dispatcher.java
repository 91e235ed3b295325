package io.tandem.http.controller;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.tandem.core.invoker.Invoker;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.concurrent.Executor;

/**
 * Sends run requests to the invokers ({@code POST {url}/v1/run}, docs/invoker-protocol.md) and reports every one
 * that was not acknowledged with 202.
 *
 * <p><b>Why it looks like this.</b> The invoker acknowledges at once and posts the completion later, so a dispatch
 * holds a connection only for the acknowledgement. Each invoker has a <em>lane</em>: at most {@code connections}
 * requests on the wire (so at most that many pooled HTTP/1.1 connections), the rest in a FIFO queue of at most
 * {@code queueLimit}; beyond that the activation is refused at once (reported as a dispatch failure, which ends it
 * as a system error). Requests go out with the asynchronous {@link HttpClient}; no thread waits for an answer.
 *
 * <p>Thread-safe. {@link #dispatch} never blocks: it takes the lane's short lock and hands the request to the
 * client. The failure callback runs on the client's executor (or on the caller's thread when the lane is full).
 */
final class Dispatcher {
    /** Told about an activation its invoker did not acknowledge. */
    @FunctionalInterface
    interface FailureHandler {
        void dispatchFailed(String activationId, String reason);
    }

    private static final Duration ACK_TIMEOUT = Duration.ofSeconds(10);
    private static final int SEND = 1;
    private static final int QUEUED = 0;
    private static final int FULL = -1;

    private record Job(String activationId, byte[] body) {
    }

    /** One invoker's dispatch lane. Guarded by its own monitor. */
    private final class Lane {
        final Invoker invoker;
        final URI runUri;
        final ArrayDeque<Job> queue = new ArrayDeque<>();
        int onWire;

        Lane(Invoker invoker) {
            this.invoker = invoker;
            this.runUri = URI.create(invoker.url() + "/v1/run");
        }

        /** {@link #SEND} when the job may go on the wire now, {@link #QUEUED}, or {@link #FULL}. */
        synchronized int admit(Job job) {
            if (onWire < connections) {
                onWire++;
                return SEND;
            }
            if (queue.size() < queueLimit) {
                queue.addLast(job);
                return QUEUED;
            }
            return FULL;
        }

        /** The next queued job, taking over the finished one's slot; null (and one slot fewer) when none waits. */
        synchronized Job next() {
            Job j = queue.pollFirst();
            if (j == null) {
                onWire--;
            }
            return j;
        }

        synchronized int queued() {
            return queue.size();
        }

        synchronized int onWire() {
            return onWire;
        }
    }

    private final HttpClient client;
    private final Executor executor;
    private final Lane[] lanes;
    private final int connections;
    private final int queueLimit;
    private final String authorization;
    private final FailureHandler onFailure;

    /**
     * @param invokers   in the pool's order (sorted by id), so that a ticket's invoker index names the lane
     * @param token      sent as {@code Authorization: Bearer <token>}; null sends none
     */
    Dispatcher(HttpClient client, Executor executor, List<Invoker> invokers, int connections, int queueLimit,
               String token, FailureHandler onFailure) {
        this.client = client;
        this.executor = executor;
        this.connections = connections;
        this.queueLimit = queueLimit;
        this.authorization = token == null ? null : "Bearer " + token;
        this.onFailure = onFailure;
        this.lanes = new Lane[invokers.size()];
        for (int i = 0; i < lanes.length; i++) {
            lanes[i] = new Lane(invokers.get(i));
        }
    }

    /** Sends (or queues) the run request {@code body} of {@code activationId} to invoker {@code index}. */
    void dispatch(int index, String activationId, byte[] body) {
        Lane lane = lanes[index];
        Job job = new Job(activationId, body);
        int verdict = lane.admit(job);
        if (verdict == FULL) {
            onFailure.dispatchFailed(activationId, "the dispatch queue of invoker " + lane.invoker.id() + " is full ("
                    + queueLimit + " waiting)");
        } else if (verdict == SEND) {
            send(lane, job);
        }
    }

    private void send(Lane lane, Job job) {
        HttpRequest.Builder b = HttpRequest.newBuilder(lane.runUri)
                .timeout(ACK_TIMEOUT)
                .header("Content-Type", Replies.JSON)
                .POST(HttpRequest.BodyPublishers.ofByteArray(job.body()));
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString())
                    .whenCompleteAsync((resp, err) -> {
                        try {
                            if (err != null) {
                                onFailure.dispatchFailed(job.activationId(), "invoker " + lane.invoker.id()
                                        + " could not be reached: " + describe(err));
                            } else if (resp.statusCode() != 202) {
                                onFailure.dispatchFailed(job.activationId(), "invoker " + lane.invoker.id()
                                        + " answered " + resp.statusCode() + errorOf(resp.body()));
                            }
                        } finally {
                            Job next = lane.next();
                            if (next != null) {
                                send(lane, next);
                            }
                        }
                    }, executor);
        } catch (RuntimeException e) {
            // The client refuses work once closed; the slot must still move on, or the lane stalls.
            try {
                onFailure.dispatchFailed(job.activationId(), "invoker " + lane.invoker.id()
                        + " could not be sent to: " + e);
            } finally {
                Job next = lane.next();
                if (next != null) {
                    executor.execute(() -> send(lane, next));
                }
            }
        }
    }

    /** Requests on the wire to invoker {@code index}. */
    int onWire(int index) {
        return lanes[index].onWire();
    }

    /** Requests waiting for a connection to invoker {@code index}. */
    int queued(int index) {
        return lanes[index].queued();
    }

    private static String errorOf(String body) {
        try {
            JsonElement e = JsonParser.parseString(body);
            if (e.isJsonObject() && e.getAsJsonObject().has("error")) {
                return ": " + e.getAsJsonObject().get("error").getAsString();
            }
        } catch (RuntimeException ignored) {
            // not JSON: the status says enough
        }
        return "";
    }

    static String describe(Throwable err) {
        Throwable t = err;
        while (t.getCause() != null && !(t instanceof IOException)) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }
}
