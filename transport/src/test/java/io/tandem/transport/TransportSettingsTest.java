package io.tandem.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.tandem.core.config.SettingsCatalog;
import io.tandem.transport.TransportSettings.HostPort;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.jgroups.JChannel;
import org.jgroups.protocols.DELAY;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.TCP_NIO2;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.protocols.kubernetes.KUBE_PING;
import org.jgroups.stack.Protocol;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TransportSettingsTest {

    private static Map<String, String> base() {
        Map<String, String> m = new HashMap<>();
        m.put("CONTROLLER_ID", "c1");
        m.put("CLUSTER_SECRET", "change-me");
        return m;
    }

    private static TransportSettings read(Map<String, String> vars) {
        return TransportSettings.from(new Env(vars));
    }

    private static ConfigException refused(Map<String, String> vars) {
        return assertThrows(ConfigException.class, () -> read(vars));
    }

    @Test
    void shouldApplyDefaults() {
        TransportSettings s = read(base());
        assertEquals("tandem", s.clusterName());
        assertEquals(7800, s.port());
        assertEquals(TransportSettings.Discovery.TCPPING, s.discovery());
        assertEquals(List.of(new HostPort("127.0.0.1", 7800)), s.members(), "own address by default");
        assertEquals(Duration.ofSeconds(3), s.joinWait());
        assertEquals(1, s.minMembers());
        assertEquals(Duration.ofMillis(2), s.flushInterval());
        assertEquals(Duration.ofMillis(2), s.flushMaxDelay(), "coalescing far from limits is opt-in");
        assertEquals(Duration.ofSeconds(8), s.fdTimeout());
        assertEquals(Duration.ofSeconds(2), s.fdInterval());
        assertEquals(Duration.ofSeconds(5), s.mergeInterval());
        assertEquals(Duration.ofSeconds(1), s.mergeMinInterval());
        assertEquals(4 * 1024 * 1024, s.maxMessageBytes());
        assertEquals(2_000_000, s.maxKeys());
        assertEquals(64L * 4 * 1024 * 1024, s.maxStateBytes());
        assertNull(s.delay());
        assertEquals("change-me", s.secret());
        assertFalse(s.toString().contains("change-me"), "the secret is never printed");
    }

    @Test
    void shouldRegisterEverySettingInTheCatalog() {
        read(base());
        List<String> names = SettingsCatalog.all().stream().map(x -> x.name()).collect(Collectors.toList());
        for (String n : List.of("CLUSTER_NAME", "CLUSTER_PORT", "CLUSTER_DISCOVERY", "CLUSTER_MEMBERS",
                "CLUSTER_DNS_QUERY", "KUBERNETES_NAMESPACE", "KUBERNETES_LABELS", "KUBERNETES_MASTER_HOST",
                "KUBERNETES_MASTER_PORT", "CLUSTER_SECRET", "CLUSTER_SECRET_FILE", "CLUSTER_INSECURE",
                "CLUSTER_JOIN_WAIT", "CLUSTER_MIN_MEMBERS", "CLUSTER_FLUSH_INTERVAL", "CLUSTER_FD_TIMEOUT",
                "CLUSTER_MERGE_INTERVAL", "CLUSTER_MAX_MESSAGE_BYTES", "CLUSTER_MAX_KEYS", "CLUSTER_MAX_STATE_BYTES",
                "CLUSTER_DELAY")) {
            assertTrue(names.contains(n), n);
        }
    }

    @Test
    void shouldRefuseClusteringWithoutSecret() {
        Map<String, String> vars = base();
        vars.remove("CLUSTER_SECRET");
        ConfigException e = refused(vars);
        assertEquals("CLUSTER_SECRET", e.variable());
        assertTrue(e.getMessage().contains("CLUSTER_SECRET"), e.getMessage());

        vars.put("CLUSTER_INSECURE", "true");
        assertNull(read(vars).secret());

        vars.remove("CLUSTER_INSECURE");
        vars.put("CLUSTERING", "off");
        assertFalse(read(vars).clustering(), "no secret needed without clustering");
    }

    @Test
    void shouldReadSecretFromFile(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("secret");
        Files.writeString(file, "from-a-file\n");
        Map<String, String> vars = base();
        vars.remove("CLUSTER_SECRET");
        vars.put("CLUSTER_SECRET_FILE", file.toString());
        assertEquals("from-a-file", read(vars).secret());

        vars.put("CLUSTER_SECRET", "both");
        assertEquals("CLUSTER_SECRET_FILE", refused(vars).variable());

        vars.remove("CLUSTER_SECRET");
        vars.put("CLUSTER_SECRET_FILE", dir.resolve("missing").toString());
        assertEquals("CLUSTER_SECRET_FILE", refused(vars).variable());
    }

    @Test
    void shouldNameTheVariableOfABadValue() {
        Map<String, Map.Entry<String, String>> cases = Map.of(
                "CLUSTER_DISCOVERY", Map.entry("CLUSTER_DISCOVERY", "multicast"),
                "CLUSTER_PORT", Map.entry("CLUSTER_PORT", "65500"),
                "CLUSTER_NAME", Map.entry("CLUSTER_NAME", "has space"),
                "CLUSTER_FD_TIMEOUT", Map.entry("CLUSTER_FD_TIMEOUT", "soon"),
                "CLUSTER_MIN_MEMBERS", Map.entry("CLUSTER_MIN_MEMBERS", "0"),
                "CLUSTER_MEMBERS", Map.entry("CLUSTER_MEMBERS", "a:1,b:99999"),
                "CLUSTER_MAX_MESSAGE_BYTES", Map.entry("CLUSTER_MAX_MESSAGE_BYTES", "10"),
                "CLUSTER_MAX_KEYS", Map.entry("CLUSTER_MAX_KEYS", "0"),
                "CLUSTER_INSECURE", Map.entry("CLUSTER_INSECURE", "maybe"),
                "CLUSTER_FLUSH_INTERVAL", Map.entry("CLUSTER_FLUSH_INTERVAL", "0ms"));
        cases.forEach((expected, kv) -> {
            Map<String, String> vars = base();
            vars.put(kv.getKey(), kv.getValue());
            ConfigException e = refused(vars);
            assertEquals(expected, e.variable(), e.getMessage());
            assertTrue(e.getMessage().contains(kv.getValue()), e.getMessage());
        });
    }

    @Test
    void shouldKeepTheFlushMaxDelayAtLeastTheInterval() {
        Map<String, String> vars = base();
        vars.put("CLUSTER_FLUSH_INTERVAL", "1ms");
        assertEquals(Duration.ofMillis(1), read(vars).flushMaxDelay(), "unset: equal to the interval");
        vars.put("CLUSTER_FLUSH_INTERVAL", "20ms");
        assertEquals(Duration.ofMillis(20), read(vars).flushMaxDelay(), "unset: equal to the interval");
        vars.put("CLUSTER_FLUSH_MAX_DELAY", "10ms");
        ConfigException e = refused(vars);
        assertEquals("CLUSTER_FLUSH_MAX_DELAY", e.variable());
        assertTrue(e.getMessage().contains("at least CLUSTER_FLUSH_INTERVAL (20ms)"), e.getMessage());
        vars.put("CLUSTER_FLUSH_MAX_DELAY", "20ms");
        assertEquals(Duration.ofMillis(20), read(vars).flushMaxDelay(), "equal: no coalescing beyond the interval");
    }

    @Test
    void shouldBlameThePortNotTheHostForAPortThatIsNotANumber() {
        Map<String, String> vars = base();
        vars.put("CLUSTER_MEMBERS", "127.0.0.110:abc");
        ConfigException e = refused(vars);
        assertEquals("CLUSTER_MEMBERS", e.variable());
        assertTrue(e.getMessage().contains("the port of '127.0.0.110:abc' is not a number"), e.getMessage());
        vars.put("CLUSTER_MEMBERS", "[::1]:7800,::1");
        assertEquals(2, read(vars).members().size());
    }

    @Test
    void shouldNameTheVariableOfABadStateLimit() {
        Map<String, String> vars = base();
        vars.put("CLUSTER_MAX_STATE_BYTES", "12");
        assertEquals("CLUSTER_MAX_STATE_BYTES", refused(vars).variable());
        vars.put("CLUSTER_MAX_STATE_BYTES", "1000000");
        assertEquals(1_000_000L, read(vars).maxStateBytes());
    }

    @Test
    void shouldRequireDnsQueryForDnsDiscovery() {
        Map<String, String> vars = base();
        vars.put("CLUSTER_DISCOVERY", "dns");
        assertEquals("CLUSTER_DNS_QUERY", refused(vars).variable());
        vars.put("CLUSTER_DNS_QUERY", "controllers.tandem.svc.cluster.local");
        assertEquals("controllers.tandem.svc.cluster.local", read(vars).dnsQuery());
    }

    @Test
    void shouldRequireKubernetesApiHostForKubeDiscovery() {
        Map<String, String> vars = base();
        vars.put("CLUSTER_DISCOVERY", "kube");
        assertEquals("KUBERNETES_MASTER_HOST", refused(vars).variable());
        vars.put("KUBERNETES_SERVICE_HOST", "10.96.0.1");
        vars.put("KUBERNETES_SERVICE_PORT", "6443");
        TransportSettings s = read(vars);
        assertEquals("10.96.0.1", s.kubeMasterHost());
        assertEquals(6443, s.kubeMasterPort());
        vars.put("KUBERNETES_MASTER_HOST", "api.example");
        vars.put("KUBERNETES_MASTER_PORT", "443");
        assertEquals("api.example", read(vars).kubeMasterHost());
        assertEquals(443, read(vars).kubeMasterPort());
    }

    @Test
    void shouldParseMembersInBothForms() {
        assertEquals(List.of(new HostPort("10.0.0.1", 7800), new HostPort("ctrl-2", 7801),
                        new HostPort("ctrl-3", 7900), new HostPort("::1", 7805)),
                TransportSettings.parseMembers(" 10.0.0.1[7800], ctrl-2:7801 ,ctrl-3,[::1]:7805", 7900));
        assertThrows(ConfigException.class, () -> TransportSettings.parseMembers(" , ", 7800));
    }

    @Test
    void shouldBuildTheTcpStackWithCheckedProperties() throws Exception {
        Map<String, String> vars = base();
        vars.put("BIND_ADDR", "127.0.0.1");
        vars.put("CLUSTER_PORT", "17800");
        vars.put("CLUSTER_MEMBERS", "127.0.0.1:17800,127.0.0.1[17801]");
        vars.put("CLUSTER_DELAY", "5ms");
        TransportSettings s = read(vars);
        List<Protocol> stack = ProtocolStacks.tcp(s);
        // SYM_ENCRYPT (TandemEncrypt) right above discovery: everything from MERGE3 up is encrypted
        assertEquals(List.of("TCP_NIO2", "DELAY", "TCPPING", "TandemEncrypt", "MERGE3", "FD_SOCK2", "FD_ALL3",
                "VERIFY_SUSPECT2", "NAKACK2", "UNICAST3", "STABLE", "GMS", "UFC", "MFC", "FRAG4", "STATE_TRANSFER"),
                stack.stream().map(Protocol::getName).collect(Collectors.toList()));
        TandemEncrypt encrypt = (TandemEncrypt) stack.get(3);
        assertEquals("AES/CBC/PKCS5Padding", encrypt.symAlgorithm());
        assertEquals(16, encrypt.simIvLength());
        assertEquals(ClusterKeys.derive(s.secret(), s.clusterName()).encryptionKey(), encrypt.secretKey());
        List<String> insecure = ProtocolStacks.tcp(s, null).stream().map(Protocol::getName)
                .collect(Collectors.toList());
        assertFalse(insecure.contains("TandemEncrypt"), "no encryption without a secret: " + insecure);
        TCP_NIO2 tcp = (TCP_NIO2) stack.get(0);
        assertTrue(tcp.tcpNodelay());
        assertEquals(ProtocolStacks.MAX_SEND_BUFFERS, tcp.getMaxSendBuffers());
        assertEquals(InetAddress.getByName("127.0.0.1"), tcp.getBindAddress());
        assertEquals(17800, tcp.getBindPort());
        FD_SOCK2 fd = (FD_SOCK2) stack.get(5);
        assertEquals(100, fd.getOffset());
        assertEquals(InetAddress.getByName("127.0.0.1"), fd.getValue("bind_addr"));
        assertEquals(8000L, ((FD_ALL3) stack.get(6)).getTimeout());
        assertEquals(2000L, ((FD_ALL3) stack.get(6)).getInterval());
        assertEquals(5000L, ((MERGE3) stack.get(4)).getMaxInterval());
        assertEquals(1000L, ((MERGE3) stack.get(4)).getMinInterval());
        assertEquals(5, ((DELAY) stack.get(1)).getInDelay());
        assertEquals(2, ((TCPPING) stack.get(2)).getInitialHosts().size());

        // JGroups validates the stack when the channel is created; diagnostics are off
        try (JChannel ch = new JChannel(stack)) {
            ProtocolStacks.disableDiagnostics(ch);
            assertFalse(ch.getProtocolStack().getTransport().getDiagnosticsHandler().isEnabled());
        }
    }

    @Test
    void shouldBuildDnsAndKubeStacks() throws Exception {
        Map<String, String> vars = base();
        vars.put("CLUSTER_DISCOVERY", "dns");
        vars.put("CLUSTER_DNS_QUERY", "tandem-controller");
        List<Protocol> dnsStack = ProtocolStacks.tcp(read(vars));
        Protocol dns = dnsStack.get(1);
        assertInstanceOf(DNS_PING.class, dns);
        assertEquals("tandem-controller", dns.getValue("dns_query"));
        try (JChannel ch = new JChannel(dnsStack)) { // init() accepts it
            assertEquals(dns, ch.getProtocolStack().findProtocol(DNS_PING.class));
        }

        vars.put("CLUSTER_DISCOVERY", "kube");
        vars.put("KUBERNETES_NAMESPACE", "tandem");
        vars.put("KUBERNETES_LABELS", "app=tandem-controller");
        vars.put("KUBERNETES_MASTER_HOST", "10.96.0.1");
        vars.put("KUBERNETES_MASTER_PORT", "443");
        List<Protocol> kubeStack = ProtocolStacks.tcp(read(vars));
        Protocol kube = kubeStack.get(1);
        assertInstanceOf(KUBE_PING.class, kube);
        assertEquals(0, kube.getValue("port_range"));
        try (JChannel ch = new JChannel(kubeStack)) { // init() accepts it, even outside a pod
            assertEquals(kube, ch.getProtocolStack().findProtocol(KUBE_PING.class));
        }
        assertEquals("tandem", kube.getValue("namespace"));
        assertEquals("app=tandem-controller", kube.getValue("labels"));
        assertEquals("10.96.0.1", kube.getValue("masterHost"));
        assertEquals(443, kube.getValue("masterPort"));
    }

    @Test
    void shouldRefuseUnresolvableMembers() {
        Map<String, String> vars = base();
        vars.put("CLUSTER_MEMBERS", "no-such-host.invalid:7800");
        TransportSettings s = read(vars);
        assertEquals("CLUSTER_MEMBERS", assertThrows(ConfigException.class, () -> ProtocolStacks.tcp(s)).variable());
    }
}
