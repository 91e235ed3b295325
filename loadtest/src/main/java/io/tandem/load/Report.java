package io.tandem.load;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * The result of one run: what {@link LoadTest#run} returns, prints ({@link #toText()}) and writes as JSON
 * ({@link #toJson()}) and HTML ({@link HtmlReport}). Immutable once built. Latencies are in milliseconds, rates in
 * requests per second, and "measured" means after warm-up.
 *
 * @param exitCode 0 when every checked invariant held, 1 when one broke (see {@code failures})
 */
public record Report(
        String tool,
        String startedAt,
        Map<String, Object> config,
        String mode,
        String stopReason,
        double windowSeconds,
        double drainSeconds,
        Requests requests,
        Double intendedRate,
        double achievedRate,
        double throughput,
        double okThroughput,
        Latency latencyMs,
        Latency latencyAdmittedMs,
        Latency sendLagMs,
        Map<String, Long> statusCounts,
        RateLimited rateLimited,
        Errors errors,
        long applicationErrors,
        long missingActivationIdHeader,
        Overshoot overshoot,
        LeakCheckResult leakCheck,
        GeneratorLoad generator,
        List<Second> timeline,
        List<String> warnings,
        List<String> failures,
        int exitCode) {

    /**
     * Request counts of the measured window.
     *
     * @param intended arrivals the schedule asked for (open loop) or requests started (closed loop)
     * @param dropped  open-loop arrivals not sent because {@code --max-inflight} requests were in flight
     * @param answered requests that ended, with an HTTP answer or a failure
     * @param abandoned requests still in flight when the drain timed out
     */
    public record Requests(long intended, long sent, long dropped, long answered, long ok, long abandoned,
                           long warmupSent, long warmupDropped) {
    }

    /** Latency summary with the percentile spectrum (for charts). */
    public record Latency(long count, double mean, double p50, double p90, double p99, double p999, double max,
                          List<Point> spectrum) {
        static Latency of(Histogram h) {
            List<Point> spectrum = new ArrayList<>();
            if (h.getTotalCount() > 0) {
                for (double p : new double[]{0, 10, 20, 30, 40, 50, 60, 70, 75, 80, 85, 90, 95, 97, 98, 99, 99.5,
                        99.9, 99.95, 99.99, 99.999, 100}) {
                    spectrum.add(new Point(p, ms(p == 100 ? h.getMaxValue() : h.getValueAtPercentile(p))));
                }
            }
            return new Latency(h.getTotalCount(), h.getTotalCount() == 0 ? 0 : round(h.getMean() / 1000.0),
                    ms(h.getValueAtPercentile(50)), ms(h.getValueAtPercentile(90)), ms(h.getValueAtPercentile(99)),
                    ms(h.getValueAtPercentile(99.9)), ms(h.getMaxValue()), spectrum);
        }
    }

    /** One point of a percentile spectrum. */
    public record Point(double percentile, double ms) {
    }

    /** 429 answers; by kind of limit as read from the message: concurrency, per-minute, system overload, other. */
    public record RateLimited(long total, Map<String, Long> byKind) {
    }

    /**
     * Errors: any answer other than 200, 202, 429 and 502, and requests with no answer at all.
     *
     * @param byKind  e.g. {@code http 503}, {@code connect failed}, {@code timeout}, {@code io error}
     * @param samples the first message seen per kind
     */
    public record Errors(long total, Map<String, Long> byKind, Map<String, String> samples) {
    }

    /**
     * Overshoot measured at the invokers. Per namespace: {@code perInvokerMaxSum} is the sum over invokers of each
     * one's high-water mark (an upper bound of the true peak), {@code sampledMaxRunning} the highest sum of
     * {@code running} over the samples (a lower bound).
     *
     * @param worst the largest {@code perInvokerMaxSum - limit} over namespaces (null without --limit)
     */
    public record Overshoot(boolean measured, Integer limit, Integer maxOvershoot, Map<String, NamespacePeak> namespaces,
                            List<InvokerStat> invokers, long samples, long sampleFailures, long samplesSkipped,
                            Integer worst, String worstNamespace, Boolean passed) {
    }

    /**
     * One namespace's peaks; {@code overshoot} = perInvokerMaxSum - limit, {@code sampledOvershoot} likewise.
     * {@code invokersRan}: how many invokers ran the namespace; with one, {@code perInvokerMaxSum} is its exact peak.
     */
    public record NamespacePeak(int perInvokerMaxSum, int sampledMaxRunning, long total, Integer overshoot,
                                Integer sampledOvershoot, Double overshootPercent, int invokersRan) {
        /** True when the true peak is known exactly: one invoker ran the namespace. */
        public boolean exact() {
            return invokersRan <= 1;
        }

        /**
         * The overshoot as a reader should see it: exact ({@code "3 (60.0%)"}), at or under the limit ({@code "-1"}),
         * or, when the namespace ran on several invokers and the upper bound is over the limit, the range between the
         * two bounds ({@code "0..3 (at most 60.0%)"}); "-" without a limit.
         */
        public String overshootText() {
            if (overshoot == null) {
                return "-";
            }
            String pct = overshootPercent == null ? "" : String.format(Locale.ROOT, "%.1f%%", overshootPercent);
            if (overshoot <= 0) {
                return Integer.toString(overshoot);
            }
            if (exact()) {
                return overshoot + (pct.isEmpty() ? "" : " (" + pct + ")");
            }
            return Math.max(0, sampledOvershoot) + ".." + overshoot + (pct.isEmpty() ? "" : " (at most " + pct + ")");
        }
    }

    /** One invoker as read after the run. */
    public record InvokerStat(String url, String invokerId, boolean reachable, String error, int running, int queued,
                              int maxRunning, long total) {
    }

    /**
     * The generator's own load. {@code cpuUtilization} = CPU time / (wall time x cores); near 1.0 means the generator
     * (or something sharing its JVM) may have been the bottleneck.
     */
    public record GeneratorLoad(long cpuTimeMs, long wallTimeMs, int cores, double cpuUtilization, int peakInflight,
                                int maxInflight, String note) {
    }

    /** One second of the measured run (the last one may be shorter); latencies of admitted answers. */
    public record Second(double t, long sent, long answered, long ok, long rateLimited, long appErrors, long errors,
                         long dropped, Double p50, Double p90, Double p99, Double max, double cpuPercent) {
    }

    /**
     * What one controller's {@code /bookkeeping} said in the leak check's last round; {@code permanent} when its
     * error is one that waiting will not change (401, 403, 404).
     */
    public record ControllerState(String url, String controllerId, Boolean ready, Map<String, Long> nonZero,
                                  List<String> negatives, String error, boolean permanent) {
        public boolean clean() {
            return error == null && nonZero.isEmpty() && negatives.isEmpty();
        }
    }

    /** The leak check: {@code status} is passed, failed or skipped (no --admin). */
    public record LeakCheckResult(String status, String reason, long waitedMs, int rounds,
                                  List<ControllerState> controllers) {
        public boolean failed() {
            return "failed".equals(status);
        }
    }

    /** This report with one more warning. */
    Report withWarning(String warning) {
        List<String> w = new ArrayList<>(warnings);
        w.add(warning);
        return new Report(tool, startedAt, config, mode, stopReason, windowSeconds, drainSeconds, requests,
                intendedRate, achievedRate, throughput, okThroughput, latencyMs, latencyAdmittedMs, sendLagMs,
                statusCounts, rateLimited, errors, applicationErrors, missingActivationIdHeader, overshoot, leakCheck,
                generator, timeline, List.copyOf(w), failures, exitCode);
    }

    public boolean passed() {
        return exitCode == 0;
    }

    static double ms(long micros) {
        return round(micros / 1000.0);
    }

    static double round(double v) {
        return Math.round(v * 1000.0) / 1000.0;
    }

    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().serializeNulls()
            .serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

    public String toJson() {
        return GSON.toJson(this);
    }

    /** The report as printed on stdout. */
    public String toText() {
        StringBuilder sb = new StringBuilder();
        Requests r = requests;
        line(sb, "tandem-load report (%s loop, started %s)", mode, startedAt);
        line(sb, "  targets          %s", config.get("urls"));
        line(sb, "  namespaces       %s   mix %s   blocking %s", config.get("namespaces"), config.get("mix"),
                config.get("blocking"));
        line(sb, "  window           %.2f s measured (stopped by %s), %.2f s drain", windowSeconds, stopReason,
                drainSeconds);
        sb.append('\n');
        line(sb, "requests");
        line(sb, "  intended         %d", r.intended());
        line(sb, "  sent             %d", r.sent());
        line(sb, "  dropped          %d%s", r.dropped(),
                r.dropped() > 0 ? "   <-- dropped by generator (client saturated: --max-inflight reached)" : "");
        line(sb, "  answered         %d (ok %d)%s", r.answered(), r.ok(),
                r.abandoned() > 0 ? "   abandoned in flight: " + r.abandoned() : "");
        if (r.warmupSent() + r.warmupDropped() > 0) {
            line(sb, "  warm-up          %d sent, %d dropped (not counted)", r.warmupSent(), r.warmupDropped());
        }
        line(sb, "  rate             %s intended, %.1f/s achieved; throughput %.1f answers/s, %.1f ok/s",
                intendedRate == null ? "n/a" : String.format(Locale.ROOT, "%.1f/s", intendedRate), achievedRate,
                throughput, okThroughput);
        sb.append('\n');
        line(sb, "latency (ms)       count      p50      p90      p99    p99.9      max     mean");
        latency(sb, "  all answers", latencyMs);
        latency(sb, "  200/202/502", latencyAdmittedMs);
        if ("open".equals(mode)) {
            latency(sb, "  send lag", sendLagMs);
        }
        sb.append('\n');
        line(sb, "status counts      %s", statusCounts);
        line(sb, "429 rate limited   %d %s", rateLimited.total(),
                rateLimited.byKind().isEmpty() ? "" : rateLimited.byKind());
        line(sb, "502 action failed  %d", applicationErrors);
        line(sb, "errors             %d %s", errors.total(), errors.byKind().isEmpty() ? "" : errors.byKind());
        errors.samples().forEach((k, v) -> line(sb, "    %-14s e.g. %s", k, v.replace('\n', ' ')));
        if (missingActivationIdHeader > 0) {
            line(sb, "missing x-openwhisk-activation-id on %d answers (200/202)", missingActivationIdHeader);
        }
        sb.append('\n');
        Overshoot o = overshoot;
        if (!o.measured()) {
            line(sb, "overshoot          not measured (no --invoker)");
        } else {
            line(sb, "overshoot          limit %s; %d samples of /v1/stats (%d partial, %d skipped)",
                    o.limit() == null ? "not given (--limit)" : o.limit(), o.samples(), o.sampleFailures(),
                    o.samplesSkipped());
            line(sb, "  %-20s %12s %12s %22s %10s %9s", "namespace", "sum(max)", "max(sum)", "overshoot", "total",
                    "invokers");
            o.namespaces().forEach((ns, p) -> line(sb, "  %-20s %12d %12d %22s %10d %9d", ns, p.perInvokerMaxSum(),
                    p.sampledMaxRunning(), p.overshootText(), p.total(), p.invokersRan()));
            line(sb, "  (sum(max): per-invoker high-water marks summed, an upper bound, exact when one invoker ran the "
                    + "namespace; max(sum): highest sampled sum of running, a lower bound; a namespace that ran on "
                    + "several invokers shows the overshoot as the range between the two)");
            for (InvokerStat i : o.invokers()) {
                if (i.reachable()) {
                    line(sb, "  invoker %-24s maxRunning %d, ran %d", i.invokerId() == null ? i.url() : i.invokerId(),
                            i.maxRunning(), i.total());
                } else {
                    line(sb, "  invoker %-24s UNREACHABLE: %s", i.url(), i.error());
                }
            }
            if (o.worst() != null) {
                NamespacePeak w = o.namespaces().get(o.worstNamespace());
                String bound = w == null || w.exact() || o.worst() <= 0 ? Integer.toString(o.worst())
                        : "at most " + o.worst() + " (sampled: at least " + Math.max(0, w.sampledOvershoot()) + ")";
                line(sb, "  worst overshoot  %s in %s%s", bound, o.worstNamespace(), o.maxOvershoot() == null ? ""
                        : "; vs --max-overshoot " + o.maxOvershoot() + " (checked against the upper bound): "
                        + (Boolean.TRUE.equals(o.passed()) ? "ok" : "FAILED"));
            }
        }
        line(sb, "leak check         %s (%s)", leakCheck.status().toUpperCase(Locale.ROOT), leakCheck.reason());
        sb.append('\n');
        GeneratorLoad g = generator;
        line(sb, "generator          CPU %d ms over %d ms wall on %d cores = %.1f%% of the machine; peak in flight %d/%d",
                g.cpuTimeMs(), g.wallTimeMs(), g.cores(), g.cpuUtilization() * 100, g.peakInflight(), g.maxInflight());
        if (g.note() != null) {
            line(sb, "                   %s", g.note());
        }
        for (String w : warnings) {
            if (!w.equals(g.note())) { // already printed under the generator line
                line(sb, "warning: %s", w);
            }
        }
        sb.append('\n');
        if (failures.isEmpty()) {
            line(sb, "RESULT: OK");
        } else {
            for (String f : failures) {
                line(sb, "FAILED: %s", f);
            }
            line(sb, "RESULT: INVARIANT BROKEN (exit %d)", exitCode);
        }
        return sb.toString();
    }

    private static void latency(StringBuilder sb, String label, Latency l) {
        if (l.count() == 0) {
            line(sb, "%-16s %8d        -", label, 0L);
            return;
        }
        line(sb, "%-16s %8d %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f", label, l.count(), l.p50(), l.p90(), l.p99(),
                l.p999(), l.max(), l.mean());
    }

    private static void line(StringBuilder sb, String format, Object... args) {
        sb.append(String.format(Locale.ROOT, format, args)).append('\n');
    }
}
