package io.tandem.it.cluster;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tandem.it.harness.Cluster;
import io.tandem.it.harness.Wait;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;

/** The invariants of DESIGN.md, checked from outside on live controllers. */
final class Invariants {
    private Invariants() {
    }

    static List<Cluster.Node> live(Cluster cluster) {
        List<Cluster.Node> out = new ArrayList<>();
        for (Cluster.Node c : cluster.controllers()) {
            if (c.proc() != null && c.proc().isAlive()) {
                out.add(c);
            }
        }
        return out;
    }

    /** The rows a controller holds, as a canonical string map: incarnation -> "seq counts". */
    static Map<String, String> rows(Cluster.Node c) {
        Map<String, String> out = new TreeMap<>();
        JsonArray rows = c.bookkeeping().getAsJsonArray("rows");
        for (JsonElement e : rows) {
            JsonObject r = e.getAsJsonObject();
            Map<String, Long> counts = new TreeMap<>();
            for (Map.Entry<String, JsonElement> kv : r.getAsJsonObject("counts").entrySet()) {
                counts.put(kv.getKey(), kv.getValue().getAsLong());
            }
            out.put(r.get("incarnation").getAsString(), r.get("seq").getAsLong() + " " + counts);
        }
        return out;
    }

    /** Incarnations in a controller's current view. */
    static TreeSet<String> view(Cluster.Node c) {
        TreeSet<String> out = new TreeSet<>();
        for (JsonElement e : c.clusterInfo().getAsJsonObject("replicator").getAsJsonArray("members")) {
            out.add(e.getAsJsonObject().get("incarnation").getAsString());
        }
        return out;
    }

    static long metric(Cluster.Node c, String name) {
        for (String line : io.tandem.it.harness.Http.get(c.adminUrl() + "/metrics", "Bearer " + Cluster.ADMIN_TOKEN)
                .body().split("\n")) {
            if (line.startsWith(name + " ") || line.startsWith(name + "{")) {
                return (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("metric " + name + " not found on " + c.name());
    }

    /** Every live controller sees exactly {@code n} members, and they agree on who. */
    static void awaitView(Cluster cluster, int n, Duration timeout) {
        Wait.until(timeout, Duration.ofMillis(200), () -> {
            List<Cluster.Node> live = live(cluster);
            TreeSet<String> first = null;
            for (Cluster.Node c : live) {
                TreeSet<String> v = view(c);
                if (v.size() != n || (first != null && !first.equals(v))) {
                    return false;
                }
                first = v;
            }
            return true;
        }, () -> "a view of " + n + " on every live controller; now " + describeViews(cluster));
    }

    static String describeViews(Cluster cluster) {
        StringBuilder sb = new StringBuilder();
        for (Cluster.Node c : live(cluster)) {
            try {
                sb.append(c.name()).append('=').append(view(c)).append(' ');
            } catch (RuntimeException e) {
                sb.append(c.name()).append("=? ");
            }
        }
        return sb.toString();
    }

    /** Invariants 1-3 with no traffic: no leak, no negative count, identical rows on every live controller. */
    static void awaitQuiescentInvariants(Cluster cluster, Duration timeout) {
        cluster.awaitNoLeak(timeout);
        Wait.until(timeout, Duration.ofMillis(200), () -> {
            Map<String, String> first = null;
            for (Cluster.Node c : live(cluster)) {
                Map<String, String> r = rows(c);
                for (String row : r.values()) {
                    if (row.contains("=-")) {
                        throw new AssertionError(c.name() + " holds a negative count: " + r);
                    }
                }
                if (first != null && !first.equals(r)) {
                    return false;
                }
                first = r;
            }
            return true;
        }, () -> "identical rows on every live controller: " + describeRows(cluster));
    }

    static String describeRows(Cluster cluster) {
        StringBuilder sb = new StringBuilder();
        for (Cluster.Node c : live(cluster)) {
            sb.append(c.name()).append('=').append(rows(c)).append('\n');
        }
        return sb.toString();
    }
}
