package io.tandem.it.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One process started by a deployment test, with its own log file (kept under it/target/deploy-logs/). Only the
 * variables passed (and PATH) are in its environment.
 *
 * <p>A {@link Sandbox} gives the process what a container or a pod would see, without touching the machine: it runs
 * in its own mount namespace (util-linux {@code unshare --mount}, private propagation, so nothing shows outside)
 * where /etc/resolv.conf names the test's DNS server, and/or where the service-account CA certificate and token sit
 * at the path every Kubernetes pod has them. That needs root. Not thread-safe.
 */
final class Launched implements AutoCloseable {
    /** The pod-like view of the file system; null fields are left as on the host. */
    record Sandbox(Path resolvConf, Path serviceAccountDir) {
        static final Sandbox NONE = new Sandbox(null, null);

        static Sandbox dns(Path resolvConf) {
            return new Sandbox(resolvConf, null);
        }

        static Sandbox pod(Path serviceAccountDir) {
            return new Sandbox(null, serviceAccountDir);
        }

        boolean isNone() {
            return resolvConf == null && serviceAccountDir == null;
        }

        /** The shell lines that set it up before {@code exec}. */
        String script() {
            StringBuilder sh = new StringBuilder("set -e\n");
            if (resolvConf != null) {
                sh.append("mount --bind ").append(quote(resolvConf)).append(" /etc/resolv.conf\n");
            }
            if (serviceAccountDir != null) {
                // /var/run is /run; a private tmpfs there holds /var/run/secrets/kubernetes.io/serviceaccount
                sh.append("mount -t tmpfs -o size=1m,mode=0755 pod-run /run\n")
                        .append("mkdir -p /run/secrets/kubernetes.io/serviceaccount\n")
                        .append("cp ").append(quote(serviceAccountDir.resolve("ca.crt"))).append(' ')
                        .append(quote(serviceAccountDir.resolve("token")))
                        .append(" /run/secrets/kubernetes.io/serviceaccount/\n");
            }
            return sh.append("exec \"$@\"\n").toString();
        }

        private static String quote(Path p) {
            return "'" + p.toAbsolutePath().toString().replace("'", "'\\''") + "'";
        }
    }

    private final String name;
    private final Process process;
    private final Path log;

    private Launched(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static Launched start(String name, List<String> command, Map<String, String> env, Path logDir, Sandbox sandbox) {
        List<String> cmd = new ArrayList<>();
        if (!sandbox.isNone()) {
            cmd.addAll(List.of("unshare", "--mount", "--propagation", "private", "sh", "-c", sandbox.script(), name));
        }
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(Tools.root().toFile());
        pb.environment().clear();
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        pb.environment().putAll(env);
        Path log = logDir.resolve(name + ".log");
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        try {
            StringBuilder header = new StringBuilder("=== start " + name + ": " + String.join(" ", command) + "\n");
            env.forEach((k, v) -> header.append("=== env ").append(k).append('=')
                    .append(k.contains("SECRET") || k.contains("TOKEN") ? "***" : v).append('\n'));
            Files.writeString(log, header, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            return new Launched(name, pb.start(), log);
        } catch (IOException e) {
            throw new IllegalStateException("cannot start " + name + ": " + cmd, e);
        }
    }

    String name() {
        return name;
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM (the JVM is the process itself: unshare and sh exec into it). */
    void term() {
        process.destroy();
    }

    boolean waitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    int exitValue() {
        return process.exitValue();
    }

    String logText() {
        try {
            return Files.readString(log, StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "cannot read " + log + ": " + e;
        }
    }

    /** Log lines at error level: a test fails when a process logged an error it did not expect. */
    List<String> errorLines() {
        List<String> out = new ArrayList<>();
        for (String line : logText().split("\n")) {
            if (line.contains("SEVERE") || line.contains(" ERROR ") || line.contains("Exception in thread")) {
                out.add(line);
            }
        }
        return out;
    }

    /** SIGTERM, then SIGKILL if it is still running after {@code grace}. */
    void stop(Duration grace) {
        if (process.isAlive()) {
            process.destroy();
            if (!waitExit(grace)) {
                process.destroyForcibly();
                waitExit(Duration.ofSeconds(10));
            }
        }
    }

    @Override
    public void close() {
        stop(Duration.ofSeconds(10));
    }

    @Override
    public String toString() {
        return name + " (log " + log + ")";
    }
}
