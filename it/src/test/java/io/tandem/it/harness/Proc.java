package io.tandem.it.harness;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One real process (a controller or an invoker) started from the shaded jar, with its own log file. The log is
 * kept under {@code it/target/logs/<test>/}. Not thread-safe.
 */
public final class Proc {
    private final String name;
    private final Map<String, String> env;
    private final Path log;
    private final List<String> jvmArgs;
    private Process process;

    Proc(String name, Map<String, String> env, Path log, List<String> jvmArgs) {
        this.name = name;
        this.env = Map.copyOf(env);
        this.log = log;
        this.jvmArgs = List.copyOf(jvmArgs);
    }

    public static Path jar() {
        String p = System.getProperty("tandem.jar");
        Path jar = p != null ? Path.of(p) : Path.of("../http/target/tandem.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("tandem.jar not found at " + jar.toAbsolutePath()
                    + " (run mvn package first)");
        }
        return jar;
    }

    public synchronized Proc start() {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        cmd.add("-jar");
        cmd.add(jar().toAbsolutePath().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        pb.environment().putAll(env);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            Files.createDirectories(log.getParent());
            Files.writeString(log, "=== start " + name + " env " + redacted() + "\n",
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
            process = pb.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name, e);
        }
        return this;
    }

    private String redacted() {
        StringBuilder sb = new StringBuilder();
        env.forEach((k, v) -> sb.append(k).append('=')
                .append(k.contains("SECRET") || k.contains("TOKEN") || k.equals("AUTH") ? "***" : v).append(' '));
        return sb.toString();
    }

    public String name() {
        return name;
    }

    public Map<String, String> env() {
        return env;
    }

    public Path log() {
        return log;
    }

    public synchronized long pid() {
        return process.pid();
    }

    public synchronized boolean isAlive() {
        return process != null && process.isAlive();
    }

    /** kill -9: no shutdown hook runs, sockets are closed by the kernel. */
    public synchronized void kill9() {
        signal("KILL");
        waitExit(Duration.ofSeconds(10));
    }

    /** SIGTERM: the graceful leave. */
    public synchronized void term() {
        signal("TERM");
    }

    public synchronized void pause() {
        signal("STOP");
    }

    public synchronized void resume() {
        signal("CONT");
    }

    public synchronized boolean waitExit(Duration timeout) {
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

    public synchronized int exitValue() {
        return process.exitValue();
    }

    /** Stops the process whatever its state (SIGCONT first, in case it is paused). */
    public synchronized void destroy() {
        if (process != null && process.isAlive()) {
            signal("CONT");
            process.destroyForcibly();
            waitExit(Duration.ofSeconds(10));
        }
    }

    private void signal(String sig) {
        if (process == null || !process.isAlive()) {
            return;
        }
        try {
            Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).start();
            k.waitFor(5, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw new IllegalStateException("kill -" + sig + " " + name, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Lines of this process's log at level SEVERE/ERROR (a test fails if a node logged an error). */
    public List<String> errorLines() {
        try {
            if (!Files.exists(log)) {
                return List.of();
            }
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(log)) {
                // JGroups' reports of a connection a killed peer broke are WARN (ControllerLogging), not ERROR
                if (line.contains("SEVERE") || line.contains(" ERROR ") || line.contains("Exception in thread")) {
                    out.add(line);
                }
            }
            return out;
        } catch (IOException e) {
            return List.of("cannot read log " + log + ": " + e);
        }
    }

    /** Thread count and open file descriptors, read from /proc. */
    public long threads() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid() + "/status"))) {
                if (line.startsWith("Threads:")) {
                    return Long.parseLong(line.substring(8).trim());
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return -1;
    }

    public long openFiles() {
        try (var s = Files.list(Path.of("/proc/" + pid() + "/fd"))) {
            return s.count();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
