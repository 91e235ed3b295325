package io.tandem.transport;

import io.tandem.core.config.CommonSettings;
import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.tandem.core.config.Setting;
import io.tandem.core.config.SettingsCatalog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Configuration of the cluster transport, read once at start from environment variables and validated in one
 * place: a missing or bad value throws {@link ConfigException} naming the variable and the value. Immutable and
 * therefore thread-safe.
 *
 * <p>{@code BIND_ADDR}, {@code ADVERTISE_ADDR}, {@code CONTROLLER_ID}, {@code CONTROLLER_COUNT} and
 * {@code CLUSTERING} come from {@link CommonSettings}; everything below is this module's own.
 *
 * @param clusterName      JGroups cluster name; controllers with another name never see each other
 * @param controllerId     this controller's stable id
 * @param controllerCount  expected cluster size: a smaller view is reported as degraded
 * @param clustering       CLUSTERING: false means {@link LocalReplicator}, and no secret is needed
 * @param bindAddr         address the TCP transport and FD_SOCK2 bind to
 * @param advertiseAddr    address peers use to reach this controller (JGroups' external address when it differs)
 * @param port             TCP transport port; FD_SOCK2 listens on {@code port + 100}
 * @param discovery        how members find each other
 * @param members          TCPPING's initial hosts (host and port, not resolved yet)
 * @param dnsQuery         DNS_PING's query (discovery = dns)
 * @param kubeNamespace    KUBE_PING's namespace
 * @param kubeLabels       KUBE_PING's pod label selector, or null for every pod of the namespace
 * @param kubeMasterHost   Kubernetes API host for KUBE_PING (discovery = kube)
 * @param kubeMasterPort   Kubernetes API port for KUBE_PING
 * @param secret           shared cluster secret (keys SYM_ENCRYPT and the message MAC), or null when {@code insecure}
 * @param insecure         CLUSTER_INSECURE: allows clustering without a secret
 * @param joinWait         how long a controller that found nobody waits before it calls itself ready
 * @param minMembers       readiness waits until the view holds at least this many members
 * @param flushInterval    how often the flusher looks for local changes; an urgent change waits at most this long
 * @param flushMaxDelay    how long a change that is not urgent (its count below half of its limit) may wait to be
 *                         coalesced with later ones; at least {@code flushInterval}
 * @param fdTimeout        FD_ALL3 timeout (its interval is a quarter of it)
 * @param mergeInterval    MERGE3 max_interval (min_interval is a fifth of it)
 * @param maxMessageBytes  larger incoming cluster messages are dropped and counted
 * @param maxKeys          most keys in one delta or row; a message with more is dropped and counted
 * @param maxStateBytes    largest state transfer a joiner accepts
 * @param delay            test only: a constant delay on every incoming message (JGroups' DELAY), or null
 */
public record TransportSettings(String clusterName, String controllerId, int controllerCount, boolean clustering,
                                String bindAddr, String advertiseAddr, int port, Discovery discovery,
                                List<HostPort> members, String dnsQuery, String kubeNamespace, String kubeLabels,
                                String kubeMasterHost, int kubeMasterPort, String secret, boolean insecure,
                                Duration joinWait, int minMembers, Duration flushInterval, Duration flushMaxDelay,
                                Duration fdTimeout,
                                Duration mergeInterval, int maxMessageBytes, int maxKeys, long maxStateBytes,
                                Duration delay) {

    /** How members find each other. */
    public enum Discovery {
        /** A fixed list of hosts ({@code CLUSTER_MEMBERS}); also what tests use. */
        TCPPING,
        /** A DNS name resolving to every controller (compose service name, headless Kubernetes Service). */
        DNS,
        /** The Kubernetes API lists the pods (jgroups-kubernetes' KUBE_PING). */
        KUBE
    }

    /** A host and port of {@code CLUSTER_MEMBERS}, resolved only when the stack is built. */
    public record HostPort(String host, int port) {
        @Override
        public String toString() {
            return host + "[" + port + "]";
        }
    }

    /** FD_SOCK2 listens on the transport port plus this offset, on the same address. */
    public static final int FD_SOCK_OFFSET = 100;

    public static final Setting CLUSTER_NAME = new Setting("CLUSTER_NAME", "tandem",
            "JGroups cluster name; controllers join only a cluster of the same name");
    public static final Setting CLUSTER_PORT = new Setting("CLUSTER_PORT", "7800",
            "TCP port of the cluster transport; FD_SOCK2 uses this port + 100 on the same address");
    public static final Setting CLUSTER_DISCOVERY = new Setting("CLUSTER_DISCOVERY", "tcpping",
            "how controllers find each other: tcpping (CLUSTER_MEMBERS), dns (CLUSTER_DNS_QUERY) or kube (KUBE_PING)");
    public static final Setting CLUSTER_MEMBERS = new Setting("CLUSTER_MEMBERS", null,
            "tcpping: the controllers as host:port or host[port], comma separated (default: this controller's own"
                    + " address and CLUSTER_PORT)");
    public static final Setting CLUSTER_DNS_QUERY = new Setting("CLUSTER_DNS_QUERY", null,
            "dns: the name whose A records are the controllers (e.g. the headless Service); required with dns");
    public static final Setting KUBERNETES_NAMESPACE = new Setting("KUBERNETES_NAMESPACE", "default",
            "kube: namespace whose pods KUBE_PING lists");
    public static final Setting KUBERNETES_LABELS = new Setting("KUBERNETES_LABELS", null,
            "kube: label selector of the controller pods, e.g. app=tandem-controller (default: every pod)");
    public static final Setting KUBERNETES_MASTER_HOST = new Setting("KUBERNETES_MASTER_HOST", null,
            "kube: Kubernetes API host (default: KUBERNETES_SERVICE_HOST)");
    public static final Setting KUBERNETES_MASTER_PORT = new Setting("KUBERNETES_MASTER_PORT", null,
            "kube: Kubernetes API port (default: KUBERNETES_SERVICE_PORT, else 443)");
    public static final Setting KUBERNETES_SERVICE_HOST = new Setting("KUBERNETES_SERVICE_HOST", null,
            "set by Kubernetes in every pod; the default of KUBERNETES_MASTER_HOST");
    public static final Setting KUBERNETES_SERVICE_PORT = new Setting("KUBERNETES_SERVICE_PORT", null,
            "set by Kubernetes in every pod; the default of KUBERNETES_MASTER_PORT");
    public static final Setting CLUSTER_SECRET = new Setting("CLUSTER_SECRET", null,
            "shared secret of the cluster; required with CLUSTERING=on unless CLUSTER_INSECURE=true");
    public static final Setting CLUSTER_SECRET_FILE = new Setting("CLUSTER_SECRET_FILE", null,
            "file holding the shared secret (instead of CLUSTER_SECRET)");
    public static final Setting CLUSTER_INSECURE = new Setting("CLUSTER_INSECURE", "false",
            "true: allow clustering without a secret (tests and demos on a trusted host only)");
    public static final Setting CLUSTER_JOIN_WAIT = new Setting("CLUSTER_JOIN_WAIT", "3s",
            "a controller alone in its view waits this long, then is ready if discovery finds nobody else"
                    + " (peers it finds but cannot join, e.g. with another CLUSTER_SECRET, keep it unready)");
    public static final Setting CLUSTER_MIN_MEMBERS = new Setting("CLUSTER_MIN_MEMBERS", "1",
            "readiness waits until the view holds at least this many controllers");
    public static final Setting CLUSTER_FLUSH_INTERVAL = new Setting("CLUSTER_FLUSH_INTERVAL", "2ms",
            "how often coalesced bookkeeping deltas are multicast when a count is at or above half of its limit");
    public static final Setting CLUSTER_FLUSH_MAX_DELAY = new Setting("CLUSTER_FLUSH_MAX_DELAY", null,
            "longest a count change far from its limit (below half) may wait to be sent with later ones: above"
                    + " CLUSTER_FLUSH_INTERVAL (e.g. 6ms) it sends fewer messages under load, see BENCHMARKS.md;"
                    + " at least CLUSTER_FLUSH_INTERVAL (default: equal to it, no coalescing)");
    public static final Setting CLUSTER_FD_TIMEOUT = new Setting("CLUSTER_FD_TIMEOUT", "8s",
            "FD_ALL3 timeout: a member silent this long is suspected (heartbeats every quarter of it)");
    public static final Setting CLUSTER_MERGE_INTERVAL = new Setting("CLUSTER_MERGE_INTERVAL", "5s",
            "MERGE3 max_interval: how often partitions are looked for (min_interval is a fifth of it)");
    public static final Setting CLUSTER_MAX_MESSAGE_BYTES = new Setting("CLUSTER_MAX_MESSAGE_BYTES", "4194304",
            "largest cluster message accepted, in bytes; larger ones are dropped and counted");
    public static final Setting CLUSTER_MAX_KEYS = new Setting("CLUSTER_MAX_KEYS", "2000000",
            "most keys (namespaces, invokers) in one delta or row; a message with more is dropped and counted");
    public static final Setting CLUSTER_MAX_STATE_BYTES = new Setting("CLUSTER_MAX_STATE_BYTES", null,
            "largest state transfer a joining controller accepts, in bytes (default: 64 x CLUSTER_MAX_MESSAGE_BYTES)");
    public static final Setting CLUSTER_DELAY = new Setting("CLUSTER_DELAY", null,
            "test only: delay every incoming cluster message by this much (JGroups DELAY), for fault tests");

    static {
        SettingsCatalog.registerAll(CLUSTER_NAME, CLUSTER_PORT, CLUSTER_DISCOVERY, CLUSTER_MEMBERS, CLUSTER_DNS_QUERY,
                KUBERNETES_NAMESPACE, KUBERNETES_LABELS, KUBERNETES_MASTER_HOST, KUBERNETES_MASTER_PORT,
                KUBERNETES_SERVICE_HOST, KUBERNETES_SERVICE_PORT, CLUSTER_SECRET, CLUSTER_SECRET_FILE,
                CLUSTER_INSECURE, CLUSTER_JOIN_WAIT, CLUSTER_MIN_MEMBERS, CLUSTER_FLUSH_INTERVAL, CLUSTER_FLUSH_MAX_DELAY,
                CLUSTER_FD_TIMEOUT,
                CLUSTER_MERGE_INTERVAL, CLUSTER_MAX_MESSAGE_BYTES, CLUSTER_MAX_KEYS, CLUSTER_MAX_STATE_BYTES,
                CLUSTER_DELAY);
    }

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,64}");
    /** {@code host[port]}, {@code host:port}, {@code [v6]:port} or a bare host. */
    private static final Pattern BRACKET_PORT = Pattern.compile("(.+)\\[([0-9]{1,5})]");
    private static final Pattern COLON_PORT = Pattern.compile("(\\[[0-9A-Fa-f:.]+]|[^:\\[\\]]+):([0-9]{1,5})");

    public TransportSettings {
        Objects.requireNonNull(discovery, "discovery");
        members = List.copyOf(members);
    }

    /** Reads every setting; a missing or bad value throws {@link ConfigException} naming the variable. */
    public static TransportSettings from(Env env) {
        String clusterName = env.string(CLUSTER_NAME);
        check(NAME.matcher(clusterName).matches(), CLUSTER_NAME, clusterName,
                "must be 1-64 letters, digits, '.', '_' or '-'");
        boolean clustering = CommonSettings.clustering(env);
        String bindAddr = CommonSettings.bindAddr(env);
        check(bindAddr != null && !bindAddr.isBlank(), CommonSettings.BIND_ADDR, bindAddr,
                "must be an address or host name");
        String advertiseAddr = CommonSettings.advertiseAddr(env);
        // port + 100 (FD_SOCK2) must be a port too
        int port = env.intValue(CLUSTER_PORT, 1, 65535 - FD_SOCK_OFFSET);
        Discovery discovery = discovery(env);

        List<HostPort> members = env.isSet(CLUSTER_MEMBERS)
                ? parseMembers(env.string(CLUSTER_MEMBERS), port)
                : List.of(new HostPort(advertiseAddr, port));

        String dnsQuery = env.string(CLUSTER_DNS_QUERY);
        if (discovery == Discovery.DNS) {
            check(dnsQuery != null, CLUSTER_DNS_QUERY, null, "is required with CLUSTER_DISCOVERY=dns");
        }

        String kubeNamespace = env.string(KUBERNETES_NAMESPACE);
        String kubeLabels = env.string(KUBERNETES_LABELS);
        String kubeMasterHost = env.isSet(KUBERNETES_MASTER_HOST)
                ? env.string(KUBERNETES_MASTER_HOST) : env.string(KUBERNETES_SERVICE_HOST);
        int kubeMasterPort = env.isSet(KUBERNETES_MASTER_PORT) ? env.port(KUBERNETES_MASTER_PORT)
                : env.isSet(KUBERNETES_SERVICE_PORT) ? env.port(KUBERNETES_SERVICE_PORT) : 443;
        if (discovery == Discovery.KUBE) {
            check(kubeMasterHost != null, KUBERNETES_MASTER_HOST, null,
                    "is required with CLUSTER_DISCOVERY=kube outside a pod (KUBERNETES_SERVICE_HOST is not set)");
        }

        boolean insecure = env.bool(CLUSTER_INSECURE);
        String secret = secret(env);
        if (clustering && secret == null && !insecure) {
            throw new ConfigException(CLUSTER_SECRET.name(), null, "is required with CLUSTERING=on (or set"
                    + " CLUSTER_SECRET_FILE; CLUSTER_INSECURE=true allows a cluster without a secret)");
        }

        int maxMessageBytes = env.intValue(CLUSTER_MAX_MESSAGE_BYTES, 64 * 1024, 1 << 30);
        long maxStateBytes = env.isSet(CLUSTER_MAX_STATE_BYTES)
                ? env.longValue(CLUSTER_MAX_STATE_BYTES, 64 * 1024, Integer.MAX_VALUE - 16)
                : Math.min((long) maxMessageBytes * WireCodec.STATE_SIZE_FACTOR, Integer.MAX_VALUE - 16);

        Duration flushInterval = env.duration(CLUSTER_FLUSH_INTERVAL, Duration.ofMillis(1), Duration.ofSeconds(1));
        Duration flushMaxDelay;
        if (env.isSet(CLUSTER_FLUSH_MAX_DELAY)) {
            flushMaxDelay = env.duration(CLUSTER_FLUSH_MAX_DELAY, Duration.ofMillis(1), Duration.ofSeconds(1));
            check(flushMaxDelay.compareTo(flushInterval) >= 0, CLUSTER_FLUSH_MAX_DELAY,
                    env.string(CLUSTER_FLUSH_MAX_DELAY), "must be at least CLUSTER_FLUSH_INTERVAL ("
                            + flushInterval.toMillis() + "ms)");
        } else {
            flushMaxDelay = flushInterval; // coalescing far from limits is opt-in (BENCHMARKS.md section 4)
        }
        Duration delay = env.isSet(CLUSTER_DELAY)
                ? env.duration(CLUSTER_DELAY, Duration.ZERO, Duration.ofSeconds(10)) : null;

        return new TransportSettings(clusterName, CommonSettings.controllerId(env),
                CommonSettings.controllerCount(env), clustering, bindAddr, advertiseAddr, port, discovery, members,
                dnsQuery, kubeNamespace, kubeLabels, kubeMasterHost, kubeMasterPort, secret, insecure,
                env.duration(CLUSTER_JOIN_WAIT, Duration.ZERO, Duration.ofMinutes(10)),
                env.intValue(CLUSTER_MIN_MEMBERS, 1, 1000),
                flushInterval, flushMaxDelay,
                env.duration(CLUSTER_FD_TIMEOUT, Duration.ofMillis(400), Duration.ofMinutes(10)),
                env.duration(CLUSTER_MERGE_INTERVAL, Duration.ofMillis(500), Duration.ofMinutes(10)),
                maxMessageBytes, env.intValue(CLUSTER_MAX_KEYS, 1, 100_000_000), maxStateBytes,
                delay);
    }

    private static Discovery discovery(Env env) {
        String v = env.string(CLUSTER_DISCOVERY);
        switch (v.toLowerCase(Locale.ROOT)) {
            case "tcpping":
                return Discovery.TCPPING;
            case "dns":
                return Discovery.DNS;
            case "kube":
            case "kubernetes":
                return Discovery.KUBE;
            default:
                throw new ConfigException(CLUSTER_DISCOVERY.name(), v, "must be one of tcpping, dns, kube");
        }
    }

    private static String secret(Env env) {
        boolean inline = env.isSet(CLUSTER_SECRET);
        boolean file = env.isSet(CLUSTER_SECRET_FILE);
        if (inline && file) {
            throw new ConfigException(CLUSTER_SECRET_FILE.name(), env.string(CLUSTER_SECRET_FILE),
                    "set either CLUSTER_SECRET or CLUSTER_SECRET_FILE, not both");
        }
        if (inline) {
            return env.string(CLUSTER_SECRET);
        }
        if (!file) {
            return null;
        }
        String path = env.string(CLUSTER_SECRET_FILE);
        String content;
        try {
            content = Files.readString(Path.of(path), StandardCharsets.UTF_8).trim();
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(CLUSTER_SECRET_FILE.name(), path, "cannot be read: " + e);
        }
        check(!content.isEmpty(), CLUSTER_SECRET_FILE, path, "is empty");
        return content;
    }

    /** Parses {@code host[port],host:port,host}; a host without a port gets {@code defaultPort}. */
    static List<HostPort> parseMembers(String value, int defaultPort) {
        List<HostPort> out = new ArrayList<>();
        for (String part : value.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String host;
            String portText = null;
            Matcher m;
            if ((m = BRACKET_PORT.matcher(p)).matches() || (m = COLON_PORT.matcher(p)).matches()) {
                host = m.group(1);
                portText = m.group(2);
            } else {
                host = p;
            }
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            check(!host.isBlank() && !host.contains(" ") && !host.contains("["), CLUSTER_MEMBERS, value,
                    "'" + p + "' is not host:port or host[port]");
            // one colon is host:port with a port that is not a number (an IPv6 literal has several)
            check(host.indexOf(':') < 0 || host.indexOf(':') != host.lastIndexOf(':'), CLUSTER_MEMBERS, value,
                    "the port of '" + p + "' is not a number from 1 to 65535");
            int port = defaultPort;
            if (portText != null) {
                port = Integer.parseInt(portText);
                check(port >= 1 && port <= 65535, CLUSTER_MEMBERS, value, "port of '" + p + "' is out of range");
            }
            out.add(new HostPort(host, port));
        }
        check(!out.isEmpty(), CLUSTER_MEMBERS, value, "lists no member");
        return List.copyOf(out);
    }

    private static void check(boolean ok, Setting s, String value, String problem) {
        if (!ok) {
            throw new ConfigException(s.name(), value, problem);
        }
    }

    /** FD_ALL3's heartbeat interval: a quarter of its timeout. */
    public Duration fdInterval() {
        return fdTimeout.dividedBy(4);
    }

    /** How long VERIFY_SUSPECT2 waits for a suspect to answer: a quarter of the FD timeout, at most 2 s. */
    public Duration verifySuspectTimeout() {
        Duration quarter = fdTimeout.dividedBy(4);
        return quarter.compareTo(Duration.ofSeconds(2)) < 0 ? quarter : Duration.ofSeconds(2);
    }

    /** MERGE3's min_interval: a fifth of its max_interval. */
    public Duration mergeMinInterval() {
        return mergeInterval.dividedBy(5);
    }

    /** Never prints the secret: settings get logged. */
    @Override
    public String toString() {
        return "TransportSettings[clusterName=" + clusterName + ", controllerId=" + controllerId
                + ", controllerCount=" + controllerCount + ", clustering=" + clustering + ", bindAddr=" + bindAddr
                + ", advertiseAddr=" + advertiseAddr + ", port=" + port + ", discovery=" + discovery
                + ", members=" + members + ", dnsQuery=" + dnsQuery + ", kubeNamespace=" + kubeNamespace
                + ", kubeLabels=" + kubeLabels + ", kubeMasterHost=" + kubeMasterHost + ", kubeMasterPort="
                + kubeMasterPort + ", secret=" + (secret == null ? "none" : "<hidden>") + ", insecure=" + insecure
                + ", joinWait=" + joinWait + ", minMembers=" + minMembers + ", flushInterval=" + flushInterval
                + ", flushMaxDelay=" + flushMaxDelay
                + ", fdTimeout=" + fdTimeout + ", mergeInterval=" + mergeInterval + ", maxMessageBytes="
                + maxMessageBytes + ", maxKeys=" + maxKeys + ", maxStateBytes=" + maxStateBytes + ", delay=" + delay + "]";
    }
}
