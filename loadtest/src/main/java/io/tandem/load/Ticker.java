package io.tandem.load;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.IntSupplier;
import org.HdrHistogram.Histogram;

/**
 * Once a second of the measured run: closes an interval of {@link Tally} into a {@link Report.Second} and prints the
 * progress line. Called by the scheduler while the load runs, and once more by the main thread for the last,
 * partial interval after the scheduler stopped calling it; {@link #tick} is synchronized so the two never overlap.
 */
final class Ticker {
    private final Tally tally;
    private final PrintStream out;
    private final IntSupplier inflight;
    private final long measureStartNs;
    private final List<Report.Second> seconds = new ArrayList<>();
    private Tally.Counts last = new Tally.Counts(0, 0, 0, 0, 0, 0, 0, 0);
    private long lastNs;
    private long lastCpuNs;

    Ticker(Tally tally, PrintStream out, IntSupplier inflight, long measureStartNs) {
        this.tally = tally;
        this.out = out;
        this.inflight = inflight;
        this.measureStartNs = measureStartNs;
        this.lastNs = measureStartNs;
        this.lastCpuNs = ProcessCpu.nanos();
    }

    /** Resets the CPU baseline at the start of the measured window. */
    synchronized void begin() {
        lastCpuNs = ProcessCpu.nanos();
        lastNs = Math.max(lastNs, System.nanoTime());
    }

    synchronized void tick() {
        long now = System.nanoTime();
        long cpu = ProcessCpu.nanos();
        Tally.Counts c = tally.snapshot();
        Histogram admitted = tally.intervalAdmitted();
        tally.intervalAll();
        tally.intervalLag();
        double wallNs = Math.max(1, now - lastNs);
        double cpuPercent = cpu < 0 || lastCpuNs < 0 ? 0
                : Report.round(100.0 * (cpu - lastCpuNs) / (wallNs * ProcessCpu.cores()));
        boolean any = admitted.getTotalCount() > 0;
        Report.Second s = new Report.Second(Report.round((now - measureStartNs) / 1e9),
                c.sent() - last.sent(), c.answered() - last.answered(), c.ok() - last.ok(),
                c.rateLimited() - last.rateLimited(), c.appErrors() - last.appErrors(), c.errors() - last.errors(),
                c.dropped() - last.dropped(),
                any ? Report.ms(admitted.getValueAtPercentile(50)) : null,
                any ? Report.ms(admitted.getValueAtPercentile(90)) : null,
                any ? Report.ms(admitted.getValueAtPercentile(99)) : null,
                any ? Report.ms(admitted.getMaxValue()) : null, cpuPercent);
        seconds.add(s);
        if (out != null) {
            double rps = (c.answered() - last.answered()) * 1e9 / wallNs;
            out.printf(Locale.ROOT, "[%6.1fs] sent %d  %.0f rps  ok %d  429s %d  errors %d%s  in flight %d  p99 %s%n",
                    s.t(), c.sent(), rps, c.ok(), c.rateLimited(), c.errors(),
                    c.dropped() > 0 ? "  DROPPED " + c.dropped() : "", inflight.getAsInt(),
                    tally.admitted.getTotalCount() == 0 ? "-"
                            : String.format(Locale.ROOT, "%.2fms", Report.ms(tally.admitted.getValueAtPercentile(99))));
            out.flush();
        }
        last = c;
        lastNs = now;
        lastCpuNs = cpu;
    }

    synchronized List<Report.Second> seconds() {
        return List.copyOf(seconds);
    }
}
