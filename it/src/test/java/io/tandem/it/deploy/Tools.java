package io.tandem.it.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/** Where the repository and the test logs are, and which outside tools (docker-compose, haproxy) are present. */
final class Tools {
    private Tools() {
    }

    /** The repository root (failsafe passes it as {@code tandem.root}). */
    static Path root() {
        String p = System.getProperty("tandem.root");
        Path root = (p != null ? Path.of(p) : Path.of("..")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(root.resolve("docker/docker-compose.yml"))) {
            throw new IllegalStateException("no docker/docker-compose.yml under " + root);
        }
        return root;
    }

    /** A fresh (emptied) directory for one test's process logs, under it/target/deploy-logs/; kept after the run. */
    static Path logDir(String test) {
        Path dir = root().resolve("it/target/deploy-logs").resolve(test);
        try {
            if (Files.isDirectory(dir)) {
                try (var files = Files.walk(dir)) {
                    for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(f);
                    }
                }
            }
            Files.createDirectories(dir);
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare " + dir, e);
        }
        return dir;
    }

    /** The absolute path of a command on the PATH (or in the sbin directories, where haproxy lives), or null. */
    static Path which(String command) {
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin") + ":/usr/local/sbin:/usr/sbin:/sbin";
        for (String dir : path.split(":")) {
            Path p = Path.of(dir, command);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }

    /**
     * A tool the test cannot run without: missing, the test is skipped with a message on a developer's machine and
     * fails in CI (CI=true), where .ci/run installs it.
     */
    static Path require(String command, String aptPackage) {
        Path p = which(command);
        if (p == null) {
            String msg = command + " is not installed (apt-get install " + aptPackage + ")";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(msg + "; CI must have it");
            }
            Assumptions.abort(msg + "; skipped outside CI");
        }
        return p;
    }

    /** What a finished command printed (stdout and stderr together) and its exit code. */
    record Result(int exit, String output) {
    }

    /**
     * Runs a command to completion within {@code timeout}, its output also written to {@code log}; on timeout the
     * process is destroyed and the test fails.
     */
    static Result run(List<String> command, Map<String, String> extraEnv, Duration timeout, Path log) {
        ProcessBuilder pb = new ProcessBuilder(command).directory(root().toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        pb.environment().putAll(extraEnv);
        Process p = null;
        try {
            p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                Assertions.fail("timed out after " + timeout.toSeconds() + " s: " + command + " (output in " + log + ")");
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    /** The packaged launcher, http/target/tandem.jar. */
    static Path jar() {
        String p = System.getProperty("tandem.jar");
        Path jar = (p != null ? Path.of(p) : root().resolve("http/target/tandem.jar")).toAbsolutePath().normalize();
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar + " is missing (mvn package first)");
        }
        return jar;
    }

    /**
     * The image's ENTRYPOINT from docker/Dockerfile, with this machine's java and the packaged jar in place of the
     * image's, and a heap cap before {@code -jar}: test processes start with the JVM flags containers get.
     */
    static List<String> imageEntrypoint(String maxHeap) {
        try {
            String line = Files.readAllLines(root().resolve("docker/Dockerfile")).stream()
                    .filter(l -> l.startsWith("ENTRYPOINT [")).findFirst()
                    .orElseThrow(() -> new IllegalStateException("docker/Dockerfile has no exec-form ENTRYPOINT"));
            List<String> cmd = new java.util.ArrayList<>();
            for (var e : com.google.gson.JsonParser.parseString(line.substring("ENTRYPOINT".length()).trim())
                    .getAsJsonArray()) {
                String arg = e.getAsString();
                if (arg.equals("java")) {
                    arg = Path.of(System.getProperty("java.home"), "bin", "java").toString();
                } else if (arg.equals("-jar")) {
                    cmd.add("-Xmx" + maxHeap);
                } else if (arg.equals("/opt/tandem/tandem.jar")) {
                    arg = jar().toString();
                }
                cmd.add(arg);
            }
            if (!cmd.contains(jar().toString())) {
                throw new IllegalStateException("the ENTRYPOINT does not run /opt/tandem/tandem.jar: " + line);
            }
            return cmd;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read docker/Dockerfile", e);
        }
    }

    static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /**
     * Processes that get their own view of /etc/resolv.conf or of /var/run/secrets need root and unshare; without
     * them the test is skipped with a message on a developer's machine and fails in CI (which runs as root).
     */
    static void requireRootAndUnshare() {
        require("unshare", "util-linux");
        if (!isRoot()) {
            String msg = "needs root: test processes get their own mount namespace (unshare --mount)";
            if ("true".equals(System.getenv("CI"))) {
                Assertions.fail(msg);
            }
            Assumptions.abort(msg + "; skipped outside CI");
        }
    }
}
