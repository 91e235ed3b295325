package io.tandem.load;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The bundled load test: drives the OpenWhisk invoke API of Tandem controllers, open or closed loop, and reports
 * throughput, latency percentiles, 429s, errors, the overshoot measured at the reference invokers and the leak
 * check. Command line: {@link #main}; programmatic (tests, the demo): {@link #run(Options)}.
 *
 * <p>A run, in order: one {@code GET /api/v1} per target to warm the HTTP client; reset the invokers' stats; start
 * sampling them every {@code --stats-interval}; send the load (warm-up, then the measured window) while a ticker
 * closes one {@link Report.Second} per second and prints the progress line; wait for the requests in flight; run the
 * leak check against every admin URL; stop sampling and read every invoker's high-water marks; build the
 * {@link Report}; write the JSON and HTML files if asked.
 *
 * <p>Threads: the caller's thread runs the open-loop schedule (or waits, in closed loop); a small fixed pool runs
 * the HTTP completions; a two-thread scheduler runs the ticker and the invoker sampler. The load and the control
 * calls (stats, bookkeeping) use separate HTTP clients, so a saturated load client cannot delay the measurements.
 */
public final class LoadTest {
    /** Exit code: every checked invariant held. */
    public static final int EXIT_OK = 0;
    /** Exit code: an invariant broke (leak check failed, or overshoot above --max-overshoot). */
    public static final int EXIT_INVARIANT_BROKEN = 1;
    /** Exit code: bad arguments. */
    public static final int EXIT_BAD_ARGUMENTS = 2;

    /** Exit code: the run was interrupted before it could report (as after SIGINT). */
    public static final int EXIT_INTERRUPTED = 130;

    private static final Duration PREFLIGHT_TIMEOUT = Duration.ofSeconds(3);
    private static final String COMMON_POOL_PARALLELISM = "java.util.concurrent.ForkJoinPool.common.parallelism";

    private LoadTest() {
    }

    public static void main(String[] args) {
        // On a machine with 2 cores or fewer the common pool has parallelism 1, and CompletableFuture then starts a
        // new thread for every async completion: the JDK client's sendAsync would create and discard a thread per
        // response (measured: 690 threads a second at 690 answers a second, most of the generator's CPU). As in
        // the Tandem launcher, a common pool of 4 avoids that; it must be set before anything touches
        // ForkJoinPool, and an explicit -D setting wins.
        if (System.getProperty(COMMON_POOL_PARALLELISM) == null) {
            System.setProperty(COMMON_POOL_PARALLELISM, "4");
        }
        int code = execute(args, System.out, System.err);
        System.exit(code);
    }

    /**
     * Everything {@link #main} does except exiting: parse, run, print the report to {@code out}, return the exit
     * code. Bad arguments print a message naming the option to {@code err} and return 2.
     */
    public static int execute(String[] args, PrintStream out, PrintStream err) {
        if (Options.wantsHelp(args)) {
            out.print(Options.usage());
            return EXIT_OK;
        }
        Options options;
        try {
            options = Options.parse(args);
        } catch (BadArgumentException e) {
            err.println("tandem-load: " + e.getMessage());
            err.println("Try 'tandem-load --help' for the options.");
            return EXIT_BAD_ARGUMENTS;
        }
        if (options.progress() == System.err && err != System.err) {
            options = options.withProgress(err);
        }
        try {
            Report report = run(options);
            out.print(report.toText());
            boolean jsonFailed = report.warnings().stream().anyMatch(w -> w.startsWith("cannot write --json"));
            boolean htmlFailed = report.warnings().stream().anyMatch(w -> w.startsWith("cannot write --html"));
            if (options.jsonFile() != null && !jsonFailed) {
                out.println("JSON report: " + options.jsonFile());
            }
            if (options.htmlFile() != null && !htmlFailed) {
                out.println("HTML report: " + options.htmlFile());
            }
            out.flush();
            return report.exitCode();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            err.println("tandem-load: interrupted, no report");
            return EXIT_INTERRUPTED;
        }
    }

    /**
     * Runs one load test and returns its report (also written to {@code --json} / {@code --html} when set). Does not
     * print the report; prints progress to {@link Options#progress()} when set. A report file that cannot be
     * written is named in {@link Report#warnings()}.
     */
    public static Report run(Options o) throws InterruptedException {
        String startedAt = Instant.now().toString();
        List<String> warnings = new ArrayList<>();
        if (ForkJoinPool.getCommonPoolParallelism() < 2) {
            warnings.add("this JVM's common pool has parallelism " + ForkJoinPool.getCommonPoolParallelism()
                    + ", so the JDK HTTP client starts a thread per response and the generator costs several times"
                    + " the CPU it needs; run it with -D" + COMMON_POOL_PARALLELISM + "=4 (bin/tandem-load does)");
        }
        int httpThreads = Math.max(2, Math.min(8, ProcessCpu.cores()));
        // Pools whose threads end when idle instead of being shut down: the HTTP clients (which JDK 17 cannot
        // close) may still hand them a task after the run, and must not meet a rejecting executor.
        ExecutorService httpPool = idlingPool(httpThreads, "tandem-load-http");
        ExecutorService controlPool = idlingPool(2, "tandem-load-control");
        ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2, daemon("tandem-load-tick"));
        try {
            HttpClient load = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(min(o.requestTimeout(), Duration.ofSeconds(10))).executor(httpPool).build();
            HttpClient control = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(2)).executor(controlPool).build();

            InvokerWatch watch = o.invokers().isEmpty() ? null
                    : new InvokerWatch(o.invokers(), o.invokerToken(), control, o.statsInterval());
            if (watch != null) {
                if (o.resetStats()) {
                    warnings.addAll(watch.reset());
                }
                watch.start(scheduler);
            }

            preflight(o, load, warnings);
            Tally tally = new Tally();
            Generator gen = new Generator(o, load, httpPool, tally);
            if (o.progress() != null) {
                o.progress().printf(Locale.ROOT, "tandem-load: %s loop, %s, %s namespace(s), mix %s%s%n",
                        o.mode() == Options.Mode.OPEN ? "open" : "closed",
                        o.mode() == Options.Mode.OPEN ? o.rate() + " req/s" : o.clients() + " clients",
                        o.credentials().size(), o.mix(),
                        o.warmup().isZero() ? "" : "; warming up for " + o.warmup().toMillis() + " ms");
            }
            // the first CPU reading loads the management beans (slow on a cold JVM): before the schedule starts
            long cpu0 = ProcessCpu.nanos();
            long wall0 = System.nanoTime();
            gen.start(wall0);
            Ticker ticker = new Ticker(tally, o.progress(), gen::inflight, gen.measureStartNs());
            long toMeasureNs = gen.measureStartNs() - System.nanoTime();
            ScheduledFuture<?> begin = scheduler.schedule(ticker::begin, toMeasureNs, TimeUnit.NANOSECONDS);
            ScheduledFuture<?> ticks = scheduler.scheduleAtFixedRate(ticker::tick, toMeasureNs + 1_000_000_000L,
                    1_000_000_000L, TimeUnit.NANOSECONDS);

            int abandoned = gen.run(o.requestTimeout().toNanos() + 5_000_000_000L);
            ticks.cancel(false);
            begin.cancel(false);
            ticker.tick();
            long cpuLoad = ProcessCpu.nanos() - cpu0;
            long wallLoad = System.nanoTime() - wall0;

            Report.LeakCheckResult leak = leakCheck(o, control);
            List<InvokerWatch.Stats> finalStats = List.of();
            if (watch != null) {
                watch.stop();
                finalStats = watch.readAll();
            }
            return write(o, build(o, startedAt, gen, tally, ticker, abandoned, cpuLoad, wallLoad, watch, finalStats,
                    leak, warnings));
        } finally {
            scheduler.shutdownNow();
        }
    }

    /**
     * One {@code GET {url}/api/v1} per target before the clock starts, answer ignored: it loads and initialises the
     * HTTP client and opens a first connection, so the first measured requests do not pay for that (a few hundred
     * ms on a cold JVM, which open-loop timing would rightly but uselessly charge to the target).
     */
    private static void preflight(Options o, HttpClient load, List<String> warnings) throws InterruptedException {
        List<CompletableFuture<HttpResponse<Void>>> calls = new ArrayList<>();
        for (URI u : o.urls()) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(u + "/api/v1")).timeout(PREFLIGHT_TIMEOUT)
                    .header("User-Agent", "tandem-load").GET().build();
            calls.add(load.sendAsync(req, HttpResponse.BodyHandlers.discarding()));
        }
        for (int i = 0; i < calls.size(); i++) {
            try {
                calls.get(i).get(PREFLIGHT_TIMEOUT.toMillis() + 500, TimeUnit.MILLISECONDS);
            } catch (ExecutionException | TimeoutException e) {
                warnings.add("preflight GET " + o.urls().get(i) + "/api/v1 failed: " + Tally.unwrap(e.getCause() == null
                        ? e : e.getCause()));
            }
        }
    }

    private static Report.LeakCheckResult leakCheck(Options o, HttpClient control) throws InterruptedException {
        if (o.admins().isEmpty()) {
            return LeakCheck.skipped();
        }
        return new LeakCheck(o.admins(), o.adminToken(), control).await(o.leakTimeout());
    }

    private static Report build(Options o, String startedAt, Generator gen, Tally tally, Ticker ticker, int abandoned,
                                long cpuNs, long wallNs, InvokerWatch watch, List<InvokerWatch.Stats> finalStats,
                                Report.LeakCheckResult leak, List<String> warnings) {
        List<String> failures = new ArrayList<>();
        double windowS = Math.max(1e-9, (gen.windowEndNs() - gen.measureStartNs()) / 1e9);
        double activeS = Math.max(windowS, (gen.drainedNs() - gen.measureStartNs()) / 1e9);
        Tally.Counts c = tally.snapshot();
        Report.Requests requests = new Report.Requests(c.arrivals(), c.sent(), c.dropped(), c.answered(), c.ok(),
                abandoned, tally.warmupSent.sum(), tally.warmupDropped.sum());

        Report.Overshoot overshoot = overshoot(o, watch, finalStats, warnings, failures);
        if (leak.failed()) {
            failures.add("leak check: " + leak.reason());
        }
        if (c.dropped() > 0) {
            warnings.add(c.dropped() + " arrivals dropped by the generator (client saturated: --max-inflight "
                    + o.maxInflight() + " in flight); the target could not keep up at this rate");
        }
        if (abandoned > 0) {
            warnings.add(abandoned + " requests still in flight after the drain timeout");
        }
        if (c.answered() > 0 && c.errors() == c.answered()) {
            warnings.add("every request failed; is the controller at " + o.urls() + " up?");
        }
        double cpuUtil = cpuNs < 0 ? 0 : cpuNs / ((double) wallNs * ProcessCpu.cores());
        Report.Latency lag = Report.Latency.of(tally.lag);
        String note = null;
        if (cpuUtil > 0.8) {
            note = "the generator's JVM used most of the machine: it may have been the bottleneck";
        } else if (o.mode() == Options.Mode.OPEN && lag.p99() > 10) {
            note = "the generator sent late (send lag p99 " + lag.p99() + " ms): it may have been the bottleneck";
        }
        if (note != null) {
            warnings.add(note);
        }
        Report.GeneratorLoad generator = new Report.GeneratorLoad(cpuNs / 1_000_000, wallNs / 1_000_000,
                ProcessCpu.cores(), Report.round(cpuUtil), gen.peakInflight(), o.maxInflight(), note);

        Map<String, Long> statuses = new TreeMap<>(Tally.sums(tally.statuses));
        return new Report("tandem-load", startedAt, o.describe(), o.mode().name().toLowerCase(Locale.ROOT),
                gen.stopReason().name().toLowerCase(Locale.ROOT), Report.round(windowS),
                Report.round(Math.max(0, (gen.drainedNs() - gen.windowEndNs()) / 1e9)), requests,
                o.mode() == Options.Mode.OPEN ? o.rate() : null, Report.round(c.arrivals() / windowS),
                Report.round(c.answered() / activeS), Report.round(c.ok() / activeS),
                Report.Latency.of(tally.all), Report.Latency.of(tally.admitted), lag, statuses,
                new Report.RateLimited(c.rateLimited(), Tally.sums(tally.rateLimitKinds)),
                new Report.Errors(c.errors(), Tally.sums(tally.errorKinds), new TreeMap<>(tally.errorSamples)),
                c.appErrors(), tally.missingActivationId.sum(), overshoot, leak, generator, ticker.seconds(),
                List.copyOf(warnings), List.copyOf(failures),
                failures.isEmpty() ? EXIT_OK : EXIT_INVARIANT_BROKEN);
    }

    private static Report.Overshoot overshoot(Options o, InvokerWatch watch, List<InvokerWatch.Stats> stats,
                                              List<String> warnings, List<String> failures) {
        if (watch == null) {
            return new Report.Overshoot(false, o.limit(), o.maxOvershoot(), Map.of(), List.of(), 0, 0, 0, null, null,
                    null);
        }
        Map<String, Integer> maxSum = new TreeMap<>();
        Map<String, Long> totals = new TreeMap<>();
        Map<String, Integer> ranOn = new TreeMap<>();
        List<Report.InvokerStat> invokers = new ArrayList<>();
        boolean allReachable = true;
        for (InvokerWatch.Stats s : stats) {
            invokers.add(new Report.InvokerStat(s.url().toString(), s.invokerId(), s.reachable(), s.error(),
                    s.running(), s.queued(), s.maxRunning(), s.total()));
            if (!s.reachable()) {
                allReachable = false;
                warnings.add("invoker " + s.url() + ": " + s.error());
            }
            s.namespaces().forEach((ns, n) -> {
                maxSum.merge(ns, n.maxRunning(), Integer::sum);
                totals.merge(ns, n.total(), Long::sum);
                if (n.total() > 0 || n.maxRunning() > 0) {
                    ranOn.merge(ns, 1, Integer::sum);
                }
            });
        }
        Map<String, Integer> sampled = watch.sampledMax();
        TreeSet<String> names = new TreeSet<>(maxSum.keySet());
        names.addAll(sampled.keySet());
        Map<String, Report.NamespacePeak> peaks = new TreeMap<>();
        Integer worst = null;
        String worstNs = null;
        for (String ns : names) {
            int sum = maxSum.getOrDefault(ns, 0);
            int smp = sampled.getOrDefault(ns, 0);
            Integer over = o.limit() == null ? null : sum - o.limit();
            Integer sOver = o.limit() == null ? null : smp - o.limit();
            Double pct = o.limit() == null || o.limit() == 0 ? null
                    : Report.round(100.0 * Math.max(0, sum - o.limit()) / o.limit());
            peaks.put(ns, new Report.NamespacePeak(sum, smp, totals.getOrDefault(ns, 0L), over, sOver, pct,
                    ranOn.getOrDefault(ns, 0)));
            if (over != null && (worst == null || over > worst)) {
                worst = over;
                worstNs = ns;
            }
        }
        Boolean passed = null;
        if (o.maxOvershoot() != null) {
            passed = allReachable && (worst == null || worst <= o.maxOvershoot());
            if (!allReachable) {
                failures.add("overshoot not measured: an invoker was unreachable after the run");
            } else if (!passed) {
                failures.add("overshoot " + worst + " in namespace " + worstNs + " (per-invoker maxRunning sum "
                        + maxSum.get(worstNs) + ", limit " + o.limit() + ") exceeds --max-overshoot "
                        + o.maxOvershoot());
            }
        }
        if (watch.samples() == 0) {
            warnings.add("no /v1/stats sample completed during the run");
        }
        return new Report.Overshoot(true, o.limit(), o.maxOvershoot(), peaks, invokers, watch.samples(),
                watch.sampleFailures(), watch.skipped(), worst, worstNs, passed);
    }

    /** Writes the report files; a file that cannot be written becomes a warning, so the run's result is kept. */
    private static Report write(Options o, Report r) {
        Report out = r;
        if (o.jsonFile() != null) {
            try {
                writeFile(o.jsonFile(), r.toJson());
            } catch (IOException e) {
                out = out.withWarning("cannot write --json " + o.jsonFile() + ": " + e);
            }
        }
        if (o.htmlFile() != null) {
            try {
                writeFile(o.htmlFile(), HtmlReport.render(r));
            } catch (IOException e) {
                out = out.withWarning("cannot write --html " + o.htmlFile() + ": " + e);
            }
        }
        return out;
    }

    private static void writeFile(Path p, String text) throws IOException {
        Path parent = p.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.writeString(p, text, StandardCharsets.UTF_8);
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static ExecutorService idlingPool(int threads, String prefix) {
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 2, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), daemon(prefix));
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    private static ThreadFactory daemon(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
