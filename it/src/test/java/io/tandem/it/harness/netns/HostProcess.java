package io.tandem.it.harness.netns;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One JVM started inside a host's network namespace with {@code ip netns exec}, with its own log file (appended
 * to across restarts, kept after the run). Signals go to the java process itself: should {@code ip netns exec}
 * ever fork instead of exec, the java pid is found among the started process's descendants. Not thread-safe.
 */
public final class HostProcess {
    private final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private Process process;
    private long javaPid = -1;

    HostProcess(String name, List<String> command, Map<String, String> env, Path log) {
        this.name = name;
        this.command = List.copyOf(command);
        this.env = Map.copyOf(env);
        this.log = log;
    }

    public void start() {
        if (isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Files.createDirectories(log.getParent());
            StringBuilder sb = new StringBuilder("=== start " + name + " at " + java.time.Instant.now() + ": "
                    + String.join(" ", command) + " env ");
            env.forEach((k, v) -> sb.append(k).append('=')
                    .append(k.contains("SECRET") || k.contains("TOKEN") ? "***" : v).append(' '));
            Files.writeString(log, sb.append('\n').toString(), StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            process = pb.start();
            javaPid = -1;
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
    }

    public Path log() {
        return log;
    }

    public boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** The pid of the java process (not of {@code ip netns exec}, should that have forked). */
    public long javaPid() {
        if (javaPid > 0) {
            return javaPid;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (isJava(process.toHandle())) {
                javaPid = process.pid();
                return javaPid;
            }
            Optional<ProcessHandle> child = process.descendants().filter(HostProcess::isJava).findFirst();
            if (child.isPresent()) {
                javaPid = child.get().pid();
                return javaPid;
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        throw new IllegalStateException("no java process under " + name + " (pid " + process.pid() + ")");
    }

    private static boolean isJava(ProcessHandle h) {
        return h.info().command().map(c -> c.endsWith("/java")).orElse(false);
    }

    /** kill -9 of the JVM, then waits until it is gone. */
    public void kill9() {
        if (!isAlive()) {
            return;
        }
        signal("KILL");
        if (!waitExit(Duration.ofSeconds(15))) {
            process.destroyForcibly();
            waitExit(Duration.ofSeconds(5));
        }
    }

    public void term() {
        signal("TERM");
    }

    public void pause() {
        signal("STOP");
    }

    public void resume() {
        signal("CONT");
    }

    public boolean waitExit(Duration timeout) {
        if (process == null) {
            return true;
        }
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Stops the process whatever its state (SIGCONT first, in case it is paused). */
    public void destroy() {
        if (isAlive()) {
            signal("CONT");
            signal("KILL");
            process.destroyForcibly();
            waitExit(Duration.ofSeconds(10));
        }
    }

    private void signal(String sig) {
        if (!isAlive()) {
            return;
        }
        long pid = javaPid();
        try {
            Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(pid)).redirectErrorStream(true).start();
            k.getInputStream().readAllBytes();
            if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
                throw new IllegalStateException("kill -" + sig + " " + pid + " (" + name + ") failed");
            }
        } catch (IOException e) {
            throw new IllegalStateException("kill -" + sig + " " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** How many lines of the log (every start of this host) contain {@code text}. */
    public long countLogLines(String text) {
        try {
            if (!Files.exists(log)) {
                return 0;
            }
            try (var lines = Files.lines(log)) {
                return lines.filter(l -> l.contains(text)).count();
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new IllegalStateException("cannot read log " + log + ": " + e, e);
        }
    }

    /** Lines of the log at level ERROR/SEVERE, or an uncaught exception. */
    public List<String> errorLines() {
        List<String> out = new ArrayList<>();
        try {
            if (Files.exists(log)) {
                for (String line : Files.readAllLines(log)) {
                    if (line.contains("SEVERE") || line.contains(" ERROR ") || line.contains("Exception in thread")) {
                        out.add(line);
                    }
                }
            }
        } catch (IOException e) {
            out.add("cannot read log " + log + ": " + e);
        }
        return out;
    }
}
