package io.tandem.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import io.tandem.core.config.Env;
import io.tandem.it.harness.Wait;
import io.tandem.transport.TransportSettings;
import java.lang.reflect.Method;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jgroups.protocols.Discovery;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Controllers deployed by docker/k8s/dns-ping/ (the KUBE_PING manifests with CLUSTER_DISCOVERY=dns) find each other
 * through DNS_PING on the headless Service's name.
 *
 * <p>The pods run as processes with the environment the manifests and the overlay's patch give them; a DNS server
 * answers the Service name {@code tandem-controller-peers} with the controllers' addresses, ready or not (that is
 * what {@code publishNotReadyAddresses: true} does), and each process asks it through its own /etc/resolv.conf:
 * the JVM's resolver sends real DNS queries, as in a pod. Two controllers start, then a third pod appears in DNS
 * and starts, as when the Deployment scales up.
 */
class DnsPingIT {
    private static final String DNS = "127.0.0.55";
    private static final List<String> CONTROLLER_IPS = List.of("127.0.0.51", "127.0.0.52", "127.0.0.53");
    private static final List<String> INVOKER_IPS = List.of("127.0.0.57", "127.0.0.58");
    private static final Duration START = Duration.ofSeconds(45);

    private static TinyDns dns;
    private static K8sPods pods;
    private static String service;
    private static final List<String> ids = new ArrayList<>();
    private static final List<Map<String, String>> envs = new ArrayList<>();

    @BeforeAll
    static void deploy() throws Exception {
        Tools.requireRootAndUnshare();
        Path logs = Tools.logDir("DnsPingIT");
        pods = new K8sPods(logs);
        dns = TinyDns.start(DNS, logs);
        Launched.Sandbox pod = Launched.Sandbox.dns(dns.resolvConf());
        JsonObject patch = Yaml.documents(java.nio.file.Files.readString(
                Tools.root().resolve("docker/k8s/dns-ping/discovery-dns.yaml"))).get(0);

        for (int i = 0; i < INVOKER_IPS.size(); i++) {
            String name = "tandem-invoker-" + i;
            dns.set(name + ".tandem-invoker", List.of(INVOKER_IPS.get(i)));
            pods.start(name, pods.invokerEnv(name, INVOKER_IPS.get(i)), pod);
        }
        for (int i = 0; i < CONTROLLER_IPS.size(); i++) {
            String name = "tandem-controller-7f6d8b9c55-d" + i;
            Map<String, String> env = pods.controllerEnv(name, CONTROLLER_IPS.get(i));
            Yaml.patchEnv(env, patch, "controller");
            ids.add(name);
            envs.add(env);
        }
        service = envs.get(0).get("CLUSTER_DNS_QUERY");
        // the first two pods exist; the Service answers with both before either is ready
        dns.set(service, CONTROLLER_IPS.subList(0, 2));
        for (int i = 0; i < 2; i++) {
            pods.start(ids.get(i), envs.get(i), pod);
        }
        for (int i = 0; i < 2; i++) {
            K8sPods.awaitReady(pods.started().get(INVOKER_IPS.size() + i), admin(CONTROLLER_IPS.get(i)), START);
        }
    }

    @AfterAll
    static void undeploy() {
        if (pods != null) {
            pods.close();
        }
        if (dns != null) {
            dns.close();
        }
    }

    private static String admin(String ip) {
        return "http://" + ip + ":3234";
    }

    @Test
    void shouldFormOneClusterFromTheServiceNameAndTakeInAPodThatAppearsLater() {
        awaitView(CONTROLLER_IPS.subList(0, 2), ids.subList(0, 2));

        dns.set(service, CONTROLLER_IPS); // scale to 3: the new pod's address joins the Service's answer
        Launched third = pods.start(ids.get(2), envs.get(2), Launched.Sandbox.dns(dns.resolvConf()));
        K8sPods.awaitReady(third, admin(CONTROLLER_IPS.get(2)), START);

        awaitView(CONTROLLER_IPS, ids);
        assertTrue(dns.aQuestionsFor(service) >= CONTROLLER_IPS.size(),
                "the controllers did not ask DNS for " + service + ": " + dns.questions());
        for (Launched p : pods.started()) {
            assertEquals(List.of(), p.errorLines(), p + " logged errors");
        }
    }

    @Test
    void shouldBuildAStackWhoseOnlyDiscoveryIsDnsPingOnTheHeadlessService() throws Exception {
        assertEquals("dns", envs.get(0).get("CLUSTER_DISCOVERY"), "the dns-ping overlay no longer switches discovery");
        JsonObject peers = Yaml.find(pods.docs(), "Service", service);
        assertEquals("None", peers.getAsJsonObject("spec").get("clusterIP").getAsString());
        assertTrue(peers.getAsJsonObject("spec").get("publishNotReadyAddresses").getAsBoolean());

        TransportSettings settings = TransportSettings.from(new Env(envs.get(0)));
        Method tcp = Class.forName("io.tandem.transport.ProtocolStacks")
                .getDeclaredMethod("tcp", TransportSettings.class);
        tcp.setAccessible(true);
        @SuppressWarnings("unchecked")
        List<Protocol> stack = (List<Protocol>) tcp.invoke(null, settings);
        List<Protocol> discovery = stack.stream().filter(p -> p instanceof Discovery).toList();
        assertEquals(1, discovery.size(), "discovery protocols in the stack: " + discovery);
        assertEquals(service, assertInstanceOf(DNS_PING.class, discovery.get(0)).getDNSQuery());
    }

    private static void awaitView(List<String> ips, List<String> want) {
        for (String ip : ips) {
            Wait.until(Duration.ofSeconds(30), Duration.ofMillis(250),
                    () -> K8sPods.members(admin(ip), pods.adminToken()).stream().sorted().toList()
                            .equals(want.stream().sorted().toList()),
                    () -> "view " + want + " at " + ip + ", have " + K8sPods.members(admin(ip), pods.adminToken()));
        }
    }
}
