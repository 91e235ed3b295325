package io.tandem.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tandem.core.activation.ActivationIds;
import io.tandem.it.harness.Http;
import io.tandem.it.harness.Wait;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The compose topology as real processes: docker/haproxy.cfg in a real haproxy, the controllers and invokers with
 * exactly the environment `docker-compose config` gives them, and the loadtest service's command, all on loopback.
 *
 * <p>What stands in for Docker: each "container" gets its own loopback address and host name, and a DNS server that
 * answers the service names (controller, invoker0, invoker1, lb) as Docker's embedded DNS does, reached through the
 * process's own /etc/resolv.conf; haproxy resolves the controllers through it with the `resolvers` section as
 * written. What the test changes, and only that: BIND_ADDR (0.0.0.0 in the compose file; every container here shares
 * one host, so each binds its own address), haproxy's `bind` lines (the same ports, on the load balancer's address),
 * and paths under a volume's target, which point at the volume's source, as the bind mount would.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ComposeTopologyIT {
    private static final String DNS = "127.0.0.75";
    private static final String LB = "127.0.0.60";
    private static final List<String> CONTROLLER_IPS = List.of("127.0.0.61", "127.0.0.62", "127.0.0.63");
    private static final Map<String, String> INVOKER_IPS = Map.of("invoker0", "127.0.0.71", "invoker1", "127.0.0.72");
    private static final Duration START = Duration.ofSeconds(45);

    private static Path logs;
    private static TinyDns dns;
    private static JsonObject services;
    private static String adminToken;
    private static String guestKey;
    private static final List<Launched> controllers = new ArrayList<>();
    private static final Map<String, String> controllerIdByTag = new LinkedHashMap<>();
    private static final List<Launched> all = new ArrayList<>();

    @BeforeAll
    static void up() throws Exception {
        Path haproxy = Tools.require("haproxy", "haproxy");
        Tools.requireRootAndUnshare();
        logs = Tools.logDir("ComposeTopologyIT");
        SecureRandom random = new SecureRandom();
        byte[] b = new byte[32];
        random.nextBytes(b);
        String secret = HexFormat.of().formatHex(b);
        random.nextBytes(b);
        adminToken = HexFormat.of().formatHex(b, 0, 16);
        Path composeFile = Tools.root().resolve("docker/docker-compose.yml");
        JsonObject config = Yaml.composeConfig(composeFile,
                Map.of("CLUSTER_SECRET", secret, "ADMIN_TOKEN", adminToken), logs.resolve("compose-config.log"));
        services = config.getAsJsonObject("services");
        guestKey = Files.readAllLines(Tools.root().resolve("docker/auth.txt")).stream()
                .filter(l -> l.startsWith("guest ")).findFirst().orElseThrow().substring(6).trim();

        dns = TinyDns.start(DNS, logs);
        Launched.Sandbox container = Launched.Sandbox.dns(dns.resolvConf());
        dns.set("lb", List.of(LB));

        for (Map.Entry<String, String> inv : new TreeMap<>(INVOKER_IPS).entrySet()) {
            JsonObject svc = services.getAsJsonObject(inv.getKey());
            dns.set(inv.getKey(), List.of(inv.getValue()));
            Map<String, String> env = containerEnv(svc, inv.getValue(), hostnameOf(svc, random));
            all.add(Launched.start(inv.getKey(), Tools.imageEntrypoint("256m"), env, logs, container));
        }

        JsonObject controller = services.getAsJsonObject("controller");
        int replicas = controller.getAsJsonObject("deploy").get("replicas").getAsInt();
        assertTrue(replicas >= 2 && replicas <= CONTROLLER_IPS.size(), "compose runs " + replicas + " controllers");
        dns.set("controller", CONTROLLER_IPS.subList(0, replicas));
        for (int i = 0; i < replicas; i++) {
            String hostname = hostnameOf(controller, random);
            Map<String, String> env = containerEnv(controller, CONTROLLER_IPS.get(i), hostname);
            controllerIdByTag.put(ActivationIds.controllerTag(hostname), hostname);
            Launched p = Launched.start("controller-" + (i + 1), Tools.imageEntrypoint("384m"), env, logs, container);
            controllers.add(p);
            all.add(p);
        }

        Path cfg = logs.resolve("haproxy.cfg");
        Files.writeString(cfg, loopbackHaproxyConfig(Files.readString(Tools.root().resolve("docker/haproxy.cfg"))));
        all.add(Launched.start("lb", List.of(haproxy.toString(), "-db", "-f", cfg.toString()), Map.of(), logs, container));

        for (int i = 0; i < controllers.size(); i++) {
            K8sPods.awaitReady(controllers.get(i), admin(i), START);
        }
        Wait.until(Duration.ofSeconds(20), Duration.ofMillis(250), () -> upServers().size() == controllers.size(),
                () -> "haproxy to see " + controllers.size() + " controllers up; has " + upServers());
    }

    @AfterAll
    static void down() {
        for (Launched p : all) {
            p.term();
        }
        for (Launched p : all) {
            p.stop(Duration.ofSeconds(15));
        }
        if (dns != null) {
            dns.close();
        }
    }

    @Test
    @Order(1)
    void shouldFormOneClusterThroughDnsOnTheServiceName() {
        for (int i = 0; i < controllers.size(); i++) {
            int at = i;
            Wait.until(Duration.ofSeconds(20), Duration.ofMillis(250),
                    () -> K8sPods.members(admin(at), adminToken).size() == controllers.size(),
                    () -> "a view of " + controllers.size() + " at controller-" + (at + 1) + ": "
                            + K8sPods.members(admin(at), adminToken));
        }
        assertEquals(controllerIdByTag.values().stream().sorted().toList(),
                K8sPods.members(admin(0), adminToken).stream().sorted().toList());
    }

    @Test
    @Order(2)
    void shouldSpreadInvokesThroughTheFrontDoorOverEveryController() {
        Map<String, Integer> byController = new TreeMap<>();
        for (int i = 0; i < 40; i++) {
            Http.Response r = invoke();
            assertEquals(200, r.status(), "invoke " + i + " through haproxy: " + r.body());
            String id = r.headers().firstValue("x-openwhisk-activation-id").orElseThrow();
            byController.merge(controllerIdByTag.getOrDefault(ActivationIds.tagOf(id), "unknown " + id), 1,
                    Integer::sum);
        }
        assertEquals(controllerIdByTag.size(), byController.size(), "controllers that answered: " + byController);
        for (Map.Entry<String, Integer> e : byController.entrySet()) {
            assertTrue(e.getValue() >= 40 / controllers.size() / 2, "round robin is uneven: " + byController);
        }
    }

    @Test
    @Order(3)
    void shouldPassTheLoadTestProfileAgainstTheFrontDoor() {
        JsonObject svc = services.getAsJsonObject("loadtest");
        assertTrue(svc.getAsJsonArray("profiles").toString().contains("loadtest"), "the loadtest profile is gone");
        List<String> cmd = new ArrayList<>(List.of(Tools.root().resolve("docker/loadtest.sh").toString()));
        for (JsonElement arg : svc.getAsJsonArray("command")) {
            String a = mapVolumes(svc, arg.getAsString());
            // shorter than the demo's run; everything else as the compose file says
            a = a.startsWith("--duration=") ? "--duration=3s" : a;
            a = a.startsWith("--json=") ? "--json=" + logs.resolve("loadtest-report.json") : a;
            cmd.add(a);
        }
        cmd.add("--leak-timeout=20s");
        Map<String, String> env = new LinkedHashMap<>(environment(svc));
        env.values().removeIf(String::isEmpty);
        Launched load = Launched.start("loadtest", cmd, env, logs, Launched.Sandbox.dns(dns.resolvConf()));
        try {
            assertTrue(load.waitExit(Duration.ofSeconds(45)), "the load test did not finish: " + K8sPods.tail(load));
            assertEquals(0, load.exitValue(), "the load test failed:\n" + K8sPods.tail(load));
        } finally {
            load.stop(Duration.ofSeconds(5));
        }
    }

    @Test
    @Order(4)
    void shouldKeepAnsweringWhileAControllerLeavesGracefully() throws Exception {
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        AtomicBoolean run = new AtomicBoolean(true);
        Thread client = new Thread(() -> {
            while (run.get()) {
                statuses.merge(invoke().status(), 1, Integer::sum);
            }
        }, "compose-client");
        client.start();
        Launched leaving = controllers.get(0);
        long grace = composeDurationMs(services.getAsJsonObject("controller").get("stop_grace_period").getAsString());
        try {
            Thread.sleep(500);
            long t0 = System.nanoTime();
            leaving.term(); // what `docker compose stop` sends
            assertTrue(leaving.waitExit(Duration.ofMillis(grace)), "controller-1 outlived stop_grace_period "
                    + grace + " ms:\n" + K8sPods.tail(leaving));
            long tookMs = (System.nanoTime() - t0) / 1_000_000;
            dns.set("controller", CONTROLLER_IPS.subList(1, controllers.size())); // Docker drops a stopped container
            Thread.sleep(1000);
            run.set(false);
            client.join(30_000);
            assertEquals(Map.of(200, statuses.getOrDefault(200, 0)), Map.copyOf(statuses),
                    "answers through haproxy while controller-1 left (in " + tookMs + " ms)");
            assertTrue(statuses.getOrDefault(200, 0) > 10, "too few requests to show anything: " + statuses);
            assertTrue(leaving.exitValue() == 0 || leaving.exitValue() == 143,
                    "controller-1 exited with " + leaving.exitValue());
            assertEquals(List.of(), leaving.errorLines(), "controller-1 logged errors while leaving");
            Wait.until(Duration.ofSeconds(20), Duration.ofMillis(250),
                    () -> K8sPods.members(admin(1), adminToken).size() == controllers.size() - 1,
                    () -> "the others to see controller-1 leave: " + K8sPods.members(admin(1), adminToken));
        } finally {
            run.set(false);
            client.join(30_000);
        }
    }

    @Test
    @Order(5)
    void shouldStopEveryContainerWithinItsStopGracePeriod() {
        for (Launched p : all) {
            p.term();
        }
        for (Launched p : all) {
            String service = p.name().startsWith("controller-") ? "controller" : p.name();
            JsonObject svc = services.getAsJsonObject(service);
            long grace = svc != null && svc.has("stop_grace_period")
                    ? composeDurationMs(svc.get("stop_grace_period").getAsString()) : 10_000;
            assertTrue(p.waitExit(Duration.ofMillis(grace)), p + " outlived its stop grace period of " + grace + " ms");
            assertEquals(List.of(), p.errorLines(), p + " logged errors");
        }
    }

    // ------------------------------------------------------------------------------------------------------------

    private static String admin(int i) {
        return "http://" + CONTROLLER_IPS.get(i) + ":3234";
    }

    private static Http.Response invoke() {
        return Http.post("http://" + LB + ":3233/api/v1/namespaces/_/actions/echo?blocking=true",
                Http.basic(guestKey), "{\"hello\":\"compose\"}");
    }

    /** haproxy's own view: the servers of backend `controllers` whose status is UP. */
    private static List<String> upServers() {
        Http.Response r = Http.get("http://" + LB + ":8404/;csv", null);
        List<String> up = new ArrayList<>();
        if (r.status() != 200) {
            return up;
        }
        String[] lines = r.body().split("\n");
        List<String> header = List.of(lines[0].replaceFirst("^# ", "").split(","));
        int px = header.indexOf("pxname");
        int sv = header.indexOf("svname");
        int status = header.indexOf("status");
        for (String line : lines) {
            String[] f = line.split(",", -1);
            if (f.length > status && f[px].equals("controllers") && f[status].startsWith("UP")
                    && !f[sv].equals("BACKEND")) {
                up.add(f[sv]);
            }
        }
        return up;
    }

    /** docker/haproxy.cfg with its `bind :PORT` lines on the load balancer's loopback address; nothing else. */
    static String loopbackHaproxyConfig(String cfg) {
        StringBuilder out = new StringBuilder();
        int binds = 0;
        for (String line : cfg.split("\n", -1)) {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("^(\\s*bind\\s+):(\\d+)(.*)$").matcher(line);
            if (m.matches()) {
                line = m.group(1) + LB + ":" + m.group(2) + m.group(3);
                binds++;
            }
            out.append(line).append('\n');
        }
        assertEquals(2, binds, "docker/haproxy.cfg should bind the API and the status page on all interfaces");
        return out.toString();
    }

    /** A service's environment from `docker-compose config`. */
    private static Map<String, String> environment(JsonObject svc) {
        Map<String, String> env = new LinkedHashMap<>();
        JsonElement e = svc.get("environment");
        if (e == null) {
            return env;
        }
        if (e.isJsonArray()) {
            for (JsonElement item : (JsonArray) e) {
                String[] kv = item.getAsString().split("=", 2);
                env.put(kv[0], kv.length > 1 ? kv[1] : "");
            }
        } else {
            e.getAsJsonObject().entrySet().forEach(kv -> env.put(kv.getKey(),
                    kv.getValue().isJsonNull() ? "" : kv.getValue().getAsString()));
        }
        return env;
    }

    /**
     * The environment a container of this service gets: the compose file's, plus HOSTNAME (Docker sets it), with
     * BIND_ADDR on the container's own address and volume targets mapped to their sources.
     */
    private static Map<String, String> containerEnv(JsonObject svc, String ip, String hostname) {
        Map<String, String> env = new LinkedHashMap<>();
        environment(svc).forEach((k, v) -> env.put(k, mapVolumes(svc, v)));
        if ("0.0.0.0".equals(env.get("BIND_ADDR"))) {
            env.put("BIND_ADDR", ip);
        }
        env.put("HOSTNAME", hostname);
        return env;
    }

    /** A value under a bind mount's target, moved to the mount's source. */
    private static String mapVolumes(JsonObject svc, String value) {
        JsonArray volumes = svc.getAsJsonArray("volumes");
        if (volumes == null) {
            return value;
        }
        for (JsonElement v : volumes) {
            String[] parts = v.getAsString().split(":");
            String source = parts[0];
            String target = parts[1];
            int at = value.indexOf(target);
            if (at >= 0 && (at == 0 || value.charAt(at - 1) == '=')) {
                value = value.substring(0, at) + source + value.substring(at + target.length());
            }
        }
        return value;
    }

    /** The service's `hostname:`, else a Docker-like 12-hex container id. */
    private static String hostnameOf(JsonObject svc, SecureRandom random) {
        if (svc.has("hostname")) {
            return svc.get("hostname").getAsString();
        }
        byte[] id = new byte[6];
        random.nextBytes(id);
        return HexFormat.of().formatHex(id);
    }

    private static long composeDurationMs(String text) {
        long total = 0;
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(\\d+)(ms|h|m|s)").matcher(text);
        while (m.find()) {
            long n = Long.parseLong(m.group(1));
            total += switch (m.group(2)) {
                case "h" -> n * 3_600_000;
                case "m" -> n * 60_000;
                case "s" -> n * 1000;
                default -> n;
            };
        }
        return total;
    }
}
