package io.tandem.it.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * What the system benchmark reads from and does to this (Linux) host: CPU time per process and per core from
 * procfs, context switches per process, CPU affinity with {@code taskset}, and a JVM's count of started threads
 * with {@code jcmd}. Stateless; thread-safe.
 */
final class Host {
    /** Clock ticks per second of procfs times ({@code getconf CLK_TCK}; 100 on every Linux this runs on). */
    static final long HZ = clockTicks();

    private Host() {
    }

    /** CPU and scheduling figures of one process so far. */
    record ProcTimes(long userTicks, long sysTicks, long voluntarySwitches, long involuntarySwitches) {
        ProcTimes minus(ProcTimes o) {
            return new ProcTimes(userTicks - o.userTicks, sysTicks - o.sysTicks,
                    voluntarySwitches - o.voluntarySwitches, involuntarySwitches - o.involuntarySwitches);
        }

        double cpuSeconds() {
            return (userTicks + sysTicks) / (double) HZ;
        }

        double sysSeconds() {
            return sysTicks / (double) HZ;
        }

        long switches() {
            return voluntarySwitches + involuntarySwitches;
        }
    }

    /** Busy and total ticks of one core so far (busy: everything but idle and iowait). */
    record CoreTicks(long busy, long total) {
        CoreTicks minus(CoreTicks o) {
            return new CoreTicks(busy - o.busy, total - o.total);
        }

        double busyShare() {
            return total <= 0 ? 0 : busy / (double) total;
        }
    }

    /** The online cores, as /proc/stat lists them ({@code cpu0}, {@code cpu1}, ...). */
    static int cores() {
        return coreTicks().size();
    }

    static List<CoreTicks> coreTicks() {
        List<CoreTicks> out = new ArrayList<>();
        for (String line : read(Path.of("/proc/stat")).split("\n")) {
            if (line.startsWith("cpu") && line.length() > 3 && Character.isDigit(line.charAt(3))) {
                String[] f = line.trim().split("\\s+");
                long total = 0;
                long idle = 0;
                // user nice system idle iowait irq softirq steal (guest time is already in user)
                for (int i = 1; i <= Math.min(8, f.length - 1); i++) {
                    long v = Long.parseLong(f[i]);
                    total += v;
                    if (i == 4 || i == 5) {
                        idle += v;
                    }
                }
                out.add(new CoreTicks(total - idle, total));
            }
        }
        return out;
    }

    /** The process's user and system time and the context switches of its live threads. */
    static ProcTimes times(long pid) {
        String stat = read(Path.of("/proc/" + pid + "/stat"));
        // the command name may hold spaces and parentheses: fields start after the last ')'
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        long utime = Long.parseLong(f[11]);
        long stime = Long.parseLong(f[12]);
        long voluntary = 0;
        long involuntary = 0;
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(Path.of("/proc/" + pid + "/task"))) {
            for (Path t : tasks) {
                String status;
                try {
                    status = Files.readString(t.resolve("status"), StandardCharsets.UTF_8);
                } catch (IOException e) {
                    continue; // the thread ended meanwhile
                }
                for (String line : status.split("\n")) {
                    if (line.startsWith("voluntary_ctxt_switches:")) {
                        voluntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    } else if (line.startsWith("nonvoluntary_ctxt_switches:")) {
                        involuntary += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new ProcTimes(utime, stime, voluntary, involuntary);
    }

    /** True when {@code taskset} can be run. */
    static boolean canPin() {
        try {
            return run(List.of("taskset", "-p", Long.toString(ProcessHandle.current().pid()))).exit == 0;
        } catch (IllegalStateException e) {
            return false;
        }
    }

    /** Moves every thread of {@code pid} to the cores {@code cpus} (taskset list syntax, e.g. "1" or "0-1"). */
    static void pin(long pid, String cpus) {
        Result r = run(List.of("taskset", "-a", "-p", "-c", cpus, Long.toString(pid)));
        if (r.exit != 0) {
            throw new IllegalStateException("taskset -a -p -c " + cpus + " " + pid + " failed: " + r.output);
        }
    }

    /**
     * {@code java.threads.started} of each JVM (from {@code jcmd <pid> PerfCounter.print}), asked of all at once;
     * -1 for one that did not answer.
     */
    static Map<Long, Long> threadsStarted(List<Long> pids) {
        Map<Long, Process> running = new LinkedHashMap<>();
        for (long pid : pids) {
            try {
                running.put(pid, new ProcessBuilder("jcmd", Long.toString(pid), "PerfCounter.print")
                        .redirectErrorStream(true).start());
            } catch (IOException e) {
                running.put(pid, null);
            }
        }
        Map<Long, Long> out = new LinkedHashMap<>();
        for (Map.Entry<Long, Process> e : running.entrySet()) {
            long started = -1;
            if (e.getValue() != null) {
                try {
                    String text = new String(e.getValue().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                    e.getValue().waitFor(30, TimeUnit.SECONDS);
                    for (String line : text.split("\n")) {
                        if (line.startsWith("java.threads.started=")) {
                            started = Long.parseLong(line.substring(line.indexOf('=') + 1).trim());
                        }
                    }
                } catch (IOException | NumberFormatException ex) {
                    started = -1;
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }
            out.put(e.getKey(), started);
        }
        return out;
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, out);
            }
            return new Result(p.exitValue(), out);
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + cmd + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + cmd, e);
        }
    }

    private static long clockTicks() {
        try {
            Result r = run(List.of("getconf", "CLK_TCK"));
            return r.exit == 0 ? Long.parseLong(r.output.trim()) : 100;
        } catch (RuntimeException e) {
            return 100;
        }
    }

    private static String read(Path p) {
        try {
            return Files.readString(p, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
