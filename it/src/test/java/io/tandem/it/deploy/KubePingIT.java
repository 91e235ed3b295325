package io.tandem.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.config.Env;
import io.tandem.it.harness.Wait;
import io.tandem.transport.TransportSettings;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jgroups.protocols.Discovery;
import org.jgroups.protocols.kubernetes.KUBE_PING;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Controllers deployed by docker/k8s/ find each other through KUBE_PING, and through nothing else.
 *
 * <p>Three controller "pods" and the two invoker pods run as processes with the environment their manifests give
 * them. Each controller sees what a pod sees: KUBERNETES_SERVICE_HOST/PORT pointing at a fake API server (HTTPS with
 * its own CA), the CA certificate and service-account token at /var/run/secrets/kubernetes.io/serviceaccount/, and a
 * DNS server that knows the invokers' StatefulSet names. The fake API server lists the pods of the namespace whose
 * labels match the query, with the labels the Deployment's pod template gives them, all not yet ready (as at start).
 */
class KubePingIT {
    private static final String API = "127.0.0.40";
    private static final String DNS = "127.0.0.45";
    private static final List<String> CONTROLLER_IPS = List.of("127.0.0.41", "127.0.0.42", "127.0.0.43");
    private static final String STRANGER_IP = "127.0.0.44";
    private static final List<String> INVOKER_IPS = List.of("127.0.0.47", "127.0.0.48");
    private static final Duration START = Duration.ofSeconds(45);

    private static Path logs;
    private static TinyDns dns;
    private static FakeKubeApi api;
    private static K8sPods pods;
    private static final List<String> controllerIds = new ArrayList<>();
    private static final Map<String, Map<String, String>> envs = new LinkedHashMap<>();

    @BeforeAll
    static void deploy() throws Exception {
        Tools.requireRootAndUnshare();
        logs = Tools.logDir("KubePingIT");
        pods = new K8sPods(logs);
        Path sa = Files.createDirectories(logs.resolve("serviceaccount"));
        api = FakeKubeApi.start(API, sa, logs);
        dns = TinyDns.start(DNS, logs);
        Launched.Sandbox pod = new Launched.Sandbox(dns.resolvConf(), sa);

        for (int i = 0; i < INVOKER_IPS.size(); i++) {
            String name = "tandem-invoker-" + i;
            dns.set(name + ".tandem-invoker", List.of(INVOKER_IPS.get(i)));
            pods.start(name, pods.invokerEnv(name, INVOKER_IPS.get(i)), pod);
        }
        Map<String, String> labels = Yaml.podLabels(pods.controllers());
        for (int i = 0; i < CONTROLLER_IPS.size(); i++) {
            String name = "tandem-controller-6b8f9c7d54-x" + i;
            controllerIds.add(name);
            api.addPod(new FakeKubeApi.Pod(name, K8sPods.NAMESPACE, CONTROLLER_IPS.get(i), labels));
        }
        for (int i = 0; i < CONTROLLER_IPS.size(); i++) {
            Map<String, String> env = pods.controllerEnv(controllerIds.get(i), CONTROLLER_IPS.get(i));
            env.putAll(api.podEnvironment()); // what the kubelet sets in every pod
            envs.put(controllerIds.get(i), env);
            pods.start(controllerIds.get(i), env, pod);
        }
        for (int i = 0; i < CONTROLLER_IPS.size(); i++) {
            K8sPods.awaitReady(pods.started().get(INVOKER_IPS.size() + i), admin(CONTROLLER_IPS.get(i)), START);
        }
    }

    @AfterAll
    static void undeploy() {
        if (pods != null) {
            pods.close();
        }
        if (api != null) {
            api.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    private static String admin(String ip) {
        return "http://" + ip + ":3234";
    }

    @Test
    void shouldFormOneClusterOfEveryControllerPodTheApiServerLists() {
        for (String ip : CONTROLLER_IPS) {
            Wait.until(Duration.ofSeconds(20), Duration.ofMillis(250),
                    () -> K8sPods.members(admin(ip), pods.adminToken()).size() == CONTROLLER_IPS.size(),
                    () -> "a view of " + CONTROLLER_IPS.size() + " at " + ip + ", have "
                            + K8sPods.members(admin(ip), pods.adminToken()));
            assertEquals(controllerIds.stream().sorted().toList(),
                    K8sPods.members(admin(ip), pods.adminToken()).stream().sorted().toList());
        }
        assertNoErrors();
    }

    @Test
    void shouldAskTheApiServerForTheLabelledPodsOfItsOwnNamespaceWithItsToken() {
        String selector = envs.values().iterator().next().get("KUBERNETES_LABELS");
        List<FakeKubeApi.Request> requests = api.requests().stream()
                .filter(r -> selector.equals(r.labelSelector())).toList();

        assertFalse(requests.isEmpty(), "no pod query with labelSelector=" + selector + " in " + api.requests());
        for (FakeKubeApi.Request r : requests) {
            assertEquals("/api/v1/namespaces/" + K8sPods.NAMESPACE + "/pods", r.path());
            assertTrue(r.authorization() != null && r.authorization().startsWith("Bearer "),
                    "a pod query came without the service-account token: " + r);
        }
        // the selector is the Deployment's own pod-template labels
        Map<String, String> wanted = new LinkedHashMap<>();
        for (String term : selector.split(",")) {
            String[] kv = term.split("=", 2);
            wanted.put(kv[0], kv[1]);
        }
        assertTrue(Yaml.podLabels(pods.controllers()).entrySet().containsAll(wanted.entrySet()),
                "KUBERNETES_LABELS " + selector + " does not select the Deployment's pods "
                        + Yaml.podLabels(pods.controllers()));
    }

    @Test
    void shouldBuildAStackWhoseOnlyDiscoveryIsKubePing() throws Exception {
        Map<String, String> env = envs.values().iterator().next();
        TransportSettings settings = TransportSettings.from(new Env(env));
        Method tcp = Class.forName("io.tandem.transport.ProtocolStacks")
                .getDeclaredMethod("tcp", TransportSettings.class);
        tcp.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<Protocol> stack = (List<Protocol>) tcp.invoke(null, settings);

        List<Protocol> discovery = stack.stream().filter(p -> p instanceof Discovery).toList();
        assertEquals(1, discovery.size(), "discovery protocols in the stack: " + discovery);
        assertInstanceOf(KUBE_PING.class, discovery.get(0));
        assertTrue(stack.stream().noneMatch(p -> p.getName().equals("PDC")), "a discovery cache could answer: " + stack);
        assertEquals("KUBE_PING{namespace='" + K8sPods.NAMESPACE + "', labels='" + env.get("KUBERNETES_LABELS") + "'}",
                discovery.get(0).toString());
    }

    @Test
    void shouldStayAloneWhenTheApiServerListsNoPeer() {
        // Same cluster name, same secret, reachable on loopback next to the others: only the pod list differs.
        Map<String, String> labels = new LinkedHashMap<>(Yaml.podLabels(pods.controllers()));
        labels.put("app.kubernetes.io/component", "stranger");
        String name = "tandem-stranger-0";
        api.addPod(new FakeKubeApi.Pod(name, K8sPods.NAMESPACE, STRANGER_IP, labels));
        Map<String, String> env = pods.controllerEnv(name, STRANGER_IP);
        env.putAll(api.podEnvironment());
        env.put("KUBERNETES_LABELS", "app.kubernetes.io/name=tandem,app.kubernetes.io/component=stranger");
        Launched stranger = pods.start(name, env, new Launched.Sandbox(dns.resolvConf(), logs.resolve("serviceaccount")));
        K8sPods.awaitReady(stranger, admin(STRANGER_IP), START);

        // for longer than a merge round (CLUSTER_MERGE_INTERVAL, 5 s) after it became ready, nobody found anybody new
        long until = System.nanoTime() + Duration.ofSeconds(7).toNanos();
        while (System.nanoTime() < until) {
            assertEquals(List.of(name), K8sPods.members(admin(STRANGER_IP), pods.adminToken()));
            assertEquals(CONTROLLER_IPS.size(), K8sPods.members(admin(CONTROLLER_IPS.get(0)), pods.adminToken()).size());
            sleep(Duration.ofMillis(500));
        }
        assertTrue(api.requests().stream().anyMatch(r -> env.get("KUBERNETES_LABELS").equals(r.labelSelector())),
                "the stranger never asked the API server");
    }

    private static void assertNoErrors() {
        for (Launched p : pods.started()) {
            assertEquals(List.of(), p.errorLines(), p + " logged errors");
        }
    }

    private static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
