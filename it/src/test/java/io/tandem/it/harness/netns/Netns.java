package io.tandem.it.harness.netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A small network of "hosts" on this machine: one network namespace per host, each with a veth whose other end is
 * enrolled in a bridge in the root namespace. The bridge holds the gateway address (10.77.K.1), so the test JVM
 * (root namespace) reaches every host, and the hosts reach each other through the bridge.
 *
 * <p>Names carry a random 4-hex-digit suffix so that runs never collide: namespaces {@code tdm-<sfx>-<host>}, root
 * links {@code tdm<sfx><host>} and the bridge {@code tdm<sfx>br}. The owning JVM's pid is written to
 * {@code /run/tandem-netns/<sfx>}; at creation, everything left by a run whose owner is gone is removed first.
 *
 * <p>Faults live in one iptables chain {@code TDMFAULT} inside each host namespace, jumped to from INPUT and OUTPUT
 * for the veth only (loopback is never touched), so {@link #heal} is one flush. Traffic between a host and the
 * gateway (the test JVM) is cut only by {@link #isolateFully}; partitions between hosts leave the test's view of
 * every host intact, as a front load balancer that reaches both sides of a split would.
 *
 * <p>Not thread-safe: one test thread drives it. {@link #close} is idempotent and also runs from a shutdown hook.
 */
public final class Netns implements AutoCloseable {
    private static final Path STATE_DIR = Path.of("/run/tandem-netns");
    private static final String CHAIN = "TDMFAULT";

    private final String sfx;
    private final int subnet;
    private final String bridge;
    private final Map<String, String> hosts = new LinkedHashMap<>();
    private final Thread hook;
    private final List<Runnable> beforeClose = new ArrayList<>();
    private boolean closed;

    private Netns(String sfx, int subnet) {
        this.sfx = sfx;
        this.subnet = subnet;
        this.bridge = "tdm" + sfx + "br";
        this.hook = new Thread(this::closeQuietly, "netns-cleanup-" + sfx);
    }

    /**
     * Why this machine cannot run namespaced hosts, or null if it can: needs root, {@code ip} and {@code iptables},
     * and the right to create a namespace.
     */
    public static String unavailableReason() {
        if (!"root".equals(System.getProperty("user.name"))) {
            return "network namespaces need root (running as " + System.getProperty("user.name") + ")";
        }
        for (String tool : new String[] {"ip", "iptables"}) {
            if (run(Duration.ofSeconds(10), false, "sh", "-c", "command -v " + tool).exit != 0) {
                return "'" + tool + "' is not on the PATH";
            }
        }
        String probe = "tdm-probe-" + ProcessHandle.current().pid();
        Result r = run(Duration.ofSeconds(10), false, "ip", "netns", "add", probe);
        run(Duration.ofSeconds(10), false, "ip", "netns", "del", probe);
        if (r.exit != 0) {
            return "cannot create a network namespace: " + r.out.trim();
        }
        return null;
    }

    /** Creates the bridge (after removing what dead runs left behind). */
    public static Netns create() {
        cleanStale();
        String sfx = String.format(Locale.ROOT, "%04x", ThreadLocalRandom.current().nextInt(0x10000));
        int subnet = freeSubnet();
        Netns n = new Netns(sfx, subnet);
        Runtime.getRuntime().addShutdownHook(n.hook);
        try {
            Files.createDirectories(STATE_DIR);
            Files.writeString(STATE_DIR.resolve(sfx), Long.toString(ProcessHandle.current().pid()));
            sh("ip", "link", "add", n.bridge, "type", "bridge");
            sh("ip", "addr", "add", n.gateway() + "/24", "dev", n.bridge);
            sh("ip", "link", "set", n.bridge, "up");
            // With br_netfilter loaded, bridged frames pass the root FORWARD chain: make sure ours are accepted.
            Result policy = run(Duration.ofSeconds(10), false, "iptables", "-w", "-S", "FORWARD");
            if (!policy.out.contains("-P FORWARD ACCEPT")) {
                sh("iptables", "-w", "-I", "FORWARD", "-i", n.bridge, "-o", n.bridge, "-j", "ACCEPT");
            }
        } catch (IOException | RuntimeException e) {
            n.close();
            throw new IllegalStateException("cannot set up the bridge " + n.bridge + ": " + e.getMessage(), e);
        }
        return n;
    }

    public String gateway() {
        return "10.77." + subnet + ".1";
    }

    /** The address host number {@code n} (2..254) gets. */
    public String address(int n) {
        return "10.77." + subnet + "." + n;
    }

    public String namespace(String host) {
        return "tdm-" + sfx + "-" + host;
    }

    /** Adds a host {@code name} (short: at most 5 characters) with address 10.77.K.{@code n}. */
    public String addHost(String name, int n) {
        if (name.length() > 5) {
            throw new IllegalArgumentException("host name too long for an interface name: " + name);
        }
        String ns = namespace(name);
        String addr = address(n);
        String rootEnd = "tdm" + sfx + name;
        String hostEnd = "tdm" + sfx + name + "p";
        sh("ip", "netns", "add", ns);
        hosts.put(name, addr);
        sh("ip", "link", "add", rootEnd, "type", "veth", "peer", "name", hostEnd);
        sh("ip", "link", "set", hostEnd, "netns", ns);
        sh("ip", "link", "set", rootEnd, "master", bridge);
        sh("ip", "link", "set", rootEnd, "up");
        in(name, "ip", "link", "set", hostEnd, "name", "eth0");
        in(name, "ip", "addr", "add", addr + "/24", "dev", "eth0");
        in(name, "ip", "link", "set", "eth0", "up");
        in(name, "ip", "link", "set", "lo", "up");
        in(name, "iptables", "-w", "-N", CHAIN);
        in(name, "iptables", "-w", "-A", "INPUT", "-i", "eth0", "-j", CHAIN);
        in(name, "iptables", "-w", "-A", "OUTPUT", "-o", "eth0", "-j", CHAIN);
        return addr;
    }

    public String addressOf(String host) {
        String a = hosts.get(host);
        if (a == null) {
            throw new IllegalArgumentException("no host " + host);
        }
        return a;
    }

    /** The command line that runs {@code cmd} inside the host's namespace. */
    public List<String> exec(String host, List<String> cmd) {
        List<String> out = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        out.addAll(cmd);
        return out;
    }

    /** Drops every packet between {@code a} and {@code b}, both ways (rules on both sides). */
    public void cut(String a, String b) {
        in(a, "iptables", "-w", "-A", CHAIN, "-s", addressOf(b), "-j", "DROP");
        in(a, "iptables", "-w", "-A", CHAIN, "-d", addressOf(b), "-j", "DROP");
        in(b, "iptables", "-w", "-A", CHAIN, "-s", addressOf(a), "-j", "DROP");
        in(b, "iptables", "-w", "-A", CHAIN, "-d", addressOf(a), "-j", "DROP");
    }

    /** Drops packets from {@code from} to {@code to} only (in {@code from}'s namespace, on the way out). */
    public void cutOneWay(String from, String to) {
        in(from, "iptables", "-w", "-A", CHAIN, "-d", addressOf(to), "-j", "DROP");
    }

    /** Cuts every host of {@code sideA} from every host of {@code sideB}; hosts named in neither reach both. */
    public void partition(List<String> sideA, List<String> sideB) {
        for (String a : sideA) {
            for (String b : sideB) {
                cut(a, b);
            }
        }
    }

    /** Cuts {@code host} from every other host (the gateway, i.e. the test and its load, still reaches it). */
    public void isolate(String host) {
        for (String other : hosts.keySet()) {
            if (!other.equals(host)) {
                cut(host, other);
            }
        }
    }

    /** Cuts {@code host} from everything, the gateway included. */
    public void isolateFully(String host) {
        in(host, "iptables", "-w", "-A", CHAIN, "-j", "DROP");
    }

    /** Drops each packet in and out of {@code host}'s veth with this probability. */
    public void loss(String host, double probability) {
        in(host, "iptables", "-w", "-A", CHAIN, "-m", "statistic", "--mode", "random", "--probability",
                String.format(Locale.ROOT, "%.4f", probability), "-j", "DROP");
    }

    /** Removes every fault on every host. */
    public void healAll() {
        for (String h : hosts.keySet()) {
            heal(h);
        }
    }

    /** Removes every fault rule in {@code host}'s namespace (a cut has rules on both sides: heal both). */
    public void heal(String host) {
        in(host, "iptables", "-w", "-F", CHAIN);
    }

    /** Runs something before the namespaces go (the cluster's processes are stopped this way). */
    public void beforeClose(Runnable r) {
        beforeClose.add(r);
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Runnable r : beforeClose) {
            try {
                r.run();
            } catch (RuntimeException e) {
                System.err.println("netns " + sfx + ": cleanup step failed: " + e);
            }
        }
        removeRun(sfx, bridge);
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down: this is the hook
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            System.err.println("netns " + sfx + ": cleanup failed: " + e);
        }
    }

    /** Kills whatever still runs in the run's namespaces, deletes them, the links, the bridge and the state file. */
    private static void removeRun(String sfx, String bridge) {
        for (String ns : namespaces()) {
            if (ns.startsWith("tdm-" + sfx + "-")) {
                Result pids = run(Duration.ofSeconds(10), false, "ip", "netns", "pids", ns);
                for (String pid : pids.out.split("\\s+")) {
                    if (!pid.isBlank()) {
                        run(Duration.ofSeconds(10), false, "kill", "-9", pid.trim());
                    }
                }
                run(Duration.ofSeconds(10), false, "ip", "netns", "del", ns);
            }
        }
        for (String link : links()) {
            if (link.startsWith("tdm" + sfx)) {
                run(Duration.ofSeconds(10), false, "ip", "link", "del", link);
            }
        }
        run(Duration.ofSeconds(10), false, "iptables", "-w", "-D", "FORWARD", "-i", bridge, "-o", bridge, "-j",
                "ACCEPT");
        try {
            Files.deleteIfExists(STATE_DIR.resolve(sfx));
        } catch (IOException e) {
            // nothing else to do: the next run's stale cleanup finds no namespaces for it
        }
    }

    /** Removes the namespaces and links of every earlier run whose owner process is gone. */
    private static void cleanStale() {
        java.util.Set<String> suffixes = new java.util.TreeSet<>();
        for (String ns : namespaces()) {
            if (ns.startsWith("tdm-") && ns.length() > 9 && ns.charAt(8) == '-') {
                suffixes.add(ns.substring(4, 8));
            }
        }
        for (String link : links()) {
            if (link.startsWith("tdm") && link.length() >= 7 && !link.startsWith("tdm-")) {
                suffixes.add(link.substring(3, 7));
            }
        }
        try (var s = Files.exists(STATE_DIR) ? Files.list(STATE_DIR) : java.util.stream.Stream.<Path>empty()) {
            s.forEach(p -> suffixes.add(p.getFileName().toString()));
        } catch (IOException e) {
            // ignore: only namespaces and links are cleaned then
        }
        for (String sfx : suffixes) {
            if (!ownerAlive(sfx)) {
                removeRun(sfx, "tdm" + sfx + "br");
            }
        }
    }

    private static boolean ownerAlive(String sfx) {
        try {
            Path f = STATE_DIR.resolve(sfx);
            if (!Files.exists(f)) {
                return false;
            }
            long pid = Long.parseLong(Files.readString(f).trim());
            return ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false);
        } catch (IOException | NumberFormatException e) {
            return false;
        }
    }

    /** The first 10.77.K.0/24 no live bridge routes yet. */
    private static int freeSubnet() {
        String routes = run(Duration.ofSeconds(10), false, "ip", "-4", "route", "show").out;
        for (int k = 0; k < 250; k++) {
            if (!routes.contains("10.77." + k + ".0/24")) {
                return k;
            }
        }
        throw new IllegalStateException("no free 10.77.K.0/24 subnet");
    }

    private static List<String> namespaces() {
        List<String> out = new ArrayList<>();
        for (String line : run(Duration.ofSeconds(10), false, "ip", "netns", "list").out.split("\n")) {
            String name = line.trim().split("\\s+")[0];
            if (!name.isEmpty()) {
                out.add(name);
            }
        }
        return out;
    }

    private static List<String> links() {
        List<String> out = new ArrayList<>();
        for (String line : run(Duration.ofSeconds(10), false, "ip", "-o", "link", "show").out.split("\n")) {
            String[] parts = line.split(":\\s+");
            if (parts.length > 1) {
                String name = parts[1].split("@")[0].trim();
                out.add(name);
            }
        }
        return out;
    }

    private void in(String host, String... cmd) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        full.addAll(List.of(cmd));
        sh(full.toArray(new String[0]));
    }

    private static void sh(String... cmd) {
        Result r = run(Duration.ofSeconds(20), true, cmd);
        if (r.exit != 0) {
            throw new IllegalStateException(String.join(" ", cmd) + " failed (" + r.exit + "): " + r.out.trim());
        }
    }

    private record Result(int exit, String out) {
    }

    private static Result run(Duration timeout, boolean loud, String... cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return new Result(124, "timed out: " + String.join(" ", cmd));
            }
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return new Result(127, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result(130, "interrupted");
        }
    }
}
