package io.tandem.it.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.it.harness.Cluster;
import io.tandem.it.harness.Http;
import io.tandem.it.harness.Wait;
import io.tandem.load.LoadTest;
import io.tandem.load.Options;
import io.tandem.load.Report;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The system benchmark (BENCHMARKS.md section 6). One after another in one run, each on fresh processes with the
 * same two reference invokers and the same load: (1) {@link BareProxy} in front of the invokers, the ceiling: the
 * invoker protocol and nothing else; (2) one controller; (3) three controllers with clustering on; (4) three with
 * clustering off. Each gets a closed loop ({@value #CLIENTS_DEFAULT} clients, blocking {@code echo}, for the
 * throughput) and then an open loop at a fixed rate (for the latency at equal load, and the generator's achieved
 * versus intended rate). Printed: throughput, latency, errors of every setup, the ratios, and where the CPU went
 * (per process, per core, per activation), so that a miss can be explained from measurements.
 *
 * <p>Placement: by default the load generator (this JVM) runs on core 0 and every process of the system under test
 * (proxy or controllers, and the invokers) on the other cores, with {@code taskset -a -p} after they started (so
 * their JVMs size themselves for the whole machine, as they would unpinned). {@code -Dtandem.systemBench.pin=false}
 * leaves every process on every core.
 *
 * <p>Not part of {@code mvn verify}: {@code mvn -B -pl it verify -Dit.test=SystemBenchIT -Dtandem.systemBench=true}
 * (about 3 minutes; the {@code system-bench} profile of it/pom.xml gives this JVM a common pool of 4, so that the
 * JDK HTTP client of the generator does not start a thread per response). Other properties:
 * {@code tandem.systemBench.clients}, {@code .duration}, {@code .warmup}, {@code .rate}, {@code .openDuration},
 * {@code .jfr=true} (a JFR recording of every system process during the closed loop's window, in
 * {@code it/target/system-bench/}; its overhead makes those figures unfit to quote).
 */
class SystemBenchIT {
    private static final int CLIENTS_DEFAULT = 32;
    private static final int CLIENTS = Integer.getInteger("tandem.systemBench.clients", CLIENTS_DEFAULT);
    private static final String WARMUP = System.getProperty("tandem.systemBench.warmup", "5s");
    private static final String DURATION = System.getProperty("tandem.systemBench.duration", "15s");
    private static final int RATE = Integer.getInteger("tandem.systemBench.rate", 300);
    private static final String OPEN_WARMUP = "2s";
    private static final String OPEN_DURATION = System.getProperty("tandem.systemBench.openDuration", "10s");
    private static final boolean PIN = Boolean.parseBoolean(System.getProperty("tandem.systemBench.pin", "true"));
    private static final boolean JFR = Boolean.getBoolean("tandem.systemBench.jfr");
    /** Which setups run (comma-separated names as in the table, e.g. {@code 3 clustered,3 unclustered}); all by default. */
    private static final String SETUPS = System.getProperty("tandem.systemBench.setups", "");
    /** CLUSTER_FLUSH_INTERVAL of the clustered controllers; the launcher's default when not given. */
    private static final String FLUSH_INTERVAL = System.getProperty("tandem.systemBench.flushInterval", "");
    /** CLUSTER_FLUSH_MAX_DELAY of the clustered controllers; the launcher's default when not given. */
    private static final String FLUSH_MAX_DELAY = System.getProperty("tandem.systemBench.flushMaxDelay", "");
    private static final int NAMESPACES = 10;
    private static final int INVOKER_MB = 1_048_576;
    /** The sampled window leaves this much out at each end of the measured window. */
    private static final long MARGIN_MS = 1_000;
    private static final Path OUT = Path.of("target", "system-bench");

    /** Where the CPU went between two snapshots. */
    private record Usage(double wallS, Map<String, Host.ProcTimes> procs, Host.ProcTimes generator,
                         List<Host.CoreTicks> cores) {
        double systemCpuS() {
            return procs.values().stream().mapToDouble(Host.ProcTimes::cpuSeconds).sum();
        }

        double cpuS(String prefix) {
            return procs.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                    .mapToDouble(e -> e.getValue().cpuSeconds()).sum();
        }

        /** CPU of the machine not used by the processes of this benchmark, in cores. */
        double notOursCores() {
            double busyS = cores.stream().mapToLong(Host.CoreTicks::busy).sum() / (double) Host.HZ;
            return Math.max(0, busyS - systemCpuS() - generator.cpuSeconds()) / wallS;
        }
    }

    private record Snapshot(long nanos, Map<String, Host.ProcTimes> procs, Host.ProcTimes generator,
                            List<Host.CoreTicks> cores) {
        static Snapshot take(Map<String, Long> pids) {
            Map<String, Host.ProcTimes> p = new LinkedHashMap<>();
            pids.forEach((name, pid) -> p.put(name, Host.times(pid)));
            return new Snapshot(System.nanoTime(), p, Host.times(ProcessHandle.current().pid()), Host.coreTicks());
        }

        Usage since(Snapshot a) {
            Map<String, Host.ProcTimes> d = new LinkedHashMap<>();
            procs.forEach((name, t) -> d.put(name, t.minus(a.procs.get(name))));
            List<Host.CoreTicks> c = new ArrayList<>();
            for (int i = 0; i < cores.size(); i++) {
                c.add(cores.get(i).minus(a.cores.get(i)));
            }
            return new Usage((nanos - a.nanos) / 1e9, d, generator.minus(a.generator), c);
        }
    }

    private record Measured(Report report, Usage usage) {
        double okPerS() {
            return report.okThroughput();
        }

        /** CPU microseconds per answered activation of the processes whose names start with {@code prefix}. */
        double usPerActivation(double cpuS) {
            return cpuS / usage.wallS() / Math.max(1e-9, report.throughput()) * 1e6;
        }
    }

    private record Outcome(String name, String front, Measured closed, Measured open, long systemThreadsStarted,
                           long generatorThreadsStarted, long activations, long deltasSent) {
    }

    /** Delta messages the controllers multicast so far, summed ({@code /cluster} replicator counters); 0 unclustered. */
    private static long deltasSent(Cluster cluster, boolean clustering) {
        if (!clustering) {
            return 0;
        }
        long sum = 0;
        for (Cluster.Node c : cluster.controllers()) {
            sum += c.clusterInfo().getAsJsonObject("replicator").getAsJsonObject("counters").get("deltas_sent")
                    .getAsLong();
        }
        return sum;
    }

    @Test
    void bareProxyOneControllerThreeClusteredThreeUnclustered() throws Exception {
        Assumptions.assumeTrue(Boolean.getBoolean("tandem.systemBench"),
                "system benchmark: runs with -Dtandem.systemBench=true (BENCHMARKS.md)");
        Files.createDirectories(OUT);
        int cores = Host.cores();
        boolean pin = PIN && cores >= 2 && Host.canPin();
        String all = "0-" + (cores - 1);
        String systemCores = cores == 2 ? "1" : "1-" + (cores - 1);
        String placement = pin ? "load generator (the test JVM) pinned to core 0; proxy or controllers and both"
                + " invokers pinned to core" + (cores == 2 ? " 1" : "s " + systemCores)
                + " (taskset -a -p, after start)" : "no pinning: every process may run on any of the " + cores
                + " cores";
        long started = System.nanoTime();
        String loadBefore = loadavg();

        List<Outcome> outcomes = new ArrayList<>();
        if (selected("bare proxy")) {
            outcomes.add(setup("bare proxy", 60, 0, false, pin, all, systemCores));
        }
        if (selected("1 controller")) {
            outcomes.add(setup("1 controller", 61, 1, false, pin, all, systemCores));
        }
        if (selected("3 clustered")) {
            outcomes.add(setup("3 clustered", 62, 3, true, pin, all, systemCores));
        }
        if (selected("3 unclustered")) {
            outcomes.add(setup("3 unclustered", 63, 3, false, pin, all, systemCores));
        }
        assertFalse(outcomes.isEmpty(), "tandem.systemBench.setups names no setup: " + SETUPS);

        String table = table(outcomes, placement, cores, loadBefore, loadavg(),
                (System.nanoTime() - started) / 1e9);
        System.out.println("SYSTEM-FIGURES\n" + table);
        Files.writeString(OUT.resolve("figures.md"), table);
        for (Outcome o : outcomes) {
            for (Measured m : List.of(o.closed(), o.open())) {
                assertTrue(m.report().requests().ok() > 0, o.name() + " answered requests");
                assertEquals(0, m.report().errors().total(), o.name() + ": errors make the ratios meaningless: "
                        + m.report().errors());
            }
        }
    }

    private static boolean selected(String setup) {
        return SETUPS.isBlank() || java.util.Arrays.stream(SETUPS.split(",")).map(String::trim)
                .anyMatch(setup::equals);
    }

    private static Outcome setup(String name, int block, int controllers, boolean clustering, boolean pin,
                                 String all, String systemCores) throws Exception {
        long self = ProcessHandle.current().pid();
        if (pin) {
            // the processes about to start inherit this JVM's affinity: let them see the whole machine
            Host.pin(self, all);
        }
        String slug = name.replace(' ', '-');
        Cluster.Builder builder = Cluster.builder("SystemBench-" + slug, block).controllers(controllers)
                .invokers(2, INVOKER_MB).clustering(clustering).namespaces(NAMESPACES)
                .concurrencyLimit(1_000_000).minuteLimit(1_000_000_000);
        if (clustering && !FLUSH_INTERVAL.isBlank()) {
            builder.controllerEnv("CLUSTER_FLUSH_INTERVAL", FLUSH_INTERVAL);
        }
        if (clustering && !FLUSH_MAX_DELAY.isBlank()) {
            builder.controllerEnv("CLUSTER_FLUSH_MAX_DELAY", FLUSH_MAX_DELAY);
        }
        try (Cluster cluster = builder.build().start()) {
            Map<String, Long> pids = new LinkedHashMap<>();
            List<String> invokers = new ArrayList<>();
            for (Cluster.Node i : cluster.invokers()) {
                invokers.add(i.invokerUrl());
                pids.put(i.name(), i.proc().pid());
            }
            List<String> urls = new ArrayList<>();
            List<String> admins = new ArrayList<>();
            Process proxy = null;
            try {
                if (controllers == 0) {
                    for (Cluster.Node i : cluster.invokers()) {
                        Wait.until(Duration.ofSeconds(30), Duration.ofMillis(200), () -> Http.get(i.invokerUrl()
                                + "/v1/health", null).status() == 200, () -> i.name() + " healthy");
                    }
                    String addr = "127.0." + block + ".1";
                    proxy = startProxy(addr, String.join(",", invokers), cluster.logDir());
                    String url = "http://" + addr + ":3233";
                    Wait.until(Duration.ofSeconds(30), Duration.ofMillis(200),
                            () -> Http.get(url + "/ready", null).status() == 200, () -> "bare proxy up");
                    urls.add(url);
                    pids.put("bare proxy", proxy.pid());
                } else {
                    cluster.awaitReady(Duration.ofSeconds(60));
                    for (Cluster.Node c : cluster.controllers()) {
                        urls.add(c.apiUrl());
                        admins.add(c.adminUrl());
                        pids.put(c.name(), c.proc().pid());
                    }
                }
                if (pin) {
                    for (long pid : pids.values()) {
                        Host.pin(pid, systemCores);
                    }
                    Host.pin(self, "0");
                }
                long deltas0 = deltasSent(cluster, clustering);
                Map<Long, Long> threads0 = Host.threadsStarted(new ArrayList<>(pids.values()));
                long gen0 = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();

                List<String> common = new ArrayList<>(List.of("--url", String.join(",", urls), "--invoker",
                        String.join(",", invokers), "--auth-file", cluster.authFile().toString(), "--actions",
                        "echo", "--blocking", "true", "--quiet"));
                if (!admins.isEmpty()) {
                    common.addAll(List.of("--admin", String.join(",", admins), "--admin-token", Cluster.ADMIN_TOKEN,
                            "--leak-timeout", "30s"));
                }
                List<String> closedArgs = new ArrayList<>(common);
                closedArgs.addAll(List.of("--clients", Integer.toString(CLIENTS), "--warmup", WARMUP, "--duration",
                        DURATION, "--json", OUT.resolve(slug + "-closed.json").toString()));
                Measured closed = measure(name + ", closed loop", closedArgs, WARMUP, DURATION, pids,
                        JFR ? slug : null);
                List<String> openArgs = new ArrayList<>(common);
                openArgs.addAll(List.of("--rate", Integer.toString(RATE), "--warmup", OPEN_WARMUP, "--duration",
                        OPEN_DURATION, "--json", OUT.resolve(slug + "-open.json").toString()));
                Measured open = measure(name + ", open loop", openArgs, OPEN_WARMUP, OPEN_DURATION, pids, null);

                long gen1 = ManagementFactory.getThreadMXBean().getTotalStartedThreadCount();
                Map<Long, Long> threads1 = Host.threadsStarted(new ArrayList<>(pids.values()));
                long systemThreads = 0;
                for (Map.Entry<Long, Long> e : threads1.entrySet()) {
                    systemThreads += e.getValue() - threads0.get(e.getKey());
                }
                long activations = 0;
                for (Measured m : List.of(closed, open)) {
                    activations += m.report().requests().answered() + m.report().requests().warmupSent();
                }
                for (Measured m : List.of(closed, open)) {
                    if (!admins.isEmpty()) {
                        assertEquals("passed", m.report().leakCheck().status(), m.report().leakCheck().reason());
                    }
                }
                return new Outcome(name, controllers == 0 ? "bare proxy" : "controller", closed, open,
                        systemThreads, gen1 - gen0, activations, deltasSent(cluster, clustering) - deltas0);
            } finally {
                if (proxy != null) {
                    proxy.destroyForcibly();
                    proxy.waitFor();
                }
                if (pin) {
                    Host.pin(self, all);
                }
            }
        }
    }

    /** Runs one load test, with procfs snapshots inside its measured window (and JFR recordings if asked). */
    private static Measured measure(String what, List<String> args, String warmup, String duration,
                                    Map<String, Long> pids, String jfrSlug) throws InterruptedException,
            ExecutionException {
        long warmupMs = millis(warmup);
        long durationMs = millis(duration);
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "system-bench-sampler");
            t.setDaemon(true);
            return t;
        });
        try {
            ScheduledFuture<Snapshot> a = s.schedule(() -> {
                if (jfrSlug != null) {
                    startJfr(pids, jfrSlug, durationMs - 2 * MARGIN_MS);
                }
                return Snapshot.take(pids);
            }, warmupMs + MARGIN_MS, TimeUnit.MILLISECONDS);
            ScheduledFuture<Snapshot> b = s.schedule(() -> Snapshot.take(pids), warmupMs + durationMs - MARGIN_MS,
                    TimeUnit.MILLISECONDS);
            Report r = LoadTest.run(Options.parse(args.toArray(String[]::new)));
            System.out.println("=== " + what + "\n" + r.toText());
            return new Measured(r, b.get().since(a.get()));
        } finally {
            s.shutdownNow();
        }
    }

    private static void startJfr(Map<String, Long> pids, String slug, long ms) {
        List<Process> started = new ArrayList<>();
        pids.forEach((name, pid) -> {
            try {
                started.add(new ProcessBuilder("jcmd", Long.toString(pid), "JFR.start", "settings=profile",
                        "duration=" + ms + "ms", "filename=" + OUT.resolve(slug + "-" + name.replace(' ', '-')
                        + ".jfr").toAbsolutePath()).redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
            } catch (IOException e) {
                System.out.println("cannot start JFR on " + name + ": " + e);
            }
        });
        for (Process p : started) {
            try {
                p.waitFor(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static Process startProxy(String bind, String invokers, Path logDir) throws IOException {
        Files.createDirectories(logDir);
        // the same JVM options as the harness gives controllers and invokers
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-XX:+UseSerialGC", "-Xss512k", "-cp", System.getProperty("java.class.path"),
                BareProxy.class.getName(), bind, "3233", "echo", "128", "60000", invokers);
        pb.redirectErrorStream(true);
        pb.redirectOutput(logDir.resolve("bare-proxy.log").toFile());
        return pb.start();
    }

    // ------------------------------------------------------------------------------------------------- report

    private static String table(List<Outcome> outcomes, String placement, int cores, String loadBefore,
                                String loadAfter, double seconds) {
        StringBuilder sb = new StringBuilder();
        Map<String, Outcome> by = outcomes.stream().collect(Collectors.toMap(Outcome::name, o -> o,
                (x, y) -> x, LinkedHashMap::new));
        line(sb, "Placement: %s. Machine: %d cores. Load: %d namespaces, blocking `echo`, 2 reference invokers"
                + " (home invoker of every namespace: the same, see the invoker split below).", placement, cores,
                NAMESPACES);
        line(sb, "Generator JVM common pool parallelism %d. Run took %.0f s. /proc/loadavg before: %s; after: %s",
                ForkJoinPool.getCommonPoolParallelism(), seconds, loadBefore, loadAfter);
        line(sb, "");
        line(sb, "Closed loop: %d clients, %s measured after %s of warm-up. CPU figures are sampled inside the"
                + " measured window (%d ms off each end).", CLIENTS, DURATION, WARMUP, MARGIN_MS);
        line(sb, "");
        line(sb, "| setup | ok/s | vs bare proxy | p50 ms | p99 ms | errors | statuses | generator CPU"
                + " (of one core) | core busy | other CPU use (cores) |");
        line(sb, "|---|---|---|---|---|---|---|---|---|---|");
        for (Outcome o : outcomes) {
            Report r = o.closed().report();
            Usage u = o.closed().usage();
            line(sb, "| %s | %.0f | %s | %.1f | %.1f | %d | %s | %.0f%% | %s | %.2f |", o.name(), r.okThroughput(),
                    by.containsKey("bare proxy") ? String.format(Locale.ROOT, "%.2f",
                            r.okThroughput() / by.get("bare proxy").closed().okPerS()) : "—",
                    r.latencyMs().p50(), r.latencyMs().p99(),
                    r.errors().total(), statuses(r), 100 * u.generator().cpuSeconds() / u.wallS(), coreBusy(u),
                    u.notOursCores());
        }
        line(sb, "");
        line(sb, "Where the CPU went in the closed loop: CPU time per answered activation, in microseconds"
                + " (user + system; \"kernel\" is the system part of the system under test).");
        line(sb, "");
        line(sb, "| setup | system under test | of which proxy / controllers | of which invokers | kernel share |"
                + " context switches per activation | threads started per activation | generator |");
        line(sb, "|---|---|---|---|---|---|---|---|");
        for (Outcome o : outcomes) {
            Measured m = o.closed();
            Usage u = m.usage();
            double sys = u.procs().values().stream().mapToDouble(Host.ProcTimes::sysSeconds).sum();
            long switches = u.procs().values().stream().mapToLong(Host.ProcTimes::switches).sum();
            double front = u.systemCpuS() - u.cpuS("invoker");
            line(sb, "| %s | %.0f | %.0f | %.0f | %.0f%% | %.1f | %.3f | %.0f |", o.name(),
                    m.usPerActivation(u.systemCpuS()), m.usPerActivation(front),
                    m.usPerActivation(u.cpuS("invoker")), 100 * sys / Math.max(1e-9, u.systemCpuS()),
                    switches / (m.report().throughput() * u.wallS()),
                    o.systemThreadsStarted() / (double) Math.max(1, o.activations()),
                    m.usPerActivation(u.generator().cpuSeconds()));
        }
        line(sb, "");
        line(sb, "Open loop: %d requests/s intended, %s measured after %s of warm-up; latency from the intended"
                + " send time.", RATE, OPEN_DURATION, OPEN_WARMUP);
        line(sb, "");
        line(sb, "| setup | achieved / intended | ok/s | dropped | errors | p50 ms | p99 ms | p99.9 ms | max ms |"
                + " send lag p99 ms | generator CPU (of one core) | core busy |");
        line(sb, "|---|---|---|---|---|---|---|---|---|---|---|---|");
        for (Outcome o : outcomes) {
            Report r = o.open().report();
            Usage u = o.open().usage();
            line(sb, "| %s | %.1f / %d | %.1f | %d | %d | %.1f | %.1f | %.1f | %.1f | %.2f | %.0f%% | %s |", o.name(),
                    r.achievedRate(), RATE, r.okThroughput(), r.requests().dropped(), r.errors().total(),
                    r.latencyMs().p50(), r.latencyMs().p99(), r.latencyMs().p999(), r.latencyMs().max(),
                    r.sendLagMs().p99(), 100 * u.generator().cpuSeconds() / u.wallS(), coreBusy(u));
        }
        line(sb, "");
        StringBuilder ratios = new StringBuilder("Ratios (closed-loop ok/s):");
        if (by.containsKey("3 clustered") && by.containsKey("3 unclustered")) {
            double clustered = by.get("3 clustered").closed().okPerS() / by.get("3 unclustered").closed().okPerS();
            ratios.append(String.format(Locale.ROOT, " 3 clustered / 3 unclustered = %.2f (target >= 0.95%s);",
                    clustered, clustered >= 0.95 ? ", met" : ", missed by " + pct(0.95 - clustered)));
        }
        if (by.containsKey("1 controller") && by.containsKey("bare proxy")) {
            double one = by.get("1 controller").closed().okPerS() / by.get("bare proxy").closed().okPerS();
            ratios.append(String.format(Locale.ROOT, " 1 controller / bare proxy = %.2f (target >= 0.80%s);", one,
                    one >= 0.8 ? ", met" : ", missed by " + pct(0.8 - one)));
        }
        if (by.containsKey("3 unclustered") && by.containsKey("1 controller")) {
            ratios.append(String.format(Locale.ROOT, " 3 unclustered / 1 controller = %.2f.",
                    by.get("3 unclustered").closed().okPerS() / by.get("1 controller").closed().okPerS()));
        }
        for (Outcome o : outcomes) {
            if (o.deltasSent() > 0) {
                ratios.append(String.format(Locale.ROOT, " %s: %.2f delta messages multicast per activation"
                        + " (%d over %d activations, both loads and warm-ups).", o.name(),
                        o.deltasSent() / (double) Math.max(1, o.activations()), o.deltasSent(), o.activations()));
            }
        }
        if (!FLUSH_INTERVAL.isBlank()) {
            ratios.append(" Clustered controllers ran with CLUSTER_FLUSH_INTERVAL=").append(FLUSH_INTERVAL).append('.');
        }
        if (!FLUSH_MAX_DELAY.isBlank()) {
            ratios.append(" Clustered controllers ran with CLUSTER_FLUSH_MAX_DELAY=").append(FLUSH_MAX_DELAY)
                    .append('.');
        }
        line(sb, "%s", ratios.toString());
        line(sb, "");
        line(sb, "Details per setup (closed loop):");
        for (Outcome o : outcomes) {
            Report r = o.closed().report();
            Usage u = o.closed().usage();
            StringBuilder procs = new StringBuilder();
            u.procs().forEach((n, t) -> procs.append(String.format(Locale.ROOT, "%s %.0f%% (sys %.0f%%), ", n,
                    100 * t.cpuSeconds() / u.wallS(), 100 * t.sysSeconds() / u.wallS())));
            StringBuilder split = new StringBuilder();
            if (r.overshoot() != null && r.overshoot().invokers() != null) {
                for (Report.InvokerStat i : r.overshoot().invokers()) {
                    split.append(i.invokerId()).append('=').append(i.total()).append(' ');
                }
            }
            line(sb, "- %s: CPU by process (share of one core): %sgenerator %.0f%%; activations per invoker %s;"
                    + " ok/s first 5 s %.0f, last 5 s %.0f; threads started during both loads: system %d,"
                    + " generator %d; generator report: %.0f%% of %d core(s) over %d ms%s", o.name(), procs,
                    100 * u.generator().cpuSeconds() / u.wallS(), split.toString().trim(), okRate(r, true),
                    okRate(r, false), o.systemThreadsStarted(), o.generatorThreadsStarted(),
                    100 * r.generator().cpuUtilization(), r.generator().cores(), r.generator().wallTimeMs(),
                    r.warnings().isEmpty() ? "" : "; warnings: " + r.warnings());
        }
        return sb.toString();
    }

    /** Mean ok answers per second over the first (or last) 5 whole seconds of the measured window. */
    private static double okRate(Report r, boolean first) {
        List<Report.Second> full = r.timeline().stream().filter(s -> s.answered() > 0).collect(Collectors.toList());
        if (full.size() > 1) {
            full = full.subList(0, full.size() - 1); // the last second may be short
        }
        if (full.isEmpty()) {
            return 0;
        }
        List<Report.Second> part = first ? full.subList(0, Math.min(5, full.size()))
                : full.subList(Math.max(0, full.size() - 5), full.size());
        return part.stream().mapToLong(Report.Second::ok).average().orElse(0);
    }

    private static String statuses(Report r) {
        return r.statusCounts().entrySet().stream().map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(" "))
                + (r.missingActivationIdHeader() > 0 ? " (no activation id: " + r.missingActivationIdHeader() + ")"
                : "");
    }

    private static String coreBusy(Usage u) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < u.cores().size(); i++) {
            sb.append(i == 0 ? "" : " / ").append(i).append(": ")
                    .append(Math.round(100 * u.cores().get(i).busyShare())).append('%');
        }
        return sb.toString();
    }

    private static String pct(double share) {
        return String.format(Locale.ROOT, "%.0f points", 100 * share);
    }

    /** "500ms", "5s", "2m" or plain milliseconds, as the load generator reads them. */
    private static long millis(String d) {
        if (d.endsWith("ms")) {
            return Long.parseLong(d.substring(0, d.length() - 2));
        } else if (d.endsWith("s")) {
            return Long.parseLong(d.substring(0, d.length() - 1)) * 1_000;
        } else if (d.endsWith("m")) {
            return Long.parseLong(d.substring(0, d.length() - 1)) * 60_000;
        }
        return Long.parseLong(d);
    }

    private static String loadavg() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "?";
        }
    }

    private static void line(StringBuilder sb, String format, Object... args) {
        sb.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
