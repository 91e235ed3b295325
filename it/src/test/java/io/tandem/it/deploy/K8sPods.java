package io.tandem.it.deploy;

import com.google.gson.JsonObject;
import io.tandem.it.harness.Http;
import io.tandem.it.harness.Wait;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The workloads of docker/k8s/ (its kustomize base, docker/k8s/base/) run as processes on loopback, each "pod" with
 * the environment its manifest gives it: fieldRefs resolved to the pod's name, namespace and IP, secretKeyRefs and
 * the mounted secret files from a Secret the test makes up. The only change: BIND_ADDR, which the manifests set to
 * 0.0.0.0, becomes the pod's own loopback address, because every pod here shares one host. Not thread-safe.
 */
final class K8sPods implements AutoCloseable {
    static final String NAMESPACE = "tandem-it";

    private final Path logDir;
    private final List<JsonObject> docs;
    private final Map<String, String> secrets = new LinkedHashMap<>();
    private final Path secretDir;
    private final List<Launched> started = new ArrayList<>();

    K8sPods(Path logDir) throws IOException {
        this.logDir = logDir;
        this.docs = Yaml.directory(Tools.root().resolve("docker/k8s/base"));
        SecureRandom random = new SecureRandom();
        byte[] b = new byte[32];
        random.nextBytes(b);
        secrets.put("cluster-secret", HexFormat.of().formatHex(b));
        random.nextBytes(b);
        secrets.put("admin-token", HexFormat.of().formatHex(b, 0, 16));
        secrets.put("auth.txt", Files.readString(Tools.root().resolve("docker/auth.txt")));
        // the mounted Secret volume: one file per key
        secretDir = Files.createDirectories(logDir.resolve("secret"));
        for (Map.Entry<String, String> e : secrets.entrySet()) {
            Files.writeString(secretDir.resolve(e.getKey()), e.getValue());
        }
    }

    List<JsonObject> docs() {
        return docs;
    }

    JsonObject controllers() {
        return Yaml.find(docs, "Deployment", "tandem-controller");
    }

    JsonObject invokers() {
        return Yaml.find(docs, "StatefulSet", "tandem-invoker");
    }

    String adminToken() {
        return secrets.get("admin-token");
    }

    /** The guest credentials of docker/auth.txt ({@code uuid:key}). */
    String guestKey() {
        for (String line : secrets.get("auth.txt").split("\n")) {
            if (line.startsWith("guest ")) {
                return line.substring("guest ".length()).trim();
            }
        }
        throw new IllegalStateException("docker/auth.txt has no guest line");
    }

    /** The environment a controller pod of that name and IP gets from the manifests. */
    Map<String, String> controllerEnv(String podName, String podIp) {
        return podEnv(controllers(), "controller", podName, podIp);
    }

    Map<String, String> invokerEnv(String podName, String podIp) {
        return podEnv(invokers(), "invoker", podName, podIp);
    }

    private Map<String, String> podEnv(JsonObject workload, String container, String podName, String podIp) {
        Map<String, String> env = Yaml.podEnv(workload, Yaml.container(workload, container), podName, NAMESPACE,
                podIp, secrets, secretDir);
        if ("0.0.0.0".equals(env.get("BIND_ADDR"))) {
            env.put("BIND_ADDR", podIp);
        }
        env.put("HOSTNAME", podName); // every pod's host name is its name
        return env;
    }

    Launched start(String name, Map<String, String> env, Launched.Sandbox sandbox) {
        Launched p = Launched.start(name, Tools.imageEntrypoint("256m"), env, logDir, sandbox);
        started.add(p);
        return p;
    }

    /** Waits until {@code GET /ready} on the admin port answers 200. */
    static void awaitReady(Launched p, String adminUrl, Duration timeout) {
        Wait.until(timeout, Duration.ofMillis(250), () -> {
            if (!p.isAlive()) {
                throw new AssertionError(p + " exited with " + p.exitValue() + ":\n" + tail(p));
            }
            return Http.get(adminUrl + "/ready", null).status() == 200;
        }, () -> p + " to be ready; last /ready: " + Http.get(adminUrl + "/ready", null).body());
    }

    /** The controller ids in the view that {@code GET /cluster} reports. */
    static List<String> members(String adminUrl, String token) {
        Http.Response r = Http.get(adminUrl + "/cluster", "Bearer " + token);
        if (r.status() != 200) {
            throw new AssertionError("/cluster of " + adminUrl + " answered " + r.status() + ": " + r.body());
        }
        List<String> ids = new ArrayList<>();
        for (var m : r.json().getAsJsonObject("replicator").getAsJsonArray("members")) {
            ids.add(m.getAsJsonObject().get("controllerId").getAsString());
        }
        return ids;
    }

    static String tail(Launched p) {
        String[] lines = p.logText().split("\n");
        return String.join("\n", java.util.Arrays.asList(lines).subList(Math.max(0, lines.length - 30), lines.length));
    }

    List<Launched> started() {
        return List.copyOf(started);
    }

    /** SIGTERM to every pod, SIGKILL to those still draining after 3 s: teardown, not a test of the leave. */
    @Override
    public void close() {
        for (Launched p : started) {
            p.term();
        }
        for (Launched p : started) {
            p.stop(Duration.ofSeconds(3));
        }
    }
}
