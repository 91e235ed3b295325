package io.tandem.it.harness;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Real controller and invoker processes on this machine, for tests that read like a script:
 * {@code cluster.start(); cluster.awaitReady(); cluster.controller(1).kill9(); ...}.
 *
 * <p>Addresses: controller i listens on 127.0.B.i, invoker j on 127.0.B.(100+j), B being the test's block, so that
 * test classes never share a socket. Ports are the defaults (API 3233, admin 3234, JGroups 7800, FD_SOCK2 7900,
 * invoker 8085). Each process logs to {@code it/target/logs/<test>/<name>.log}. Not thread-safe.
 */
public final class Cluster implements AutoCloseable {
    public static final String ADMIN_TOKEN = "it-admin-token";
    private final Builder b;
    private final List<Node> controllers = new ArrayList<>();
    private final List<Node> invokers = new ArrayList<>();
    private final Map<String, String> auth = new LinkedHashMap<>();
    private final Path dir;
    private final Path authFile;

    /** A controller or an invoker, restartable on the same address with the same environment. */
    public final class Node {
        private final String name;
        private final String addr;
        private final Map<String, String> env;
        private Proc proc;
        private int restarts;

        Node(String name, String addr, Map<String, String> env) {
            this.name = name;
            this.addr = addr;
            this.env = env;
        }

        public String name() {
            return name;
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

        public Proc proc() {
            return proc;
        }

        public Node start() {
            String suffix = restarts == 0 ? "" : "-" + restarts;
            proc = new Proc(name, env, dir.resolve(name + suffix + ".log"),
                    List.of("-Xmx" + b.heap, "-XX:+UseSerialGC", "-Xss512k")).start();
            restarts++;
            return this;
        }

        public void kill9() {
            proc.kill9();
        }

        /** kill -9 and start again on the same address: a new incarnation of the same controller id. */
        public void restart() {
            proc.kill9();
            start();
        }

        public boolean ready() {
            return Http.get(adminUrl() + "/ready", null).status() == 200;
        }

        public JsonObject admin(String path) {
            Http.Response r = Http.get(adminUrl() + path, "Bearer " + ADMIN_TOKEN);
            if (r.status() != 200) {
                throw new IllegalStateException(name + " " + path + " answered " + r.status() + ": " + r.body());
            }
            return r.json();
        }

        public JsonObject bookkeeping() {
            return admin("/bookkeeping");
        }

        public JsonObject clusterInfo() {
            return admin("/cluster");
        }

        public JsonObject invokerStats() {
            return Http.get(invokerUrl() + "/v1/stats", null).json();
        }
    }

    public static final class Builder {
        private final String test;
        private final int block;
        private int controllers = 1;
        private int invokers = 2;
        private int invokerMemoryMb = 2048;
        private boolean clustering = true;
        private int namespaces = 3;
        private int concurrencyLimit = 30;
        private int minuteLimit = 100_000;
        private String heap = "256m";
        private final Map<String, String> controllerEnv = new LinkedHashMap<>();
        private final Map<String, String> invokerEnv = new LinkedHashMap<>();

        Builder(String test, int block) {
            this.test = test;
            this.block = block;
        }

        public Builder controllers(int n) {
            this.controllers = n;
            return this;
        }

        public Builder invokers(int n, int memoryMb) {
            this.invokers = n;
            this.invokerMemoryMb = memoryMb;
            return this;
        }

        public Builder clustering(boolean on) {
            this.clustering = on;
            return this;
        }

        public Builder namespaces(int n) {
            this.namespaces = n;
            return this;
        }

        public Builder concurrencyLimit(int n) {
            this.concurrencyLimit = n;
            return this;
        }

        public Builder minuteLimit(int n) {
            this.minuteLimit = n;
            return this;
        }

        public Builder heap(String heap) {
            this.heap = heap;
            return this;
        }

        public Builder controllerEnv(String k, String v) {
            controllerEnv.put(k, v);
            return this;
        }

        public Builder invokerEnv(String k, String v) {
            invokerEnv.put(k, v);
            return this;
        }

        public Cluster build() {
            return new Cluster(this);
        }
    }

    public static Builder builder(String test, int block) {
        return new Builder(test, block);
    }

    private Cluster(Builder b) {
        this.b = b;
        this.dir = Path.of("target", "logs", b.test);
        this.authFile = dir.resolve("auth.txt");
        try {
            Files.createDirectories(dir);
            StringBuilder sb = new StringBuilder();
            for (int i = 1; i <= b.namespaces; i++) {
                String ns = "ns" + i;
                String key = UUID.randomUUID() + ":" + (UUID.randomUUID().toString().replace("-", "")
                        + UUID.randomUUID().toString().replace("-", ""));
                auth.put(ns, key);
                sb.append(ns).append(' ').append(key).append('\n');
            }
            Files.writeString(authFile, sb.toString());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        StringBuilder invokerList = new StringBuilder();
        for (int j = 1; j <= b.invokers; j++) {
            String addr = "127.0." + b.block + "." + (100 + j);
            Map<String, String> env = new LinkedHashMap<>();
            env.put("ROLE", "invoker");
            env.put("INVOKER_ID", "invoker" + j);
            env.put("BIND_ADDR", addr);
            env.put("INVOKER_PORT", "8085");
            env.put("INVOKER_MEMORY_MB", Integer.toString(b.invokerMemoryMb));
            env.putAll(b.invokerEnv);
            invokers.add(new Node("invoker" + j, addr, env));
            invokerList.append(invokerList.length() == 0 ? "" : ",")
                    .append("invoker").append(j).append("=http://").append(addr).append(":8085=")
                    .append(b.invokerMemoryMb);
        }
        StringBuilder members = new StringBuilder();
        for (int i = 1; i <= b.controllers; i++) {
            members.append(members.length() == 0 ? "" : ",").append("127.0.").append(b.block).append('.').append(i)
                    .append(":7800");
        }
        for (int i = 1; i <= b.controllers; i++) {
            String addr = "127.0." + b.block + "." + i;
            Map<String, String> env = new LinkedHashMap<>();
            env.put("ROLE", "controller");
            env.put("CONTROLLER_ID", "controller" + i);
            env.put("CONTROLLER_COUNT", Integer.toString(b.controllers));
            env.put("CLUSTERING", b.clustering ? "on" : "off");
            env.put("BIND_ADDR", addr);
            env.put("CLUSTER_MEMBERS", members.toString());
            env.put("CLUSTER_SECRET", "it-secret-" + b.test);
            env.put("CLUSTER_JOIN_WAIT", "2s");
            env.put("ADMIN_TOKEN", ADMIN_TOKEN);
            env.put("AUTH_FILE", authFile.toAbsolutePath().toString());
            env.put("INVOKERS", invokerList.toString());
            env.put("NAMESPACE_CONCURRENCY_LIMIT", Integer.toString(b.concurrencyLimit));
            env.put("NAMESPACE_MINUTE_LIMIT", Integer.toString(b.minuteLimit));
            env.put("ACTIONS", "*/echo=echo:128:60s,*/sleep=sleep:128:5m,*/fail=fail:128:60s,*/error=error:128:60s,"
                    + "*/demo/echo=echo:128:60s");
            env.put("DEREGISTRATION_DELAY", "500ms");
            env.put("DRAIN_TIMEOUT", "10s");
            env.putAll(b.controllerEnv);
            controllers.add(new Node("controller" + i, addr, env));
        }
    }

    public Cluster start() {
        invokers.forEach(Node::start);
        controllers.forEach(Node::start);
        return this;
    }

    public Cluster awaitReady(Duration timeout) {
        for (Node c : controllers) {
            Wait.until(timeout, Duration.ofMillis(200), c::ready, () -> c.name() + " ready (log " + c.proc().log() + ")");
        }
        return this;
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

    /** The {@code uuid:key} of namespace {@code nsN}. */
    public String key(String namespace) {
        return auth.get(namespace);
    }

    public Path authFile() {
        return authFile;
    }

    public Path logDir() {
        return dir;
    }

    /** Sum of every in-flight total (namespaces, invokers, system) this controller reports; negatives count too. */
    public static long inFlightSum(JsonObject bookkeeping) {
        JsonObject totals = bookkeeping.getAsJsonObject("totals");
        long sum = 0;
        for (String group : new String[] {"namespaces", "invokers"}) {
            JsonObject g = totals.getAsJsonObject(group);
            if (g != null) {
                for (Map.Entry<String, JsonElement> e : g.entrySet()) {
                    sum += Math.abs(e.getValue().getAsLong());
                }
            }
        }
        if (totals.has("system")) {
            sum += Math.abs(totals.get("system").getAsLong());
        }
        return sum;
    }

    /** Invariant 1: every live controller reports zero for every in-flight key, within the timeout. */
    public void awaitNoLeak(Duration timeout) {
        for (Node c : controllers) {
            if (c.proc() != null && c.proc().isAlive()) {
                Wait.until(timeout, Duration.ofMillis(200), () -> inFlightSum(c.bookkeeping()) == 0,
                        () -> c.name() + " to report zero in flight, last: " + c.bookkeeping().get("totals"));
            }
        }
    }

    /** Errors any process logged (a test fails if a node logged an error). */
    public List<String> errors() {
        List<String> out = new ArrayList<>();
        for (Node n : controllers) {
            if (n.proc() != null) {
                n.proc().errorLines().forEach(l -> out.add(n.name() + ": " + l));
            }
        }
        for (Node n : invokers) {
            if (n.proc() != null) {
                n.proc().errorLines().forEach(l -> out.add(n.name() + ": " + l));
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (Node n : controllers) {
            if (n.proc() != null) {
                n.proc().destroy();
            }
        }
        for (Node n : invokers) {
            if (n.proc() != null) {
                n.proc().destroy();
            }
        }
    }
}
