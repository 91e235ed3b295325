package io.tandem.http.invoker;

import io.tandem.core.TandemException;
import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.undertow.Undertow;
import io.undertow.UndertowOptions;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The reference invoker: an HTTP service that implements docs/invoker-protocol.md with built-in actions
 * ({@code echo}, {@code sleep}, {@code fail}, {@code error}, {@code cpu}), a memory capacity beyond which it queues,
 * and stats of what it really ran — the ground truth the tests and the load test measure overshoot against.
 *
 * <p>Threading model: Undertow with {@value #IO_THREADS} IO threads and {@value #WORKER_THREADS} worker threads,
 * two scheduler threads, {@code INVOKER_CPU_THREADS} cpu threads, {@value InvokerEngine#COMPLETION_SENDERS}
 * completion senders, and two threads plus a selector for their HTTP client. The count is fixed: it does not grow
 * with the number of activations in flight.
 *
 * <p>Thread-safe: {@link #port()} and {@link #close()} may be called from any thread; {@code close} is idempotent.
 *
 * <pre>{@code
 * try (ReferenceInvoker inv = ReferenceInvoker.start(InvokerSettings.from(Env.system()))) {
 *     int port = inv.port();
 *     ...
 * }
 * }</pre>
 */
public final class ReferenceInvoker implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger(ReferenceInvoker.class.getName());
    static final int IO_THREADS = 2;
    static final int WORKER_THREADS = 2;

    private final InvokerSettings settings;
    private final InvokerEngine engine;
    private final Undertow server;
    private final int port;
    private final AtomicBoolean closed = new AtomicBoolean();

    private ReferenceInvoker(InvokerSettings settings, InvokerEngine engine, Undertow server, int port) {
        this.settings = settings;
        this.engine = engine;
        this.server = server;
        this.port = port;
    }

    /**
     * Binds and starts the invoker; returns once it is listening.
     *
     * @throws TandemException when the address cannot be bound (the message names BIND_ADDR and INVOKER_PORT)
     */
    public static ReferenceInvoker start(InvokerSettings s) {
        InvokerEngine engine = new InvokerEngine(s, System::currentTimeMillis);
        Undertow server = Undertow.builder()
                .addHttpListener(s.port(), s.bindAddr())
                .setIoThreads(IO_THREADS)
                .setWorkerThreads(WORKER_THREADS)
                .setServerOption(UndertowOptions.MAX_ENTITY_SIZE, (long) InvokerHttpHandler.MAX_BODY_BYTES)
                .setHandler(new InvokerHttpHandler(engine, s.token()))
                .build();
        try {
            server.start();
        } catch (RuntimeException e) {
            engine.close();
            try {
                server.stop();
            } catch (RuntimeException ignored) {
                // Nothing more to release: it never started.
            }
            throw new TandemException(s.invokerId() + " cannot listen on BIND_ADDR=" + s.bindAddr()
                    + " INVOKER_PORT=" + s.port() + ": " + rootMessage(e), e);
        }
        int port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
        LOG.log(Level.INFO, () -> s.invokerId() + " listening on " + s.bindAddr() + ":" + port + " with " + s);
        return new ReferenceInvoker(s, engine, server, port);
    }

    /** The port actually bound (the configured one, or the ephemeral one the system chose for 0). */
    public int port() {
        return port;
    }

    public String invokerId() {
        return settings.invokerId();
    }

    public InvokerSettings settings() {
        return settings;
    }

    /** The engine behind the HTTP face, for tests in this package. */
    InvokerEngine engine() {
        return engine;
    }

    /**
     * Stops listening and stops all work. Running and queued activations are abandoned without completions: the
     * controllers' forced completions release their counts. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            server.stop();
        } finally {
            engine.close();
        }
        LOG.log(Level.INFO, () -> settings.invokerId() + " stopped");
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Runs a reference invoker configured from the environment until the process is stopped. */
    public static void main(String[] args) {
        ReferenceInvoker inv;
        try {
            inv = start(InvokerSettings.from(Env.system()));
        } catch (ConfigException e) {
            System.err.println("bad configuration: " + e.getMessage());
            System.exit(2);
            return;
        } catch (TandemException e) {
            System.err.println(e.getMessage());
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(inv::close, "invoker-shutdown"));
        // Undertow's IO threads are not daemons: they keep the process alive until the shutdown hook closes it.
        System.out.println(inv.invokerId() + " listening on " + inv.settings().bindAddr() + ":" + inv.port());
    }
}
