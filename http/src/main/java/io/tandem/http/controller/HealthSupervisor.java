package io.tandem.http.controller;

import io.tandem.core.Clock;
import io.tandem.core.invoker.InvokerPool;
import io.tandem.core.invoker.InvokerState;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.function.Consumer;

/**
 * Pings every invoker's {@code GET /v1/health} once per interval and feeds the answers into the
 * {@link InvokerPool}: a 200 is a good check, anything else (status, refused connection, timeout) a failed one, and
 * an invoker without a good check for {@code INVOKER_OFFLINE_AFTER} is offline. When an invoker goes offline, every
 * activation on it ends at once as a system error (the {@code onOffline} callback).
 *
 * <p>At most one check per invoker is outstanding: a round skips an invoker whose previous check has not answered
 * yet (its timeout is shorter than the offline time, so it will answer or fail).
 *
 * <p>Thread-safe: {@link #round()} runs on the ticker thread, answers arrive on the HTTP client's executor; every
 * change to the pool's health goes through this object's monitor, so that "was it online before?" and the change
 * are one step and a transition to offline is reported once.
 */
final class HealthSupervisor {
    private static final System.Logger LOG = System.getLogger(HealthSupervisor.class.getName());

    private final String controllerId;
    private final InvokerPool pool;
    private final HttpClient client;
    private final Executor executor;
    private final Clock clock;
    private final Duration timeout;
    private final String authorization;
    private final Consumer<String> onOffline;
    private final URI[] healthUris;
    private final boolean[] checking;
    /** Invokers that went offline in the previous round: swept once more, for activations booked in the race. */
    private final boolean[] sweepAgain;

    HealthSupervisor(String controllerId, InvokerPool pool, HttpClient client, Executor executor, Clock clock,
                     Duration interval, String token, Consumer<String> onOffline) {
        this.controllerId = controllerId;
        this.pool = pool;
        this.client = client;
        this.executor = executor;
        this.clock = clock;
        // Long enough for a busy invoker (or a cold JVM) to answer; a slow check is not repeated while outstanding.
        this.timeout = Duration.ofMillis(Math.min(5_000, Math.max(1_000, interval.toMillis())));
        this.authorization = token == null ? null : "Bearer " + token;
        this.onOffline = onOffline;
        int n = pool.size();
        this.healthUris = new URI[n];
        for (int i = 0; i < n; i++) {
            healthUris[i] = URI.create(pool.get(i).url() + "/v1/health");
        }
        this.checking = new boolean[n];
        this.sweepAgain = new boolean[n];
    }

    /** One round: mark overdue invokers offline, sweep those once more, send the checks. */
    void round() {
        boolean[] sweep = new boolean[pool.size()];
        synchronized (this) {
            for (int i = 0; i < pool.size(); i++) {
                if (sweepAgain[i]) {
                    sweepAgain[i] = false;
                    sweep[i] = pool.state(i) == InvokerState.OFFLINE;
                }
            }
            for (int i : pool.tick(clock.millis())) {
                wentOffline(i);
                sweep[i] = true;
            }
        }
        for (int i = 0; i < sweep.length; i++) {
            if (sweep[i]) {
                onOffline.accept(pool.get(i).id());
            }
        }
        for (int i = 0; i < pool.size(); i++) {
            check(i);
        }
    }

    private void check(int i) {
        synchronized (this) {
            if (checking[i]) {
                return;
            }
            checking[i] = true;
        }
        HttpRequest.Builder b = HttpRequest.newBuilder(healthUris[i]).timeout(timeout).GET();
        if (authorization != null) {
            b.header("Authorization", authorization);
        }
        try {
            client.sendAsync(b.build(), HttpResponse.BodyHandlers.discarding())
                    .whenCompleteAsync((resp, err) -> answered(i, err == null && resp.statusCode() == 200,
                            err != null ? Dispatcher.describe(err) : "status " + resp.statusCode()), executor);
        } catch (RuntimeException e) {
            answered(i, false, e.toString());
        }
    }

    private void answered(int i, boolean ok, String why) {
        boolean offlineNow = false;
        synchronized (this) {
            checking[i] = false;
            InvokerState before = pool.state(i);
            if (ok) {
                if (pool.onCheckOk(i, clock.millis()) == InvokerState.OFFLINE) {
                    LOG.log(Level.INFO, () -> controllerId + " event=invoker-online invoker=" + pool.get(i).id());
                }
            } else {
                pool.onCheckFailed(i, clock.millis());
                if (before != InvokerState.OFFLINE && pool.state(i) == InvokerState.OFFLINE) {
                    offlineNow = true;
                    wentOffline(i);
                } else if (before != InvokerState.OFFLINE) {
                    LOG.log(Level.DEBUG, () -> controllerId + " event=health-check-failed invoker="
                            + pool.get(i).id() + " reason=\"" + why + "\"");
                }
            }
        }
        if (offlineNow) {
            onOffline.accept(pool.get(i).id());
        }
    }

    /** Called under the monitor when invoker {@code i} just went offline; the caller sweeps it. */
    private void wentOffline(int i) {
        sweepAgain[i] = true;
        LOG.log(Level.WARNING, () -> controllerId + " event=invoker-offline invoker=" + pool.get(i).id()
                + " reason=\"no good health check for the offline timeout\"");
    }
}
