package io.tandem.load;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.tandem.load.Report.ControllerState;
import io.tandem.load.Report.LeakCheckResult;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The leak check (invariants 1 and 2): after the load, every controller's {@code GET /bookkeeping} must come to
 * report zero for every namespace and invoker total and for {@code system} (a missing map counts as zero), and no
 * negative number anywhere in the totals or in a row's {@code counts}.
 *
 * <p>All admin URLs are asked in rounds, every {@link #POLL_INTERVAL}; the check passes at the first round in which
 * every one of them answers 200 with all zeros, fails at once on a negative number or on an answer that waiting
 * cannot change (401, 403, 404), and fails when
 * {@code --leak-timeout} passes first (at least one round is always made). Runs on the caller's thread; not
 * thread-safe.
 */
final class LeakCheck {
    static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final Duration CALL_TIMEOUT = Duration.ofSeconds(5);
    /** Namespaces per page asked of {@code /bookkeeping} (the controller's maximum page). */
    static final int PAGE_SIZE = 100_000;
    private static final int MAX_PAGES = 1_000;
    /** Answers that waiting will not change: fail the check at once instead of after the timeout. */
    private static final Set<Integer> PERMANENT = Set.of(401, 403, 404);

    private final List<URI> admins;
    private final String token;
    private final HttpClient client;

    LeakCheck(List<URI> admins, String token, HttpClient client) {
        this.admins = admins;
        this.token = token;
        this.client = client;
    }

    static LeakCheckResult skipped() {
        return new LeakCheckResult("skipped", "no --admin URL given", 0, 0, List.of());
    }

    LeakCheckResult await(Duration timeout) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        int rounds = 0;
        while (true) {
            rounds++;
            List<ControllerState> states = round();
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            List<String> negatives = new ArrayList<>();
            for (ControllerState s : states) {
                s.negatives().forEach(n -> negatives.add(s.url() + ": " + n));
            }
            if (!negatives.isEmpty()) {
                return new LeakCheckResult("failed", "negative count: " + String.join("; ", negatives), waitedMs, rounds,
                        states);
            }
            List<String> permanent = new ArrayList<>();
            for (ControllerState s : states) {
                if (s.permanent()) {
                    permanent.add(s.url() + ": " + s.error());
                }
            }
            if (!permanent.isEmpty()) {
                return new LeakCheckResult("failed", String.join("; ", permanent), waitedMs, rounds, states);
            }
            if (states.stream().allMatch(ControllerState::clean)) {
                return new LeakCheckResult("passed", "all totals zero on " + states.size() + " controller(s)", waitedMs,
                        rounds, states);
            }
            if (System.nanoTime() + POLL_INTERVAL.toNanos() > deadline) {
                List<String> why = new ArrayList<>();
                for (ControllerState s : states) {
                    if (s.error() != null) {
                        why.add(s.url() + ": " + s.error());
                    } else if (!s.nonZero().isEmpty()) {
                        why.add(s.url() + " still holds " + s.nonZero());
                    }
                }
                return new LeakCheckResult("failed", "not zero after " + waitedMs + " ms: " + String.join("; ", why),
                        waitedMs, rounds, states);
            }
            Thread.sleep(POLL_INTERVAL.toMillis());
        }
    }

    private List<ControllerState> round() throws InterruptedException {
        List<ControllerState> states = new ArrayList<>();
        for (URI u : admins) {
            states.add(fetch(u));
        }
        return states;
    }

    /**
     * Reads one controller's bookkeeping. {@code /bookkeeping} pages the namespaces ({@code limit}, {@code offset};
     * {@code totals.namespaceCount} tells how many match), so ask for big pages and follow them until every
     * namespace was seen: a leak in the 1001st namespace must not go unseen.
     */
    private ControllerState fetch(URI u) throws InterruptedException {
        Map<String, Long> nonZero = new LinkedHashMap<>();
        List<String> negatives = new ArrayList<>();
        String controllerId = null;
        Boolean ready = null;
        int offset = 0;
        for (int page = 0; page < MAX_PAGES; page++) {
            HttpRequest.Builder b = HttpRequest.newBuilder(
                    URI.create(u + "/bookkeeping?limit=" + PAGE_SIZE + "&offset=" + offset)).timeout(CALL_TIMEOUT).GET();
            if (token != null) {
                b.header("Authorization", "Bearer " + token);
            }
            HttpResponse<String> r;
            try {
                r = client.send(b.build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException | RuntimeException e) {
                return error(u, "GET /bookkeeping failed: " + e);
            }
            if (PERMANENT.contains(r.statusCode())) {
                return new ControllerState(u.toString(), null, null, Map.of(), List.of(), "GET /bookkeeping answered "
                        + r.statusCode() + (r.statusCode() == 404 ? " (is this an admin URL?)" : " (check --admin-token)"),
                        true);
            }
            if (r.statusCode() != 200) {
                return error(u, "GET /bookkeeping answered " + r.statusCode());
            }
            Page p;
            try {
                p = parse(r.body());
            } catch (RuntimeException e) {
                return error(u, "GET /bookkeeping: unreadable answer: " + e);
            }
            p.nonZero().forEach(nonZero::putIfAbsent);
            negatives.addAll(p.negatives());
            controllerId = p.controllerId();
            ready = p.ready();
            offset += p.namespacesOnPage();
            if (p.namespaceCount() == null || p.namespacesOnPage() == 0 || offset >= p.namespaceCount()) {
                break;
            }
        }
        return new ControllerState(u.toString(), controllerId, ready, nonZero, negatives, null, false);
    }

    private static ControllerState error(URI u, String message) {
        return new ControllerState(u.toString(), null, null, Map.of(), List.of(), message, false);
    }

    /** What one page of {@code /bookkeeping} says. */
    record Page(String controllerId, Boolean ready, Map<String, Long> nonZero, List<String> negatives,
                int namespacesOnPage, Long namespaceCount) {
    }

    /** Reads one {@code /bookkeeping} answer: the in-flight totals that are not zero, and every negative count. */
    static Page parse(String body) {
        JsonObject o = JsonParser.parseString(body).getAsJsonObject();
        Map<String, Long> nonZero = new LinkedHashMap<>();
        List<String> negatives = new ArrayList<>();
        int onPage = 0;
        Long namespaceCount = null;
        JsonElement totalsEl = o.get("totals");
        if (totalsEl != null && totalsEl.isJsonObject()) {
            JsonObject totals = totalsEl.getAsJsonObject();
            for (String map : List.of("namespaces", "invokers")) {
                JsonElement m = totals.get(map);
                if (m == null || !m.isJsonObject()) {
                    continue;
                }
                for (Map.Entry<String, JsonElement> e : m.getAsJsonObject().entrySet()) {
                    long v = e.getValue().getAsLong();
                    String key = map + "." + e.getKey();
                    if (map.equals("namespaces")) {
                        onPage++;
                    }
                    if (v != 0) {
                        nonZero.put(key, v);
                    }
                    if (v < 0) {
                        negatives.add("totals." + key + " = " + v);
                    }
                }
            }
            JsonElement sys = totals.get("system");
            if (sys != null && !sys.isJsonNull()) {
                long v = sys.getAsLong();
                if (v != 0) {
                    nonZero.put("system", v);
                }
                if (v < 0) {
                    negatives.add("totals.system = " + v);
                }
            }
            JsonElement count = totals.get("namespaceCount");
            if (count != null && count.isJsonPrimitive() && count.getAsJsonPrimitive().isNumber()) {
                namespaceCount = count.getAsLong();
            }
        }
        JsonElement rows = o.get("rows");
        if (rows != null && rows.isJsonArray()) {
            int i = 0;
            for (JsonElement row : rows.getAsJsonArray()) {
                if (row.isJsonObject() && row.getAsJsonObject().get("counts") instanceof JsonObject counts) {
                    for (Map.Entry<String, JsonElement> e : counts.entrySet()) {
                        JsonElement v = e.getValue();
                        if (v.isJsonPrimitive() && v.getAsJsonPrimitive().isNumber() && v.getAsLong() < 0) {
                            negatives.add("rows[" + i + "].counts." + e.getKey() + " = " + v.getAsLong());
                        }
                    }
                }
                i++;
            }
        }
        JsonElement id = o.get("controllerId");
        JsonElement ready = o.get("ready");
        return new Page(id == null || id.isJsonNull() ? null : id.getAsString(),
                ready == null || ready.isJsonNull() ? null : ready.getAsBoolean(), nonZero, negatives, onPage,
                namespaceCount);
    }
}
