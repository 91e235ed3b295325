package io.tandem.transport;

import io.tandem.core.config.CommonSettings;
import io.tandem.core.config.ConfigException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import org.jgroups.protocols.DELAY;
import org.jgroups.protocols.FD_ALL3;
import org.jgroups.protocols.FD_SOCK2;
import org.jgroups.protocols.FRAG4;
import org.jgroups.protocols.MERGE3;
import org.jgroups.protocols.MFC;
import org.jgroups.protocols.SHARED_LOOPBACK;
import org.jgroups.protocols.SHARED_LOOPBACK_PING;
import org.jgroups.protocols.TCP_NIO2;
import org.jgroups.protocols.TCPPING;
import org.jgroups.protocols.UFC;
import org.jgroups.protocols.UNICAST3;
import org.jgroups.protocols.VERIFY_SUSPECT2;
import org.jgroups.protocols.dns.DNS_PING;
import org.jgroups.protocols.kubernetes.KUBE_PING;
import org.jgroups.protocols.pbcast.GMS;
import org.jgroups.protocols.pbcast.NAKACK2;
import org.jgroups.protocols.pbcast.STABLE;
import org.jgroups.protocols.pbcast.STATE_TRANSFER;
import org.jgroups.stack.Protocol;

/**
 * Builds the JGroups protocol stack from {@link TransportSettings}, bottom first, in code rather than XML so that
 * every property is set through a typed setter the compiler checks (a misspelt XML attribute would only fail at
 * start). The order and values follow JGroups' own {@code tcp.xml}, tuned as DESIGN.md asks:
 *
 * <pre>
 * TCP_NIO2 (tcp_nodelay, bind_addr/bind_port, port_range 0, max_send_buffers 512, diagnostics off)
 * [DELAY]                                  only when CLUSTER_DELAY is set (fault tests)
 * TCPPING | DNS_PING | KUBE_PING
 * [SYM_ENCRYPT]   ({@link TandemEncrypt}) AES/CBC, key derived from CLUSTER_SECRET; absent only when insecure
 * MERGE3          max_interval = CLUSTER_MERGE_INTERVAL, min_interval = a fifth
 * FD_SOCK2        same bind address, port offset 100
 * FD_ALL3         timeout = CLUSTER_FD_TIMEOUT, interval = a quarter
 * VERIFY_SUSPECT2 timeout = min(2 s, FD timeout / 4)
 * pbcast.NAKACK2  use_mcast_xmit=false (TCP has no IP multicast)
 * UNICAST3
 * pbcast.STABLE
 * pbcast.GMS      join_timeout 2 s, print_local_addr=false
 * UFC, MFC        2 MB credits
 * FRAG4           60 KB fragments
 * pbcast.STATE_TRANSFER
 * </pre>
 *
 * SYM_ENCRYPT sits directly above discovery so that everything above it — MERGE3's INFO, FD_SOCK2's and FD_ALL3's
 * messages, VERIFY_SUSPECT2, NAKACK2/UNICAST3 (joins, views, retransmissions), flow control, fragments, the state
 * transfer and our own messages — is encrypted, and a process without the key cannot join or be merged in. Below
 * it a stranger still reaches TCP connection setup and discovery (and FD_SOCK2's own socket on port + 100, which
 * is outside the stack): see docs/security.md.
 *
 * <p>The lists returned are mutable so that tests can insert protocols (DISCARD, a fault injector) before the
 * channel is created. Diagnostics are switched off after the channel is created, see
 * {@link #disableDiagnostics(org.jgroups.JChannel)}. Stateless; thread-safe.
 */
final class ProtocolStacks {
    static final long JOIN_TIMEOUT_MS = 2000;
    static final long CREDITS = 2_000_000;
    static final int FRAG_SIZE = 60_000;
    /**
     * Messages TCP_NIO2 buffers per connection while the peer does not read, before it drops (retransmission
     * repairs drops). JGroups' default of 10 drops during ordinary bursts of deltas and heartbeats; 512 messages
     * of at most {@link #FRAG_SIZE} bytes bound the memory a stalled peer can hold at about 30 MB.
     */
    static final int MAX_SEND_BUFFERS = 512;

    private ProtocolStacks() {
    }

    /** The production stack, encrypted with keys derived from the settings' secret when there is one. */
    static List<Protocol> tcp(TransportSettings s) {
        return tcp(s, s.secret() == null ? null : ClusterKeys.derive(s.secret(), s.clusterName()));
    }

    /**
     * The production stack: TCP, the configured discovery and, when {@code keys} is not null, encryption.
     *
     * @param keys derived from the settings' secret, or null for an insecure cluster
     */
    static List<Protocol> tcp(TransportSettings s, ClusterKeys keys) {
        InetAddress bind = resolve(s.bindAddr(), CommonSettings.BIND_ADDR.name());
        // TCP_NIO2, not TCP: TCP writes to each member in turn on the sending thread and connects synchronously,
        // so one peer behind a silent cut (its socket buffer full, or a reconnect waiting out sock_conn_timeout)
        // stalled every multicast to everyone: heartbeats, views and deltas to the healthy peers included, and a
        // partition under load went undetected for minutes (docs/fault-suite.md, bug 1). TCP_NIO2 never blocks a
        // sender: connects are non-blocking, and a write that does not fit is buffered per connection (up to
        // max_send_buffers, then dropped and left to NAKACK2/UNICAST3 retransmission).
        TCP_NIO2 tcp = new TCP_NIO2();
        tcp.setMaxSendBuffers(MAX_SEND_BUFFERS);
        tcp.setBindAddress(bind);
        tcp.setBindPort(s.port());
        // Fail fast on a taken port instead of silently binding to the next one, which peers would not look for.
        tcp.setPortRange(0);
        tcp.tcpNodelay(true);
        InetAddress external = null;
        if (!s.advertiseAddr().equals(s.bindAddr())) {
            external = resolve(s.advertiseAddr(), CommonSettings.ADVERTISE_ADDR.name());
            tcp.setExternalAddr(external);
        }

        List<Protocol> stack = new ArrayList<>();
        stack.add(tcp);
        addDelay(stack, s);
        stack.add(discovery(s));
        if (keys != null) {
            stack.add(TandemEncrypt.withKey(keys.encryptionKey()));
        }
        stack.add(merge(s));
        FD_SOCK2 fdSock = new FD_SOCK2().setOffset(TransportSettings.FD_SOCK_OFFSET).setBindAddress(bind)
                .setPortRange(0);
        if (external != null) {
            fdSock.setExternalAddress(external);
        }
        stack.add(fdSock);
        addReliability(stack, s);
        return stack;
    }

    /**
     * The same stack over SHARED_LOOPBACK and SHARED_LOOPBACK_PING, for several members in one JVM. FD_SOCK2 is
     * left out: it needs real sockets; FD_ALL3 and VERIFY_SUSPECT2 still detect failures.
     */
    static List<Protocol> sharedLoopback(TransportSettings s) {
        List<Protocol> stack = new ArrayList<>();
        stack.add(new SHARED_LOOPBACK());
        addDelay(stack, s);
        stack.add(new SHARED_LOOPBACK_PING());
        stack.add(merge(s));
        addReliability(stack, s);
        return stack;
    }

    /** DIAG answers probes from anyone on the network; nothing of ours needs it. */
    static void disableDiagnostics(org.jgroups.JChannel channel) {
        channel.getProtocolStack().getTransport().getDiagnosticsHandler().setEnabled(false);
    }

    private static void addDelay(List<Protocol> stack, TransportSettings s) {
        if (s.delay() != null && !s.delay().isZero()) {
            DELAY delay = new DELAY();
            delay.setInDelay((int) s.delay().toMillis());
            // constant: a random delay would reorder nothing (NAKACK2 sits above) but makes tests less repeatable
            delay.setValue("constant_delay", true);
            stack.add(delay);
        }
    }

    private static Protocol discovery(TransportSettings s) {
        switch (s.discovery()) {
            case TCPPING: {
                List<InetSocketAddress> hosts = new ArrayList<>();
                for (TransportSettings.HostPort hp : s.members()) {
                    InetSocketAddress a = new InetSocketAddress(hp.host(), hp.port());
                    if (a.isUnresolved()) {
                        throw new ConfigException(TransportSettings.CLUSTER_MEMBERS.name(), hp.toString(),
                                "host cannot be resolved");
                    }
                    hosts.add(a);
                }
                TCPPING ping = new TCPPING();
                ping.setInitialHosts(hosts);
                ping.setPortRange(0);
                return ping;
            }
            case DNS: {
                DNS_PING ping = new DNS_PING();
                ping.setDNSQuery(s.dnsQuery());
                return ping;
            }
            case KUBE: {
                // Built in code, KUBE_PING does not read its system-property defaults (KUBERNETES_SERVICE_HOST...),
                // so every value it needs is set here from our settings.
                KUBE_PING ping = new KUBE_PING();
                ping.setNamespace(s.kubeNamespace());
                ping.setMasterHost(s.kubeMasterHost());
                ping.setMasterPort(s.kubeMasterPort());
                // TCP binds one port only (port_range 0); KUBE_PING would otherwise also probe port + 1
                ping.setValue("port_range", 0);
                if (s.kubeLabels() != null) {
                    ping.setValue("labels", s.kubeLabels());
                }
                return ping;
            }
            default:
                throw new IllegalStateException("discovery " + s.discovery());
        }
    }

    private static MERGE3 merge(TransportSettings s) {
        return new MERGE3().setMinInterval(s.mergeMinInterval().toMillis()).setMaxInterval(s.mergeInterval().toMillis());
    }

    /** Everything above discovery and FD_SOCK2: failure detection, reliability, membership, flow, state. */
    private static void addReliability(List<Protocol> stack, TransportSettings s) {
        stack.add(new FD_ALL3().setTimeout(s.fdTimeout().toMillis()).setInterval(s.fdInterval().toMillis()));
        stack.add(new VERIFY_SUSPECT2().setTimeout(s.verifySuspectTimeout().toMillis()));
        stack.add(new NAKACK2().useMcastXmit(false));
        stack.add(new UNICAST3());
        stack.add(new STABLE());
        stack.add(new GMS().setJoinTimeout(JOIN_TIMEOUT_MS).printLocalAddress(false));
        stack.add(new UFC().setMaxCredits(CREDITS).setMinThreshold(0.4));
        stack.add(new MFC().setMaxCredits(CREDITS).setMinThreshold(0.4));
        stack.add(new FRAG4().setFragSize(FRAG_SIZE));
        stack.add(new STATE_TRANSFER());
    }

    private static InetAddress resolve(String host, String variable) {
        try {
            return InetAddress.getByName(host);
        } catch (UnknownHostException e) {
            throw new ConfigException(variable, host, "cannot be resolved");
        }
    }
}
