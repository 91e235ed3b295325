package io.tandem.it.faults;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.tandem.it.harness.netns.NetnsCluster;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * Records what the cluster did during a scenario: one thread polls every live controller's {@code /cluster} at a
 * fixed interval and keeps each change of its view (view id, members by controller number, degraded), timed from
 * the watch's start. Bounded in time; {@link #close} stops it. Thread-safe.
 */
final class ViewWatch implements AutoCloseable {
    /** One controller's view as it was first seen at {@code atMs} after the watch started. */
    record Change(String host, long atMs, String viewId, TreeSet<String> members, boolean degraded) {
        @Override
        public String toString() {
            return host + "@" + String.format(Locale.ROOT, "%.1fs", atMs / 1000.0) + ":" + String.join(",", members)
                    + (degraded ? "(degraded)" : "");
        }
    }

    private final NetnsCluster cluster;
    private final long t0 = System.nanoTime();
    private final List<Change> changes = new CopyOnWriteArrayList<>();
    private final Map<String, Change> initial = new HashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    ViewWatch(NetnsCluster cluster, Duration interval, Duration max) {
        this.cluster = cluster;
        for (NetnsCluster.Node c : cluster.liveControllers()) {
            Change now = read(c);
            initial.put(c.host(), now);
        }
        long deadline = t0 + max.toNanos();
        thread = new Thread(() -> {
            Map<String, Change> last = new HashMap<>(initial);
            while (running && System.nanoTime() < deadline) {
                for (NetnsCluster.Node c : cluster.liveControllers()) {
                    Change now;
                    try {
                        now = read(c);
                    } catch (RuntimeException e) {
                        continue; // not answering (starting, stopping): nothing to record
                    }
                    Change before = last.get(c.host());
                    if (before == null || !before.viewId().equals(now.viewId())
                            || !before.members().equals(now.members()) || before.degraded() != now.degraded()) {
                        changes.add(now);
                        last.put(c.host(), now);
                    }
                }
                try {
                    Thread.sleep(interval.toMillis());
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "view-watch");
        thread.setDaemon(true);
        thread.start();
    }

    private Change read(NetnsCluster.Node c) {
        JsonObject info = c.clusterInfo();
        JsonObject r = info.getAsJsonObject("replicator");
        TreeSet<String> members = new TreeSet<>();
        for (JsonElement e : r.getAsJsonArray("members")) {
            JsonElement id = e.getAsJsonObject().get("controllerId");
            members.add(id == null || id.isJsonNull() ? "?" : id.getAsString().replace("controller", "c"));
        }
        // the replicator's own "degraded", taken with its view: the top-level one is read a moment before the view
        return new Change(c.host(), Faults.ms(t0), r.get("viewId").getAsString(), members,
                r.get("degraded").getAsBoolean());
    }

    /** The members of {@code c}'s view now, by host name of their controller id (controller3 -> c3). */
    static TreeSet<String> members(NetnsCluster.Node c) {
        TreeSet<String> out = new TreeSet<>();
        for (JsonElement e : c.clusterInfo().getAsJsonObject("replicator").getAsJsonArray("members")) {
            JsonElement id = e.getAsJsonObject().get("controllerId");
            out.add(id == null || id.isJsonNull() ? "?" : id.getAsString().replace("controller", "c"));
        }
        return out;
    }

    /** Milliseconds since the watch started. */
    long now() {
        return Faults.ms(t0);
    }

    /** Every change seen so far, in order. */
    List<Change> changes() {
        return new ArrayList<>(changes);
    }

    /** When {@code host} was first seen in a view matching {@code p} (ms since the start), or -1. */
    long first(String host, Predicate<Change> p) {
        for (Change c : changes) {
            if (c.host().equals(host) && p.test(c)) {
                return c.atMs();
            }
        }
        return -1;
    }

    /** The changes, one token each, for a figures line: {@code c1@12.3s:c1,c2(degraded);c3@20.1s:c3(degraded)}. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        for (Change c : changes) {
            sb.append(sb.length() == 0 ? "" : ";").append(c);
        }
        return sb.length() == 0 ? "none" : sb.toString();
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        try {
            thread.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
