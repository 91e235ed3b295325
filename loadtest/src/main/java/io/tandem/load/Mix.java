package io.tandem.load;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The action mix: action names (as invoked in the namespace, {@code action} or {@code package/action}) with
 * integer weights, e.g. {@code echo:70,sleep:20,fail:10}.
 *
 * <p>The choice is deterministic: the weights (reduced by their gcd) are laid out once as a smooth weighted
 * round-robin schedule (nginx's algorithm: {@code a:2,b:1} gives {@code a b a}), and request number {@code k} takes
 * {@code schedule[k mod length]}. Over every whole cycle the proportions are exact and equal weights interleave
 * instead of coming in runs. Immutable and thread-safe.
 */
public final class Mix {
    /** Upper bound of the schedule length (sum of reduced weights) to keep it a small array. */
    static final int MAX_TOTAL_WEIGHT = 100_000;

    private final Map<String, Integer> weights;
    private final String[] schedule;
    private final int[] scheduleIndex;

    private Mix(Map<String, Integer> weights) {
        this.weights = Collections.unmodifiableMap(new LinkedHashMap<>(weights));
        this.schedule = buildSchedule(this.weights);
        List<String> names = new ArrayList<>(this.weights.keySet());
        this.scheduleIndex = new int[schedule.length];
        for (int i = 0; i < schedule.length; i++) {
            scheduleIndex[i] = names.indexOf(schedule[i]);
        }
    }

    /** Equal weights. */
    public static Mix of(List<String> actions) {
        Map<String, Integer> w = new LinkedHashMap<>();
        for (String a : actions) {
            checkName("--actions", a);
            if (w.put(a, 1) != null) {
                throw new BadArgumentException("--actions", "action '" + a + "' listed twice");
            }
        }
        if (w.isEmpty()) {
            throw new BadArgumentException("--actions", "needs at least one action");
        }
        return new Mix(w);
    }

    /** Parses {@code name:weight,...}; a name without a weight has weight 1. */
    public static Mix parse(String option, String spec) {
        Map<String, Integer> w = new LinkedHashMap<>();
        for (String item : spec.split(",")) {
            String s = item.trim();
            if (s.isEmpty()) {
                continue;
            }
            int colon = s.lastIndexOf(':');
            String name = colon < 0 ? s : s.substring(0, colon).trim();
            int weight = 1;
            if (colon >= 0) {
                String ws = s.substring(colon + 1).trim();
                try {
                    weight = Integer.parseInt(ws);
                } catch (NumberFormatException e) {
                    throw new BadArgumentException(option, "weight of '" + name + "' is not an integer: '" + ws + "'");
                }
                if (weight < 0) {
                    throw new BadArgumentException(option, "weight of '" + name + "' is negative: " + weight);
                }
            }
            checkName(option, name);
            if (w.put(name, weight) != null) {
                throw new BadArgumentException(option, "action '" + name + "' listed twice");
            }
        }
        w.values().removeIf(v -> v == 0);
        if (w.isEmpty()) {
            throw new BadArgumentException(option, "needs at least one action with a weight > 0, got '" + spec + "'");
        }
        long total = w.values().stream().mapToLong(Integer::longValue).sum();
        int g = w.values().stream().reduce(0, Mix::gcd);
        if (total / g > MAX_TOTAL_WEIGHT) {
            throw new BadArgumentException(option, "weights too fine-grained (sum " + total + "); use percentages");
        }
        return new Mix(w);
    }

    private static void checkName(String option, String name) {
        // action or package/action, as the controller's URL accepts it
        if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_@.\\- ]*(/[A-Za-z0-9_][A-Za-z0-9_@.\\- ]*)?")
                || name.endsWith(" ")) {
            throw new BadArgumentException(option, "bad action name '" + name + "' (expected action or package/action)");
        }
    }

    private static int gcd(int a, int b) {
        return b == 0 ? a : gcd(b, a % b);
    }

    private static String[] buildSchedule(Map<String, Integer> weights) {
        int g = weights.values().stream().reduce(0, Mix::gcd);
        List<String> names = new ArrayList<>(weights.keySet());
        int n = names.size();
        int[] w = new int[n];
        int total = 0;
        for (int i = 0; i < n; i++) {
            w[i] = weights.get(names.get(i)) / g;
            total += w[i];
        }
        String[] out = new String[total];
        int[] current = new int[n];
        for (int k = 0; k < total; k++) {
            int best = 0;
            for (int i = 0; i < n; i++) {
                current[i] += w[i];
                if (current[i] > current[best]) {
                    best = i;
                }
            }
            current[best] -= total;
            out[k] = names.get(best);
        }
        return out;
    }

    /** The action for the {@code k}-th choice (k >= 0). */
    public String pick(long k) {
        return schedule[(int) (k % schedule.length)];
    }

    /** The position in {@link #actions()} of the {@code k}-th choice. */
    int pickIndex(long k) {
        return scheduleIndex[(int) (k % scheduleIndex.length)];
    }

    /** Action names in the order given, with their weights. */
    public Map<String, Integer> weights() {
        return weights;
    }

    public List<String> actions() {
        return List.copyOf(weights.keySet());
    }

    /** The length of one cycle of the schedule. */
    public int cycleLength() {
        return schedule.length;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        weights.forEach((k, v) -> sb.append(sb.length() == 0 ? "" : ",").append(k).append(':').append(v));
        return sb.toString();
    }
}
