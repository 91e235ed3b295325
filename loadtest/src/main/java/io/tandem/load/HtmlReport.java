package io.tandem.load;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * Renders a {@link Report} as one self-contained HTML page: inline CSS, inline SVG charts drawn here (latency
 * percentiles over time, throughput, 429s and errors per second, generator CPU, the latency percentile spectrum),
 * and the report's tables. No script, no external asset, no web font. Stateless and thread-safe.
 */
final class HtmlReport {
    private static final String[] COLORS = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"};
    private static final int W = 920;
    private static final int H = 280;
    private static final int ML = 64;
    private static final int MR = 36;
    private static final int MT = 34;
    private static final int MB = 42;

    private HtmlReport() {
    }

    /** One line of a chart; a null y breaks the line. */
    private record Series(String name, List<Double> ys) {
    }

    static String render(Report r) {
        StringBuilder sb = new StringBuilder(64 * 1024);
        sb.append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>tandem-load report ")
                .append(esc(r.startedAt())).append("</title>\n<style>\n")
                .append("body{font-family:system-ui,-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;")
                .append("color:#222;max-width:960px}\n")
                .append("h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}\n")
                .append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;")
                .append("text-align:right;font-size:13px}th{background:#f4f4f4}td.l,th.l{text-align:left}\n")
                .append(".ok{color:#1a7f37;font-weight:bold}.bad{color:#c62828;font-weight:bold}")
                .append(".warn{color:#b26a00}\nsvg{display:block;margin:6px 0 14px}svg text{font-size:11px;")
                .append("font-family:inherit}\n</style></head><body>\n");
        sb.append("<h1>tandem-load report</h1>\n<p>Started ").append(esc(r.startedAt())).append(", ")
                .append(esc(r.mode())).append(" loop, ").append(fmt(r.windowSeconds())).append(" s measured (stopped by ")
                .append(esc(r.stopReason())).append("). Result: ")
                .append(r.failures().isEmpty() ? "<span class=\"ok\">OK</span>"
                        : "<span class=\"bad\">INVARIANT BROKEN (exit " + r.exitCode() + ")</span>")
                .append("</p>\n");
        if (!r.failures().isEmpty() || !r.warnings().isEmpty()) {
            sb.append("<ul>\n");
            r.failures().forEach(f -> sb.append("<li class=\"bad\">").append(esc(f)).append("</li>\n"));
            r.warnings().forEach(w -> sb.append("<li class=\"warn\">").append(esc(w)).append("</li>\n"));
            sb.append("</ul>\n");
        }

        Report.Requests q = r.requests();
        sb.append("<h2>Summary</h2>\n<table>\n");
        row(sb, "targets", String.valueOf(r.config().get("urls")));
        row(sb, "namespaces", String.valueOf(r.config().get("namespaces")));
        row(sb, "mix", String.valueOf(r.config().get("mix")) + ", blocking " + r.config().get("blocking"));
        row(sb, "intended / sent / dropped by generator", q.intended() + " / " + q.sent() + " / " + q.dropped());
        row(sb, "answered (ok)", q.answered() + " (" + q.ok() + ")");
        row(sb, "intended rate", r.intendedRate() == null ? "n/a (closed loop)" : fmt(r.intendedRate()) + " /s");
        row(sb, "achieved rate", fmt(r.achievedRate()) + " /s");
        row(sb, "throughput (answers, ok)", fmt(r.throughput()) + " /s, " + fmt(r.okThroughput()) + " /s");
        row(sb, "429 rate limited", r.rateLimited().total() + " " + mapText(r.rateLimited().byKind()));
        row(sb, "502 action failed", Long.toString(r.applicationErrors()));
        row(sb, "errors", r.errors().total() + " " + mapText(r.errors().byKind()));
        row(sb, "leak check", r.leakCheck().status() + " (" + r.leakCheck().reason() + ")");
        Report.GeneratorLoad g = r.generator();
        row(sb, "generator CPU", g.cpuTimeMs() + " ms over " + g.wallTimeMs() + " ms on " + g.cores() + " cores = "
                + fmt(g.cpuUtilization() * 100) + " % of the machine; peak in flight " + g.peakInflight() + "/"
                + g.maxInflight());
        sb.append("</table>\n");

        sb.append("<h2>Latency (ms)</h2>\n<table>\n<tr><th class=\"l\"></th><th>count</th><th>p50</th><th>p90</th>")
                .append("<th>p99</th><th>p99.9</th><th>max</th><th>mean</th></tr>\n");
        latencyRow(sb, "all answers", r.latencyMs());
        latencyRow(sb, "200/202/502", r.latencyAdmittedMs());
        if (r.intendedRate() != null) {
            latencyRow(sb, "send lag (generator)", r.sendLagMs());
        }
        sb.append("</table>\n");
        spectrumChart(sb, r);

        List<Report.Second> t = r.timeline();
        List<Double> xs = t.stream().map(Report.Second::t).toList();
        if (!t.isEmpty()) {
            sb.append("<h2>Latency over time (200/202/502, ms)</h2>\n");
            chart(sb, xs, List.of(series("p50", t, Report.Second::p50), series("p90", t, Report.Second::p90),
                    series("p99", t, Report.Second::p99), series("max", t, Report.Second::max)), "ms");
            sb.append("<h2>Throughput (per second)</h2>\n");
            chart(sb, xs, List.of(count("sent", t, Report.Second::sent), count("answered", t, Report.Second::answered),
                    count("ok (200/202)", t, Report.Second::ok)), "req/s");
            sb.append("<h2>429s, errors and drops (per second)</h2>\n");
            chart(sb, xs, List.of(count("429", t, Report.Second::rateLimited), count("errors", t, Report.Second::errors),
                    count("502", t, Report.Second::appErrors), count("dropped", t, Report.Second::dropped)), "/s");
            sb.append("<h2>Generator CPU (% of the machine)</h2>\n");
            chart(sb, xs, List.of(count("cpu %", t, Report.Second::cpuPercent)), "%");
        }

        sb.append("<h2>Status counts</h2>\n<table>\n<tr><th class=\"l\">status</th><th>count</th></tr>\n");
        r.statusCounts().forEach((k, v) -> sb.append("<tr><td class=\"l\">").append(esc(k)).append("</td><td>")
                .append(v).append("</td></tr>\n"));
        sb.append("</table>\n");
        if (!r.errors().byKind().isEmpty()) {
            sb.append("<h2>Errors by kind</h2>\n<table>\n<tr><th class=\"l\">kind</th><th>count</th>")
                    .append("<th class=\"l\">first message</th></tr>\n");
            r.errors().byKind().forEach((k, v) -> sb.append("<tr><td class=\"l\">").append(esc(k)).append("</td><td>")
                    .append(v).append("</td><td class=\"l\">").append(esc(r.errors().samples().getOrDefault(k, "")))
                    .append("</td></tr>\n"));
            sb.append("</table>\n");
        }

        Report.Overshoot o = r.overshoot();
        sb.append("<h2>Overshoot at the invokers</h2>\n");
        if (!o.measured()) {
            sb.append("<p>Not measured (no <code>--invoker</code>).</p>\n");
        } else {
            sb.append("<p>Limit: ").append(o.limit() == null ? "not given" : o.limit()).append(". ")
                    .append(o.samples()).append(" samples (").append(o.sampleFailures()).append(" partial, ")
                    .append(o.samplesSkipped()).append(" skipped). <i>sum(max)</i>: each invoker's high-water mark, ")
                    .append("summed (upper bound; exact when one invoker ran the namespace); <i>max(sum)</i>: highest sampled ")
                    .append("sum of running (lower bound). A namespace that ran on several invokers shows the overshoot ")
                    .append("as the range between the two.</p>\n")
                    .append("<table>\n<tr><th class=\"l\">namespace</th><th>sum(max)</th><th>max(sum)</th>")
                    .append("<th>overshoot</th><th>ran</th><th>invokers</th></tr>\n");
            o.namespaces().forEach((ns, p) -> sb.append("<tr><td class=\"l\">").append(esc(ns)).append("</td><td>")
                    .append(p.perInvokerMaxSum()).append("</td><td>").append(p.sampledMaxRunning()).append("</td><td>")
                    .append(esc(p.overshootText())).append("</td><td>")
                    .append(p.total()).append("</td><td>").append(p.invokersRan()).append("</td></tr>\n"));
            sb.append("</table>\n<table>\n<tr><th class=\"l\">invoker</th><th>maxRunning</th><th>ran</th>")
                    .append("<th class=\"l\">state</th></tr>\n");
            for (Report.InvokerStat i : o.invokers()) {
                sb.append("<tr><td class=\"l\">").append(esc(i.invokerId() == null ? i.url() : i.invokerId() + " "
                        + i.url())).append("</td><td>").append(i.maxRunning()).append("</td><td>").append(i.total())
                        .append("</td><td class=\"l\">").append(i.reachable() ? "ok" : esc(i.error()))
                        .append("</td></tr>\n");
            }
            sb.append("</table>\n");
            if (o.worst() != null) {
                Report.NamespacePeak w = o.namespaces().get(o.worstNamespace());
                sb.append("<p>Worst overshoot: ").append(w == null || w.exact() || o.worst() <= 0 ? o.worst()
                        : "at most " + o.worst() + " (sampled: at least " + Math.max(0, w.sampledOvershoot()) + ")")
                        .append(" in ").append(esc(o.worstNamespace()));
                if (o.maxOvershoot() != null) {
                    sb.append(" vs <code>--max-overshoot ").append(o.maxOvershoot()).append("</code>: ")
                            .append(Boolean.TRUE.equals(o.passed()) ? "<span class=\"ok\">ok</span>"
                                    : "<span class=\"bad\">failed</span>");
                }
                sb.append("</p>\n");
            }
        }

        Report.LeakCheckResult l = r.leakCheck();
        sb.append("<h2>Leak check</h2>\n<p class=\"").append(l.failed() ? "bad" : "ok").append("\">")
                .append(esc(l.status())).append(": ").append(esc(l.reason())).append("</p>\n");
        if (!l.controllers().isEmpty()) {
            sb.append("<table>\n<tr><th class=\"l\">admin URL</th><th class=\"l\">controller</th>")
                    .append("<th class=\"l\">non-zero totals</th><th class=\"l\">negatives / error</th></tr>\n");
            for (Report.ControllerState c : l.controllers()) {
                sb.append("<tr><td class=\"l\">").append(esc(c.url())).append("</td><td class=\"l\">")
                        .append(esc(String.valueOf(c.controllerId()))).append("</td><td class=\"l\">")
                        .append(esc(mapText(c.nonZero()))).append("</td><td class=\"l\">")
                        .append(esc(c.error() != null ? c.error() : String.join("; ", c.negatives())))
                        .append("</td></tr>\n");
            }
            sb.append("</table>\n");
        }

        sb.append("<h2>Configuration</h2>\n<table>\n");
        r.config().forEach((k, v) -> row(sb, k, String.valueOf(v)));
        sb.append("</table>\n</body></html>\n");
        return sb.toString();
    }

    private static Series series(String name, List<Report.Second> t, java.util.function.Function<Report.Second, Double> f) {
        return new Series(name, t.stream().map(f).toList());
    }

    private static Series count(String name, List<Report.Second> t, ToDoubleFunction<Report.Second> f) {
        List<Double> ys = new ArrayList<>();
        for (Report.Second s : t) {
            // the last interval may be shorter than a second: scale it to a rate
            double len = ys.isEmpty() ? s.t() : s.t() - t.get(ys.size() - 1).t();
            double v = f.applyAsDouble(s);
            boolean isRate = !name.startsWith("cpu");
            ys.add(isRate && len > 0.05 && len < 0.95 ? v / len : v);
        }
        return new Series(name, ys);
    }

    private static void chart(StringBuilder sb, List<Double> xs, List<Series> series, String unit) {
        double xMax = xs.isEmpty() ? 1 : Math.max(1, xs.get(xs.size() - 1));
        double yMaxRaw = 0;
        for (Series s : series) {
            for (Double y : s.ys()) {
                if (y != null && y > yMaxRaw) {
                    yMaxRaw = y;
                }
            }
        }
        double yStep = niceStep(yMaxRaw <= 0 ? 1 : yMaxRaw / 5);
        double yMax = Math.max(yStep, Math.ceil(yMaxRaw / yStep) * yStep);
        double xStep = niceStep(xMax / 10);
        int pw = W - ML - MR;
        int ph = H - MT - MB;
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W).append("\" height=\"").append(H)
                .append("\" viewBox=\"0 0 ").append(W).append(' ').append(H).append("\" role=\"img\">\n")
                .append("<rect x=\"").append(ML).append("\" y=\"").append(MT).append("\" width=\"").append(pw)
                .append("\" height=\"").append(ph).append("\" fill=\"#fff\" stroke=\"#bbb\"/>\n");
        for (double y = 0; y <= yMax + yStep / 2; y += yStep) {
            double py = MT + ph - y / yMax * ph;
            sb.append(line(ML, py, ML + pw, py, "#eee")).append(text(ML - 6, py + 4, "end", tick(y)));
        }
        for (double x = 0; x <= xMax + xStep / 2; x += xStep) {
            double px = ML + x / xMax * pw;
            sb.append(line(px, MT, px, MT + ph, "#f2f2f2")).append(text(px, MT + ph + 16, "middle", tick(x)));
        }
        sb.append(text(ML + pw / 2.0, H - 6, "middle", "seconds")).append(text(12, MT - 12, "start", unit));
        for (int i = 0; i < series.size(); i++) {
            Series s = series.get(i);
            String color = COLORS[i % COLORS.length];
            StringBuilder pts = new StringBuilder();
            // a step per interval: the value holds from the interval's start to its end
            for (int k = 0; k < s.ys().size() && k < xs.size(); k++) {
                Double y = s.ys().get(k);
                if (y == null) {
                    polyline(sb, pts, color);
                    continue;
                }
                double py = MT + ph - Math.min(y, yMax) / yMax * ph;
                double px0 = ML + (k == 0 ? 0 : xs.get(k - 1)) / xMax * pw;
                double px1 = ML + xs.get(k) / xMax * pw;
                pts.append(fmt2(px0)).append(',').append(fmt2(py)).append(' ')
                        .append(fmt2(px1)).append(',').append(fmt2(py)).append(' ');
            }
            polyline(sb, pts, color);
            double lx = ML + 10 + i * 150;
            sb.append("<rect x=\"").append(fmt2(lx)).append("\" y=\"").append(MT - 22).append("\" width=\"14\" ")
                    .append("height=\"4\" fill=\"").append(color).append("\"/>")
                    .append(text(lx + 18, MT - 16, "start", s.name())).append('\n');
        }
        sb.append("</svg>\n");
    }

    /** Percentile spectrum: x is log10(1 / (1 - p)), so 90, 99, 99.9 ... are equally spaced. */
    private static void spectrumChart(StringBuilder sb, Report r) {
        List<Report.Latency> ls = List.of(r.latencyMs(), r.latencyAdmittedMs());
        List<String> names = List.of("all answers", "200/202/502");
        if (r.latencyMs().count() == 0) {
            return;
        }
        double xMax = 5; // 99.999 %
        double yMaxRaw = 0;
        for (Report.Latency l : ls) {
            for (Report.Point p : l.spectrum()) {
                if (p.percentile() < 100) {
                    yMaxRaw = Math.max(yMaxRaw, p.ms());
                }
            }
        }
        double yStep = niceStep(yMaxRaw <= 0 ? 1 : yMaxRaw / 5);
        double yMax = Math.max(yStep, Math.ceil(yMaxRaw / yStep) * yStep);
        int pw = W - ML - MR;
        int ph = H - MT - MB;
        sb.append("<h2>Latency by percentile (ms)</h2>\n<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"").append(W)
                .append("\" height=\"").append(H).append("\" viewBox=\"0 0 ").append(W).append(' ').append(H)
                .append("\" role=\"img\">\n<rect x=\"").append(ML).append("\" y=\"").append(MT).append("\" width=\"")
                .append(pw).append("\" height=\"").append(ph).append("\" fill=\"#fff\" stroke=\"#bbb\"/>\n");
        for (double y = 0; y <= yMax + yStep / 2; y += yStep) {
            double py = MT + ph - y / yMax * ph;
            sb.append(line(ML, py, ML + pw, py, "#eee")).append(text(ML - 6, py + 4, "end", tick(y)));
        }
        String[] labels = {"0%", "90%", "99%", "99.9%", "99.99%", "99.999%"};
        for (int i = 0; i <= 5; i++) {
            double px = ML + i / xMax * pw;
            sb.append(line(px, MT, px, MT + ph, "#f2f2f2")).append(text(px, MT + ph + 16, "middle", labels[i]));
        }
        sb.append(text(ML + pw / 2.0, H - 6, "middle", "percentile")).append(text(12, MT - 12, "start", "ms"));
        for (int i = 0; i < ls.size(); i++) {
            String color = COLORS[i % COLORS.length];
            StringBuilder pts = new StringBuilder();
            for (Report.Point p : ls.get(i).spectrum()) {
                if (p.percentile() >= 100) {
                    continue;
                }
                double x = Math.log10(1 / (1 - p.percentile() / 100.0));
                double px = ML + Math.min(x, xMax) / xMax * pw;
                double py = MT + ph - Math.min(p.ms(), yMax) / yMax * ph;
                pts.append(fmt2(px)).append(',').append(fmt2(py)).append(' ');
            }
            polyline(sb, pts, color);
            double lx = ML + 10 + i * 150;
            sb.append("<rect x=\"").append(fmt2(lx)).append("\" y=\"").append(MT - 22).append("\" width=\"14\" ")
                    .append("height=\"4\" fill=\"").append(color).append("\"/>")
                    .append(text(lx + 18, MT - 16, "start", names.get(i))).append('\n');
        }
        sb.append("</svg>\n");
    }

    private static void polyline(StringBuilder sb, StringBuilder pts, String color) {
        if (pts.length() > 0) {
            sb.append("<polyline fill=\"none\" stroke=\"").append(color).append("\" stroke-width=\"1.6\" points=\"")
                    .append(pts.toString().trim()).append("\"/>\n");
            pts.setLength(0);
        }
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[]{1, 2, 5, 10}) {
            if (m * p >= raw) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String line(double x1, double y1, double x2, double y2, String color) {
        return "<line x1=\"" + fmt2(x1) + "\" y1=\"" + fmt2(y1) + "\" x2=\"" + fmt2(x2) + "\" y2=\"" + fmt2(y2)
                + "\" stroke=\"" + color + "\"/>";
    }

    private static String text(double x, double y, String anchor, String s) {
        return "<text x=\"" + fmt2(x) + "\" y=\"" + fmt2(y) + "\" text-anchor=\"" + anchor + "\">" + esc(s) + "</text>";
    }

    private static void row(StringBuilder sb, String k, String v) {
        sb.append("<tr><th class=\"l\">").append(esc(k)).append("</th><td class=\"l\">").append(esc(v))
                .append("</td></tr>\n");
    }

    private static void latencyRow(StringBuilder sb, String label, Report.Latency l) {
        sb.append("<tr><td class=\"l\">").append(esc(label)).append("</td><td>").append(l.count()).append("</td>");
        for (double v : new double[]{l.p50(), l.p90(), l.p99(), l.p999(), l.max(), l.mean()}) {
            sb.append("<td>").append(l.count() == 0 ? "-" : fmt(v)).append("</td>");
        }
        sb.append("</tr>\n");
    }

    private static String mapText(Map<String, ?> m) {
        return m.isEmpty() ? "" : m.toString();
    }

    private static String fmt(double v) {
        if (v == Math.rint(v) && Math.abs(v) < 1e15) {
            return Long.toString((long) v);
        }
        return String.format(Locale.ROOT, Math.abs(v) >= 100 ? "%.1f" : "%.2f", v);
    }

    /** An axis label: at most three decimals, no trailing zeros. */
    private static String tick(double v) {
        String t = String.format(Locale.ROOT, "%.3f", v);
        t = t.replaceAll("0+$", "");
        return t.endsWith(".") ? t.substring(0, t.length() - 1) : t;
    }

    private static String fmt2(double v) {
        return String.format(Locale.ROOT, "%.1f", v);
    }

    static String esc(String s) {
        if (s == null) {
            return "";
        }
        StringBuilder b = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }
}
