package io.tandem.http;

import io.tandem.core.Clock;
import io.tandem.core.admission.SharePolicy;
import io.tandem.core.cluster.Replicator;
import io.tandem.core.config.CommonSettings;
import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.tandem.core.config.Setting;
import io.tandem.core.config.SettingsCatalog;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import io.tandem.http.controller.Controller;
import io.tandem.http.controller.ControllerLogging;
import io.tandem.http.controller.ControllerSettings;
import io.tandem.http.invoker.InvokerSettings;
import io.tandem.http.invoker.ReferenceInvoker;
import io.tandem.transport.JGroupsReplicator;
import io.tandem.transport.LocalReplicator;
import io.tandem.transport.TransportSettings;
import java.security.SecureRandom;
import java.util.concurrent.CountDownLatch;

/**
 * The one launcher for both roles. Configuration comes from environment variables only; a bad value stops the
 * process at start with a message naming the variable and the value (exit code 2).
 *
 * <pre>
 *   ROLE=controller java -jar tandem.jar      a controller (the default role)
 *   ROLE=invoker    java -jar tandem.jar      a reference invoker
 *   java -jar tandem.jar settings [--markdown]  every variable the launcher reads, with default and doc
 * </pre>
 */
public final class Main {
    private static final java.util.concurrent.atomic.AtomicReference<Controller> CONTROLLER =
            new java.util.concurrent.atomic.AtomicReference<>();

    private Main() {
    }

    public static void main(String[] args) {
        // On a machine with 2 cores or fewer the common pool has parallelism 1, and CompletableFuture then starts a
        // new thread for every async completion: java.net.http's sendAsync (dispatch, health checks, forwarding)
        // would create and discard a thread per response. A common pool of 4 avoids that. Must run before anything
        // touches ForkJoinPool; an explicit -D setting wins.
        if (System.getProperty("java.util.concurrent.ForkJoinPool.common.parallelism") == null) {
            System.setProperty("java.util.concurrent.ForkJoinPool.common.parallelism", "4");
        }
        // java.util.logging resets its handlers in its own shutdown hook, which races our graceful leave on SIGTERM:
        // the last lines (drain, leave, exit) were lost. This manager keeps the handlers until the process ends.
        if (System.getProperty("java.util.logging.manager") == null) {
            System.setProperty("java.util.logging.manager", KeepHandlersLogManager.class.getName());
        }
        if (args.length > 0 && args[0].equals("settings")) {
            printSettings(args.length > 1 && args[1].equals("--markdown"));
            return;
        }
        if (args.length > 0) {
            System.err.println("usage: java -jar tandem.jar [settings [--markdown]]  (configure with environment variables)");
            System.exit(2);
        }
        Env env = Env.system();
        try {
            loadAllSettings();
            SettingsCatalog.rejectMisspellings(System.getenv());
            String role = env.string(CommonSettings.ROLE);
            switch (role) {
                case "controller" -> runController(env);
                case "invoker" -> runInvoker(env);
                default -> throw new ConfigException(CommonSettings.ROLE.name(), role, "must be controller or invoker");
            }
        } catch (ConfigException e) {
            System.err.println("tandem: bad configuration: " + e.getMessage());
            System.exit(2);
        } catch (Exception e) {
            System.err.println("tandem: failed to start: " + e);
            e.printStackTrace();
            System.exit(1);
        }
    }

    /** Loads every settings class so that the catalog is complete. */
    static void loadAllSettings() {
        for (Class<?> c : new Class<?>[] {CommonSettings.class, ControllerSettings.class, TransportSettings.class,
                InvokerSettings.class}) {
            try {
                Class.forName(c.getName(), true, Main.class.getClassLoader());
            } catch (ClassNotFoundException e) {
                throw new IllegalStateException(e);
            }
        }
    }

    private static void printSettings(boolean markdown) {
        loadAllSettings();
        if (markdown) {
            System.out.println("| variable | default | meaning |");
            System.out.println("|---|---|---|");
        }
        for (Setting s : SettingsCatalog.all()) {
            String def = s.defaultValue() == null ? "" : s.defaultValue();
            if (markdown) {
                System.out.println("| `" + s.name() + "` | " + (def.isEmpty() ? "—" : "`" + def + "`") + " | "
                        + s.doc().replace("|", "\\|") + " |");
            } else {
                System.out.println(s.name() + "\t" + def + "\t" + s.doc());
            }
        }
    }

    private static void runInvoker(Env env) throws InterruptedException {
        InvokerSettings settings = InvokerSettings.from(env);
        ControllerLogging.install(settings.invokerId());
        ReferenceInvoker invoker = ReferenceInvoker.start(settings);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            invoker.close();
            stopped.countDown();
        }, "invoker-shutdown"));
        stopped.await();
    }

    private static void runController(Env env) throws Exception {
        String id = CommonSettings.controllerId(env);
        int count = CommonSettings.controllerCount(env);
        boolean clustering = CommonSettings.clustering(env);
        ControllerSettings settings = ControllerSettings.from(env);
        ControllerLogging.install(id);
        TransportSettings transport = clustering ? TransportSettings.from(env) : null;
        String advertise = CommonSettings.advertiseAddr(env);

        Incarnation self = Incarnation.next(id, System.currentTimeMillis(), new SecureRandom());
        Ledger ledger = new Ledger(self);
        Replicator replicator = clustering
                ? new JGroupsReplicator(ledger, transport, "http://" + advertise + ":" + settings.apiPort(),
                        "http://" + advertise + ":" + settings.adminPort(), Main::fatal)
                : new LocalReplicator(ledger, count, "http://" + advertise + ":" + settings.apiPort(),
                        "http://" + advertise + ":" + settings.adminPort());
        SharePolicy policy = clustering ? SharePolicy.clustered(replicator::viewSize, replicator::syncedMembers,
                replicator::rank, count) : SharePolicy.local(count);
        System.getLogger("tandem").log(System.Logger.Level.INFO, "{0} starting as incarnation {1}, clustering {2}, {3} controller(s) expected",
                id, self, clustering ? "on" : "off", count);
        replicator.start();
        Controller controller = Controller.start(settings, ledger, replicator, policy, Clock.system());
        CONTROLLER.set(controller);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controller.shutdown();
            stopped.countDown();
        }, "controller-shutdown"));
        stopped.await();
    }

    /** Two live processes share an id, or the channel is unusable: stop admitting and exit at once. */
    private static void fatal(String reason) {
        System.err.println("tandem: FATAL: " + reason);
        Controller c = CONTROLLER.get();
        if (c != null) {
            c.fatal(reason);
        }
        Thread t = new Thread(() -> Runtime.getRuntime().halt(3), "fatal-exit");
        t.start();
    }

    /** A LogManager whose reset() (called by the JDK's shutdown hook) leaves the handlers in place. */
    public static final class KeepHandlersLogManager extends java.util.logging.LogManager {
        @Override
        public void reset() {
            // Handlers flush on every record; there is nothing to lose by keeping them to the end.
        }
    }
}
