package io.tandem.it.harness.netns;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tandem.it.harness.Http;
import io.tandem.it.harness.Wait;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Controllers and invokers as separate hosts: each runs in its own network namespace of a {@link Netns}, with the
 * environment a deployment gives it (its own BIND_ADDR, CLUSTER_MEMBERS naming every controller's address, INVOKERS
 * on their own addresses, default ports everywhere). Controller i is host {@code c<i>} at 10.77.K.(10+i), invoker j
 * host {@code i<j>} at 10.77.K.(20+j). Logs go to {@code it/target/logs/<test>/<host>.log}.
 *
 * <p>Script-like use: {@code cluster.start(); cluster.awaitReady(); cluster.net().isolate("c3"); ...}. Closing it
 * kills every process and removes every namespace and link; a JVM shutdown hook does the same if the test JVM dies.
 * Not thread-safe, except {@link Node#inRotation()} and the read-only admin calls, which load threads use.
 *
 * <p>Rotation: a controller is in the load's rotation once {@link Node#awaitReady} saw it ready, and leaves it when
 * {@link Node#kill9} kills it or it dies. With {@link Spec#readinessChecks(Duration)} the cluster also checks every
 * controller's {@code /ready} at that interval, as a front load balancer does: a controller whose last check did not
 * answer 200 (503 while it starts or leaves, or no answer) is out of rotation until a check answers 200 again.
 */
public final class NetnsCluster implements AutoCloseable {
    public static final String ADMIN_TOKEN = "faults-admin-token";

    private final Netns net;
    private final Path dir;
    private final List<Node> controllers = new ArrayList<>();
    private final List<Node> invokers = new ArrayList<>();
    private final Map<String, String> auth = new LinkedHashMap<>();
    private final Duration readinessChecks;
    private final List<Thread> checkers = new ArrayList<>();
    private volatile boolean checking;

    /** A controller or an invoker host: restartable on the same address with the same environment. */
    public final class Node {
        private final String host;
        private final String addr;
        private final HostProcess proc;
        private volatile boolean inRotation;
        /** The last readiness check (always true without {@link Spec#readinessChecks}). */
        private volatile boolean checkedReady = true;

        Node(String host, String addr, Map<String, String> env) {
            this.host = host;
            this.addr = addr;
            List<String> java = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx192m", "-XX:+UseSerialGC", "-Xss512k", "-XX:TieredStopAtLevel=1", "-jar",
                    jar().toAbsolutePath().toString());
            this.proc = new HostProcess(host, net.exec(host, java), env, dir.resolve(host + ".log"));
        }

        public String host() {
            return host;
        }

        public String addr() {
            return addr;
        }

        public String apiUrl() {
            return "http://" + addr + ":3233";
        }

        public String adminUrl() {
            return "http://" + addr + ":3234";
        }

        public String invokerUrl() {
            return "http://" + addr + ":8085";
        }

        public HostProcess proc() {
            return proc;
        }

        public boolean alive() {
            return proc.isAlive();
        }

        /** Whether the test's load (standing in for a front load balancer) sends requests here. */
        public boolean inRotation() {
            return inRotation && checkedReady && proc.isAlive();
        }

        public void setInRotation(boolean on) {
            inRotation = on;
        }

        public Node start() {
            if (readinessChecks != null) {
                checkedReady = false; // a new process is out of rotation until a check finds it ready
            }
            proc.start();
            return this;
        }

        /** Out of rotation, then kill -9. */
        public void kill9() {
            inRotation = false;
            proc.kill9();
        }

        public boolean ready() {
            return Http.get(adminUrl() + "/ready", null).status() == 200;
        }

        public Node awaitReady(Duration timeout) {
            Wait.until(timeout, Duration.ofMillis(100), this::ready, () -> host + " ready (log " + proc.log() + ")");
            inRotation = true;
            return this;
        }

        public JsonObject admin(String path) {
            Http.Response r = Http.get(adminUrl() + path, "Bearer " + ADMIN_TOKEN);
            if (r.status() != 200) {
                throw new IllegalStateException(host + " " + path + " answered " + r.status() + ": " + r.body());
            }
            return r.json();
        }

        public JsonObject bookkeeping() {
            return admin("/bookkeeping");
        }

        public JsonObject clusterInfo() {
            return admin("/cluster");
        }

        public String incarnation() {
            return bookkeeping().get("incarnation").getAsString();
        }

        /** A counter or gauge from /metrics (the first sample of that name). */
        public long metric(String name) {
            Http.Response r = Http.get(adminUrl() + "/metrics", "Bearer " + ADMIN_TOKEN);
            for (String line : r.body().split("\n")) {
                if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                    return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                }
            }
            throw new IllegalStateException("metric " + name + " not found on " + host);
        }

        /** The invoker's own run log: every activation id it started. */
        public List<String> runs() {
            Http.Response r = Http.get(invokerUrl() + "/v1/runs", null);
            if (r.status() != 200) {
                throw new IllegalStateException(host + " /v1/runs answered " + r.status());
            }
            List<String> out = new ArrayList<>();
            for (JsonElement e : r.json().getAsJsonArray("activationIds")) {
                out.add(e.getAsString());
            }
            return out;
        }

        /** Resets the invoker's high-water marks (the ground truth of what ran at once). */
        public void resetStats() {
            Http.Response r = Http.post(invokerUrl() + "/v1/stats/reset", null, "");
            if (r.status() != 200) {
                throw new IllegalStateException(host + " /v1/stats/reset answered " + r.status());
            }
        }

        /** The most activations of {@code namespace} this invoker ran at once since the last reset. */
        public long maxRunning(String namespace) {
            JsonObject ns = Http.get(invokerUrl() + "/v1/stats", null).json().getAsJsonObject("namespaces");
            JsonObject n = ns == null ? null : ns.getAsJsonObject(namespace);
            return n == null ? 0 : n.get("maxRunning").getAsLong();
        }
    }

    /** What varies between scenarios; everything else is what a deployment sets. */
    public static final class Spec {
        final String test;
        int controllers = 3;
        int invokers = 2;
        int invokerMemoryMb = 8192;
        int concurrencyLimit = 16;
        Duration fdTimeout = Duration.ofSeconds(8);
        Duration readinessChecks;
        final Map<String, String> controllerEnv = new LinkedHashMap<>();
        final Map<Integer, Map<String, String>> oneControllerEnv = new LinkedHashMap<>();

        public Spec(String test) {
            this.test = test;
        }

        public Spec controllers(int n) {
            controllers = n;
            return this;
        }

        public Spec invokers(int n) {
            invokers = n;
            return this;
        }

        public Spec concurrencyLimit(int n) {
            concurrencyLimit = n;
            return this;
        }

        public Spec fdTimeout(Duration d) {
            fdTimeout = d;
            return this;
        }

        public Spec controllerEnv(String k, String v) {
            controllerEnv.put(k, v);
            return this;
        }

        /** A variable for controller {@code i} only (over the defaults and {@link #controllerEnv(String, String)}). */
        public Spec controllerEnv(int i, String k, String v) {
            oneControllerEnv.computeIfAbsent(i, n -> new LinkedHashMap<>()).put(k, v);
            return this;
        }

        /** Check every controller's {@code /ready} at this interval and keep only ready ones in rotation. */
        public Spec readinessChecks(Duration interval) {
            readinessChecks = interval;
            return this;
        }
    }

    public NetnsCluster(Spec spec) {
        this.dir = Path.of("target", "logs", spec.test);
        this.readinessChecks = spec.readinessChecks;
        this.net = Netns.create();
        net.beforeClose(this::stopAll);
        try {
            // Logs of an earlier run of the same test go: a run's logs are its own (and kept after it).
            if (Files.isDirectory(dir)) {
                try (var old = Files.list(dir)) {
                    for (Path f : (Iterable<Path>) old::iterator) {
                        if (f.getFileName().toString().endsWith(".log")) {
                            Files.delete(f);
                        }
                    }
                }
            }
            Files.createDirectories(dir);
            Path authFile = dir.resolve("auth.txt");
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= 2; i++) {
                String key = UUID.randomUUID() + ":" + UUID.randomUUID().toString().replace("-", "")
                        + UUID.randomUUID().toString().replace("-", "");
                auth.put("ns" + i, key);
                sb.append("ns").append(i).append(' ').append(key).append('\n');
            }
            Files.writeString(authFile, sb.toString());

            StringBuilder invokerList = new StringBuilder();
            for (int j = 1; j <= spec.invokers; j++) {
                String host = "i" + j;
                String addr = net.addHost(host, 20 + j);
                Map<String, String> env = new LinkedHashMap<>();
                env.put("ROLE", "invoker");
                env.put("INVOKER_ID", "invoker" + j);
                env.put("BIND_ADDR", addr);
                env.put("INVOKER_MEMORY_MB", Integer.toString(spec.invokerMemoryMb));
                invokers.add(new Node(host, addr, env));
                invokerList.append(invokerList.length() == 0 ? "" : ",").append("invoker").append(j)
                        .append("=http://").append(addr).append(":8085=").append(spec.invokerMemoryMb);
            }
            StringBuilder members = new StringBuilder();
            for (int i = 1; i <= spec.controllers; i++) {
                members.append(members.length() == 0 ? "" : ",").append(net.address(10 + i)).append(":7800");
            }
            for (int i = 1; i <= spec.controllers; i++) {
                String host = "c" + i;
                String addr = net.addHost(host, 10 + i);
                Map<String, String> env = new LinkedHashMap<>();
                env.put("ROLE", "controller");
                env.put("CONTROLLER_ID", "controller" + i);
                env.put("CONTROLLER_COUNT", Integer.toString(spec.controllers));
                env.put("CLUSTERING", "on");
                env.put("BIND_ADDR", addr);
                env.put("CLUSTER_MEMBERS", members.toString());
                env.put("CLUSTER_SECRET", "faults-secret-" + spec.test);
                env.put("CLUSTER_NAME", "tandem-faults");
                env.put("CLUSTER_FD_TIMEOUT", spec.fdTimeout.toMillis() + "ms");
                env.put("CLUSTER_JOIN_WAIT", "2s");
                env.put("ADMIN_TOKEN", ADMIN_TOKEN);
                env.put("AUTH_FILE", authFile.toAbsolutePath().toString());
                env.put("INVOKERS", invokerList.toString());
                env.put("NAMESPACE_CONCURRENCY_LIMIT", Integer.toString(spec.concurrencyLimit));
                env.put("NAMESPACE_MINUTE_LIMIT", "1000000");
                env.put("ACTIONS", "*/echo=echo:128:10s,*/sleep=sleep:128:10s");
                env.put("FORCED_COMPLETION_GRACE", "3s");
                env.put("DEREGISTRATION_DELAY", "500ms");
                env.put("DRAIN_TIMEOUT", "10s");
                env.putAll(spec.controllerEnv);
                env.putAll(spec.oneControllerEnv.getOrDefault(i, Map.of()));
                controllers.add(new Node(host, addr, env));
            }
        } catch (IOException | RuntimeException e) {
            net.close();
            throw new IllegalStateException("cannot build the namespaced cluster: " + e.getMessage(), e);
        }
    }

    static Path jar() {
        String p = System.getProperty("tandem.jar");
        Path jar = p != null ? Path.of(p) : Path.of("../http/target/tandem.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("tandem.jar not found at " + jar.toAbsolutePath() + " (build it first)");
        }
        return jar;
    }

    public NetnsCluster start() {
        invokers.forEach(Node::start);
        controllers.forEach(Node::start);
        if (readinessChecks != null && !checking) {
            startReadinessChecks();
        }
        return this;
    }

    /**
     * One checker thread per controller, as a load balancer's health check: GET /ready, 1 s timeout. They stop when
     * the cluster closes, or after an hour at the latest.
     */
    private void startReadinessChecks() {
        checking = true;
        long deadline = System.nanoTime() + Duration.ofHours(1).toNanos();
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(1)).build();
        for (Node c : controllers) {
            HttpRequest req = HttpRequest.newBuilder(URI.create(c.adminUrl() + "/ready"))
                    .timeout(Duration.ofSeconds(1)).GET().build();
            Thread t = new Thread(() -> {
                while (checking && System.nanoTime() < deadline) {
                    boolean ok = false;
                    if (c.alive()) {
                        try {
                            ok = client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
                        } catch (IOException e) {
                            ok = false;
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                    c.checkedReady = ok;
                    try {
                        Thread.sleep(readinessChecks.toMillis());
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "ready-check-" + c.host());
            t.setDaemon(true);
            t.start();
            checkers.add(t);
        }
    }

    public NetnsCluster awaitReady(Duration timeout) {
        for (Node c : controllers) {
            c.awaitReady(timeout);
        }
        return this;
    }

    public Netns net() {
        return net;
    }

    public Node controller(int i) {
        return controllers.get(i - 1);
    }

    public Node invoker(int j) {
        return invokers.get(j - 1);
    }

    public List<Node> controllers() {
        return controllers;
    }

    public List<Node> invokers() {
        return invokers;
    }

    public List<Node> liveControllers() {
        List<Node> out = new ArrayList<>();
        for (Node c : controllers) {
            if (c.alive()) {
                out.add(c);
            }
        }
        return out;
    }

    /** Controllers the load sends to (live and in rotation). */
    public List<Node> rotation() {
        List<Node> out = new ArrayList<>();
        for (Node c : controllers) {
            if (c.inRotation()) {
                out.add(c);
            }
        }
        return out;
    }

    public String key(String namespace) {
        return auth.get(namespace);
    }

    public Path logDir() {
        return dir;
    }

    /** Error lines any process logged. */
    public List<String> errors() {
        List<String> out = new ArrayList<>();
        for (Node n : controllers) {
            n.proc().errorLines().forEach(l -> out.add(n.host() + ": " + l));
        }
        for (Node n : invokers) {
            n.proc().errorLines().forEach(l -> out.add(n.host() + ": " + l));
        }
        return out;
    }

    private void stopAll() {
        checking = false;
        for (Thread t : checkers) {
            t.interrupt();
        }
        for (Node n : controllers) {
            n.proc().destroy();
        }
        for (Node n : invokers) {
            n.proc().destroy();
        }
    }

    /** Kills every process, then removes every namespace, link and rule this cluster made. */
    @Override
    public void close() {
        net.close();
    }
}
