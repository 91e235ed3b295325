package io.tandem.it.faults;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tandem.it.harness.Wait;
import io.tandem.it.harness.netns.Netns;
import io.tandem.it.harness.netns.NetnsCluster;
import io.tandem.it.harness.netns.Traffic;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.junit.jupiter.api.Assumptions;

/**
 * What every fault scenario shares: the capability gate, the full-suite switch, the invariants of DESIGN.md checked
 * from outside on every live controller, the reconciliation of accepted activations against the invokers' run logs,
 * and the one greppable figures line per scenario.
 */
final class Faults {
    /** FD_ALL3 timeout of every fault scenario (DESIGN: tests use about 8 s). */
    static final Duration FD_TIMEOUT = Duration.ofSeconds(8);
    /**
     * After a merge, every controller counts every peer within this (a row normally arrives in milliseconds; a lost
     * one is asked for 250 ms after the merge and then with every announcement, each second).
     */
    static final Duration COUNTED_BOUND = Duration.ofSeconds(3);

    private Faults() {
    }

    /** Skips (or, with CI=true, fails) when this machine cannot run namespaced hosts. */
    static void requireNetns() {
        String why = Netns.unavailableReason();
        if (why == null) {
            return;
        }
        System.out.println("FAULT-SUITE unavailable: " + why);
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail("the fault suite cannot run with CI=true: " + why);
        }
        Assumptions.assumeTrue(false, "fault suite skipped: " + why);
    }

    /** Whether the full suite runs (-Dtandem.faults=full or TANDEM_FAULTS=full); otherwise only the CI part. */
    static boolean full() {
        return "full".equals(System.getProperty("tandem.faults")) || "full".equals(System.getenv("TANDEM_FAULTS"));
    }

    /** Skips a {@code long} scenario outside the full suite. */
    static void requireFull() {
        Assumptions.assumeTrue(full(), "long scenario: runs with -Dtandem.faults=full (bin/fault-suite)");
    }

    /** Prints and records one line of figures: {@code FAULT-FIGURES scenario=<name> k=v ...}. */
    static void figures(String scenario, Map<String, ?> values) {
        StringBuilder sb = new StringBuilder("FAULT-FIGURES scenario=").append(scenario);
        values.forEach((k, v) -> sb.append(' ').append(k).append('=').append(v));
        String line = sb.toString();
        System.out.println(line);
        try {
            Path f = Path.of("target", "fault-figures.txt");
            Files.createDirectories(f.getParent());
            Files.writeString(f, java.time.Instant.now() + " " + line + "\n", StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            System.err.println("cannot record figures: " + e);
        }
    }

    static Map<String, Object> kv(Object... pairs) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i + 1 < pairs.length; i += 2) {
            m.put(String.valueOf(pairs[i]), pairs[i + 1]);
        }
        return m;
    }

    // ------------------------------------------------------------------------------------------------ views

    /** Incarnations in a controller's current view. */
    static TreeSet<String> view(NetnsCluster.Node c) {
        TreeSet<String> out = new TreeSet<>();
        JsonObject r = c.clusterInfo().getAsJsonObject("replicator");
        for (JsonElement e : r.getAsJsonArray("members")) {
            out.add(e.getAsJsonObject().get("incarnation").getAsString());
        }
        return out;
    }

    static String viewId(NetnsCluster.Node c) {
        return c.clusterInfo().getAsJsonObject("replicator").get("viewId").getAsString();
    }

    /** The controller that is the coordinator in {@code asSeenBy}'s view. */
    static NetnsCluster.Node coordinator(NetnsCluster cluster, NetnsCluster.Node asSeenBy) {
        String coord = asSeenBy.clusterInfo().getAsJsonObject("replicator").get("coordinator").getAsString();
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            if (coord.equals(c.incarnation())) {
                return c;
            }
        }
        throw new AssertionError("coordinator " + coord + " is none of the live controllers");
    }

    /** Controller ids that appear with more than one incarnation in {@code c}'s view. */
    static Set<String> duplicateIds(NetnsCluster.Node c) {
        Map<String, Integer> n = new HashMap<>();
        for (JsonElement e : c.clusterInfo().getAsJsonObject("replicator").getAsJsonArray("members")) {
            JsonElement id = e.getAsJsonObject().get("controllerId");
            n.merge(id == null || id.isJsonNull() ? "?" : id.getAsString(), 1, Integer::sum);
        }
        Set<String> out = new TreeSet<>();
        n.forEach((k, v) -> {
            if (v > 1) {
                out.add(k);
            }
        });
        return out;
    }

    /** Every live controller sees exactly {@code n} members, and they agree on who. */
    static boolean oneView(NetnsCluster cluster, int n) {
        TreeSet<String> first = null;
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            TreeSet<String> v = view(c);
            if (v.size() != n || (first != null && !first.equals(v))) {
                return false;
            }
            first = v;
        }
        return true;
    }

    static void awaitOneView(NetnsCluster cluster, int n, Duration timeout) {
        Wait.until(timeout, Duration.ofMillis(100), () -> oneView(cluster, n),
                () -> "one view of " + n + " on every live controller; now " + describeViews(cluster));
    }

    /**
     * Waits until no controller says degraded and returns how long that took. After a merge a peer is counted once
     * its row arrives: milliseconds, or, when the merge lost it, the unicast request sent 250 ms after the merge.
     */
    static long awaitNotDegraded(NetnsCluster cluster, Duration timeout) {
        long t0 = System.nanoTime();
        Wait.until(timeout, Duration.ofMillis(50), () -> {
            for (NetnsCluster.Node c : cluster.controllers()) {
                if (c.clusterInfo().get("degraded").getAsBoolean()) {
                    return false;
                }
            }
            return true;
        }, () -> "nobody degraded; now " + describeViews(cluster));
        return (System.nanoTime() - t0) / 1_000_000;
    }

    static String describeViews(NetnsCluster cluster) {
        StringBuilder sb = new StringBuilder();
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            try {
                sb.append(c.host()).append('=').append(view(c)).append(' ');
            } catch (RuntimeException e) {
                sb.append(c.host()).append("=? ");
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------------- invariants

    /** Rows a controller holds: incarnation -> "seq {counts}". */
    static Map<String, String> rows(NetnsCluster.Node c) {
        Map<String, String> out = new TreeMap<>();
        JsonArray rows = c.bookkeeping().getAsJsonArray("rows");
        for (JsonElement e : rows) {
            JsonObject r = e.getAsJsonObject();
            Map<String, Long> counts = new TreeMap<>();
            for (Map.Entry<String, JsonElement> kv : r.getAsJsonObject("counts").entrySet()) {
                counts.put(kv.getKey(), kv.getValue().getAsLong());
            }
            if (r.get("seq").getAsLong() == 0 && counts.isEmpty()) {
                // An incarnation that has published nothing yet: its owner lists it, peers have no row. Same state.
                continue;
            }
            out.put(r.get("incarnation").getAsString(), r.get("seq").getAsLong() + " " + counts);
        }
        return out;
    }

    /** Sum of |in-flight| over every namespace and invoker total and the system total (negatives count too). */
    static long inFlight(JsonObject bookkeeping) {
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
        return sum + Math.abs(totals.get("system").getAsLong());
    }

    /**
     * Invariants 1-3 once the load has stopped: every live controller reports zero in flight (no leak), holds no
     * negative count, and all hold identical rows.
     */
    static void awaitInvariants(NetnsCluster cluster, Duration timeout) {
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            Wait.until(timeout, Duration.ofMillis(200), () -> inFlight(c.bookkeeping()) == 0,
                    () -> c.host() + " to report zero in flight (no leak), last: " + c.bookkeeping().get("totals"));
        }
        Wait.until(timeout, Duration.ofMillis(200), () -> {
            Map<String, String> first = null;
            for (NetnsCluster.Node c : cluster.liveControllers()) {
                Map<String, String> r = rows(c);
                for (String row : r.values()) {
                    if (row.contains("=-")) {
                        throw new AssertionError(c.host() + " holds a negative count: " + r);
                    }
                }
                if (first != null && !first.equals(r)) {
                    return false;
                }
                first = r;
            }
            return true;
        }, () -> "identical rows on every live controller: " + describeRows(cluster));
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            assertEquals(0, c.bookkeeping().get("anomalies").getAsLong(), c.host() + " counted ledger anomalies");
        }
    }

    static String describeRows(NetnsCluster cluster) {
        StringBuilder sb = new StringBuilder();
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            try {
                sb.append(c.host()).append('=').append(rows(c)).append('\n');
            } catch (RuntimeException e) {
                sb.append(c.host()).append("=?\n");
            }
        }
        return sb.toString();
    }

    // ------------------------------------------------------------------------------------ exactly once

    /** What the reconciliation of client answers against the invokers' run logs found. */
    record Reconciliation(int accepted, int ran, int unanswered) {
    }

    /**
     * Every activation the clients saw accepted (200, or 202) ran exactly once on one invoker; no id ran twice; and
     * every run the clients never saw accepted is covered by a failure a client saw (DESIGN, exactly once across a
     * crash). Ids in {@code before} ran before the scenario; {@code extraRuns} are run-log ids taken from invokers
     * that are gone since.
     */
    static Reconciliation reconcile(NetnsCluster cluster, Traffic traffic, Set<String> before, List<String> extraRuns) {
        Map<String, Integer> seen = new HashMap<>();
        for (NetnsCluster.Node inv : cluster.invokers()) {
            if (inv.alive()) {
                for (String id : inv.runs()) {
                    seen.merge(id, 1, Integer::sum);
                }
            }
        }
        seen.keySet().removeAll(before);
        Set<String> extra = new HashSet<>(extraRuns);
        extra.removeAll(before);
        for (String id : extra) {
            seen.merge(id, 1, Integer::sum);
        }
        List<String> twice = new ArrayList<>();
        seen.forEach((id, n) -> {
            if (n > 1) {
                twice.add(id);
            }
        });
        assertTrue(twice.isEmpty(), "activations run more than once: " + twice.subList(0, Math.min(10, twice.size())));
        Map<String, Integer> answered = traffic.activationIds();
        List<String> missing = new ArrayList<>();
        int accepted = 0;
        for (Map.Entry<String, Integer> e : answered.entrySet()) {
            int s = e.getValue();
            if (s == 200 || s == 202) {
                accepted++;
                if (!seen.containsKey(e.getKey())) {
                    missing.add(e.getKey() + "(" + s + ")");
                }
            }
        }
        assertTrue(missing.isEmpty(), missing.size() + " accepted activations never ran on any invoker: "
                + missing.subList(0, Math.min(10, missing.size())));
        int unanswered = 0;
        for (String id : seen.keySet()) {
            if (!answered.containsKey(id)) {
                unanswered++;
            }
        }
        assertTrue(unanswered <= traffic.count(-1), unanswered + " activations ran that no client saw an answer for,"
                + " more than the " + traffic.count(-1) + " connection failures the clients saw");
        return new Reconciliation(accepted, seen.size(), unanswered);
    }

    /** Every activation id the live invokers have run so far: a scenario reconciles only what ran after it. */
    static Set<String> runsSoFar(NetnsCluster cluster) {
        Set<String> out = new HashSet<>();
        for (NetnsCluster.Node inv : cluster.invokers()) {
            if (inv.alive()) {
                out.addAll(inv.runs());
            }
        }
        return out;
    }

    /** Sum over invokers of the most activations of {@code ns} each ran at once since the last reset. */
    static long maxRunning(NetnsCluster cluster, String ns) {
        long sum = 0;
        for (NetnsCluster.Node inv : cluster.invokers()) {
            if (inv.alive()) {
                sum += inv.maxRunning(ns);
            }
        }
        return sum;
    }

    /** Per invoker, the most activations of {@code ns} it ran at once since the last reset: "i1:12/i2:0". */
    static String maxRunningPerInvoker(NetnsCluster cluster, String ns) {
        StringBuilder sb = new StringBuilder();
        for (NetnsCluster.Node inv : cluster.invokers()) {
            sb.append(sb.length() == 0 ? "" : "/").append(inv.host()).append(':')
                    .append(inv.alive() ? Long.toString(inv.maxRunning(ns)) : "down");
        }
        return sb.toString();
    }

    static void resetInvokerStats(NetnsCluster cluster) {
        for (NetnsCluster.Node inv : cluster.invokers()) {
            if (inv.alive()) {
                inv.resetStats();
            }
        }
    }

    static long ms(long startNanos) {
        return (System.nanoTime() - startNanos) / 1_000_000;
    }

    /**
     * A scenario that exposes an open bug in Tandem (see docs/fault-suite.md): it runs, unchanged, in the full suite
     * (where it fails until the bug is fixed) and with -Dtandem.faults.knownBugs=run; the CI part skips it, saying why.
     */
    static void knownBug(String bug) {
        Assumptions.assumeTrue(full() || "run".equals(System.getProperty("tandem.faults.knownBugs")),
                "open bug, runs in the full suite: " + bug);
    }

    /**
     * Fails with every error line any process logged. JGroups' reports of connections a fault broke are WARN
     * (ControllerLogging), so every ERROR counts.
     */
    static void assertNoErrorsLogged(NetnsCluster cluster) {
        List<String> errors = new ArrayList<>(cluster.errors());
        assertTrue(errors.isEmpty(), "processes logged errors:\n" + String.join("\n",
                errors.subList(0, Math.min(20, errors.size()))));
    }
}
