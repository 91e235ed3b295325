package io.tandem.http.controller;

import io.tandem.core.Clock;
import io.tandem.core.TandemException;
import io.tandem.core.admission.Balancer;
import io.tandem.core.admission.HeadroomPacer;
import io.tandem.core.admission.SharePolicy;
import io.tandem.core.cluster.Replicator;
import io.tandem.core.invoker.InvokerPool;
import io.tandem.core.ledger.Ledger;
import io.undertow.Handlers;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import io.undertow.server.handlers.GracefulShutdownHandler;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One controller: the OpenWhisk API and the admin endpoints over the core's admission, invoker pool and
 * activation table, with the invoker supervision and the timers that keep them honest.
 *
 * <p><b>What runs where.</b>
 * <ul>
 *   <li>Undertow IO threads ({@code IO_THREADS}) take API requests: routing, authentication, admission (a short
 *   ledger lock), dispatch hand-off, completions. They never block. Workers ({@code WORKER_THREADS}) parse large
 *   bodies. The admin server has its own small Undertow (1 IO thread, 2 workers).</li>
 *   <li>The HTTP client ({@link HttpClient}, HTTP/1.1) and its executor (2 threads) carry run requests, health
 *   checks and forwarded GETs; answers are handled on that executor.</li>
 *   <li>One ticker thread runs the forced-completion check every 100 ms ({@code ActivationTable.expire}), the
 *   health rounds every {@code INVOKER_HEALTH_INTERVAL}, a housekeeping pass every second (expired activation
 *   records, old per-minute ledger keys) and the blocking waits' timeouts.</li>
 *   <li>{@link #shutdown()} runs on the caller's thread (the JVM shutdown hook) and may block there.</li>
 * </ul>
 * The invoke path reads local memory only; the replicator is asked only whether it is ready, who the members are
 * (to forward a GET) and, for the admin port, to describe itself.
 *
 * <p><b>Readiness and admission.</b> The controller admits once the replicator is ready and the first round of
 * health checks is done, and stops admitting on shutdown after {@code DEREGISTRATION_DELAY} or at once on
 * {@link #fatal}. It is <em>ready</em> (for {@code /ready}) when it admits and is not draining.
 *
 * <p><b>Wiring</b> (what a launcher does):
 * <pre>{@code
 * ControllerSettings s = ControllerSettings.from(Env.system());
 * ControllerLogging.install(s.controllerId());
 * Ledger ledger = new Ledger(Incarnation.next(s.controllerId(), System.currentTimeMillis(), new SecureRandom()));
 * Replicator replicator = ...;   // transport: JGroups, or local with CLUSTERING=off
 * replicator.start();
 * SharePolicy policy = s.clustering() ? SharePolicy.clustered(replicator::viewSize, replicator::rank, s.controllerCount())
 *                                     : SharePolicy.local(s.controllerCount());
 * Controller c = Controller.start(s, ledger, replicator, policy, Clock.system());
 * Runtime.getRuntime().addShutdownHook(new Thread(c::shutdown, "tandem-shutdown"));
 * }</pre>
 *
 * <p>Thread-safe.
 */
public final class Controller implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(Controller.class.getName());
    private static final long FORCED_COMPLETION_TICK_MS = 100;
    private static final long HOUSEKEEPING_MS = 1_000;

    private final ControllerSettings settings;
    private final Ledger ledger;
    private final Replicator replicator;
    private final SharePolicy policy;
    private final Clock clock;
    private final InvokerPool pool;
    private final Balancer balancer;
    private final ControllerMetrics metrics = new ControllerMetrics();
    private final ActivationStore store;
    private final ActivationLifecycle lifecycle;
    private final ExecutorService httpExecutor;
    private final HttpClient client;
    private final Dispatcher dispatcher;
    private final HealthSupervisor health;
    private final ScheduledThreadPoolExecutor ticker;
    private final CountDownLatch closing = new CountDownLatch(1);
    private final AtomicBoolean shutdownStarted = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile boolean draining;
    private volatile boolean admissionsStopped;
    private volatile String fatal;
    private volatile Undertow apiServer;
    private volatile Undertow adminServer;
    private volatile GracefulShutdownHandler apiGate;
    private volatile int apiPort;
    private volatile int adminPort;

    private Controller(ControllerSettings s, Ledger ledger, Replicator replicator, SharePolicy policy, Clock clock) {
        this.settings = s;
        this.ledger = ledger;
        this.replicator = replicator;
        this.policy = policy;
        this.clock = clock;
        this.pool = new InvokerPool(s.invokers(), s.invokerOfflineAfter().toMillis());
        // The balancer draws from its random only under the ledger's monitor, so an unsynchronized one is fine.
        this.balancer = new Balancer(ledger, pool, s.limits(), policy, clock, new SplittableRandom(),
                new HeadroomPacer(s.admissionPaceWindow().toMillis()));
        this.store = new ActivationStore(s.activationStoreSize(), s.activationStoreBytes(),
                s.activationStoreTtl().toMillis());
        this.lifecycle = new ActivationLifecycle(s.controllerId(), balancer, store, metrics, clock,
                s.forcedCompletionGrace().toMillis());
        this.httpExecutor = Executors.newFixedThreadPool(2, threads(s.controllerId(), "http"));
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(2))
                .executor(httpExecutor)
                .build();
        this.dispatcher = new Dispatcher(client, httpExecutor, pool.invokers(), s.invokerConnections(),
                s.invokerDispatchQueue(), s.invokerToken(), lifecycle::dispatchFailed);
        this.health = new HealthSupervisor(s.controllerId(), pool, client, httpExecutor, clock,
                s.invokerHealthInterval(), s.invokerToken(), id -> lifecycle.invokerOffline(id));
        this.ticker = new ScheduledThreadPoolExecutor(1, threads(s.controllerId(), "ticker"));
        this.ticker.setRemoveOnCancelPolicy(true);
    }

    /**
     * Builds the controller and starts its servers and timers. The replicator is the caller's to start (before
     * or after this call: the controller admits nothing until {@link Replicator#ready()}); the controller closes it
     * on {@link #shutdown()} and {@link #close()}.
     *
     * @throws TandemException when a port cannot be bound (everything started so far is stopped again, and the
     *                         replicator is closed)
     */
    public static Controller start(ControllerSettings s, Ledger ledger, Replicator replicator, SharePolicy policy,
                                   Clock clock) {
        Controller c = new Controller(s, ledger, replicator, policy, clock);
        try {
            c.startServers();
        } catch (RuntimeException e) {
            c.close();
            throw new TandemException(s.controllerId() + " could not start its HTTP servers on " + s.bindAddr()
                    + " (API_PORT=" + s.apiPort() + ", ADMIN_PORT=" + s.adminPort() + "): " + e.getMessage(), e);
        }
        c.startTimers();
        LOG.log(Level.INFO, () -> s.controllerId() + " event=started incarnation=" + ledger.self() + " api="
                + s.bindAddr() + ":" + c.apiPort + " admin=" + s.bindAddr() + ":" + c.adminPort + " invokers="
                + s.invokers().size() + " actions=" + s.catalog().entries().size() + " clustering=" + s.clustering());
        return c;
    }

    private void startServers() {
        ApiHandler api = new ApiHandler(this, settings, balancer, lifecycle, dispatcher, store, metrics, replicator,
                client, ticker, clock);
        apiGate = Handlers.gracefulShutdown(api);
        apiServer = Undertow.builder()
                .addHttpListener(settings.apiPort(), settings.bindAddr())
                .setIoThreads(settings.ioThreads())
                .setWorkerThreads(settings.workerThreads())
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, settings.maxHeaderBytes())
                .setHandler(apiGate)
                .build();
        apiServer.start();
        apiPort = ((InetSocketAddress) apiServer.getListenerInfo().get(0).getAddress()).getPort();
        api.callbackUrl(settings.callbackUrl(apiPort));
        adminServer = Undertow.builder()
                .addHttpListener(settings.adminPort(), settings.bindAddr())
                .setIoThreads(1)
                .setWorkerThreads(2)
                .setServerOption(UndertowOptions.MAX_HEADER_SIZE, settings.maxHeaderBytes())
                .setHandler(new AdminHandler(this))
                .build();
        adminServer.start();
        adminPort = ((InetSocketAddress) adminServer.getListenerInfo().get(0).getAddress()).getPort();
    }

    private void startTimers() {
        ticker.scheduleAtFixedRate(safely("health round", health::round), 0,
                settings.invokerHealthInterval().toMillis(), TimeUnit.MILLISECONDS);
        ticker.scheduleAtFixedRate(safely("forced completions", () -> lifecycle.expire(clock.millis())),
                FORCED_COMPLETION_TICK_MS, FORCED_COMPLETION_TICK_MS, TimeUnit.MILLISECONDS);
        ticker.scheduleAtFixedRate(safely("housekeeping", this::housekeeping), HOUSEKEEPING_MS, HOUSEKEEPING_MS,
                TimeUnit.MILLISECONDS);
    }

    private static final int MINUTE_KEYS_PER_PASS = 10_000;

    private void housekeeping() {
        long now = clock.millis();
        store.expire(now);
        // Spread over passes (at most MINUTE_KEYS_PER_PASS a second) so that 100,000 namespaces neither hold the
        // ledger lock for long nor make one delta larger than the channel accepts.
        ledger.expireMinuteWindows(Math.floorDiv(now, 60_000L), MINUTE_KEYS_PER_PASS);
    }

    /** A periodic task that logs its failure instead of being cancelled by it. */
    private Runnable safely(String what, Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException e) {
                LOG.log(Level.ERROR, () -> settings.controllerId() + " event=task-failed task=\"" + what + "\" error="
                        + e, e);
            }
        };
    }

    /** The bound API port (useful with {@code API_PORT=0}). */
    public int apiPort() {
        return apiPort;
    }

    /** The bound admin port (useful with {@code ADMIN_PORT=0}). */
    public int adminPort() {
        return adminPort;
    }

    /** Ready for traffic: the state is installed, the first health round is done, not draining, no fatal alarm. */
    public boolean ready() {
        return whyNotReady() == null;
    }

    /** Null when ready; otherwise which condition is missing. */
    public String whyNotReady() {
        String why = whyNotAdmitting();
        if (why != null) {
            return why;
        }
        return draining ? "draining: the controller is shutting down" : null;
    }

    /** Null when invokes may be admitted; otherwise why not. Admission goes on while draining, until it stops. */
    String whyNotAdmitting() {
        String f = fatal;
        if (f != null) {
            return "stopped by a fatal alarm: " + f;
        }
        if (admissionsStopped || closed.get()) {
            return "shutting down: admissions have stopped";
        }
        if (!replicator.ready()) {
            return "the cluster state is not installed yet";
        }
        if (!pool.firstRoundDone()) {
            return "the first round of invoker health checks is not done";
        }
        return null;
    }

    /**
     * Stops admitting at once and raises an alarm (e.g. the transport found a newer live process with this
     * controller id). The caller decides to exit; {@link #shutdown()} still drains what is in flight.
     */
    public void fatal(String reason) {
        fatal = reason;
        LOG.log(Level.ERROR, () -> settings.controllerId() + " event=fatal reason=\"" + reason + "\"");
    }

    /**
     * Graceful leave (DESIGN.md "SIGTERM"): {@code /ready} answers 503 at once; invokes are still admitted for
     * {@code DEREGISTRATION_DELAY}, then answered 503; in-flight activations get up to {@code DRAIN_TIMEOUT} to
     * complete, the rest end as system errors and are released; then the replicator leaves the cluster and the
     * servers stop. Blocks until done; a second call returns at once. Meant for the JVM shutdown hook:
     * {@code Runtime.getRuntime().addShutdownHook(new Thread(controller::shutdown, "tandem-shutdown"))}.
     */
    public void shutdown() {
        if (!shutdownStarted.compareAndSet(false, true) || closed.get()) {
            return;
        }
        String id = settings.controllerId();
        draining = true;
        LOG.log(Level.INFO, () -> id + " event=shutdown-started deregistrationDelayMs="
                + settings.deregistrationDelay().toMillis() + " inFlight=" + lifecycle.inFlight());
        try {
            closing.await(settings.deregistrationDelay().toMillis(), TimeUnit.MILLISECONDS);
            admissionsStopped = true;
            LOG.log(Level.INFO, () -> id + " event=admissions-stopped inFlight=" + lifecycle.inFlight()
                    + " drainTimeoutMs=" + settings.drainTimeout().toMillis());
            if (!lifecycle.awaitDrained(settings.drainTimeout().toMillis())) {
                int n = lifecycle.endAll();
                LOG.log(Level.WARNING, () -> id + " event=drain-timeout ended=" + n);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admissionsStopped = true;
            lifecycle.endAll();
        }
        closeReplicator();
        if (apiGate != null) {
            // Let the answers to blocked callers, just written, leave before the sockets close.
            apiGate.shutdown();
            try {
                apiGate.awaitShutdown(2_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        stopEverything();
        LOG.log(Level.INFO, () -> id + " event=shutdown-done");
    }

    /** Immediate stop (tests, failed start): ends what is in flight, leaves the cluster, stops the servers. */
    @Override
    public void close() {
        if (closed.get()) {
            return;
        }
        admissionsStopped = true;
        draining = true;
        closing.countDown();
        lifecycle.endAll();
        closeReplicator();
        stopEverything();
    }

    private void closeReplicator() {
        try {
            replicator.close();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, () -> settings.controllerId() + " event=replicator-close-failed error=" + e, e);
        }
    }

    private void stopEverything() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        ticker.shutdownNow();
        for (Undertow u : new Undertow[] {apiServer, adminServer}) {
            if (u != null) {
                try {
                    u.stop();
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, () -> settings.controllerId() + " event=server-stop-failed error=" + e);
                }
            }
        }
        httpExecutor.shutdownNow();
    }

    // ------------------------------------------------------------------------ for the admin endpoints and tests

    ControllerSettings settings() {
        return settings;
    }

    Ledger ledger() {
        return ledger;
    }

    Replicator replicator() {
        return replicator;
    }

    SharePolicy policy() {
        return policy;
    }

    InvokerPool pool() {
        return pool;
    }

    Balancer balancer() {
        return balancer;
    }

    ControllerMetrics metrics() {
        return metrics;
    }

    ActivationLifecycle lifecycle() {
        return lifecycle;
    }

    ActivationStore store() {
        return store;
    }

    Dispatcher dispatcher() {
        return dispatcher;
    }

    boolean draining() {
        return draining;
    }

    private static ThreadFactory threads(String controllerId, String pool) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "tandem-" + controllerId + "-" + pool + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
