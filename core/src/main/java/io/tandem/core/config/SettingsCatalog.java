package io.tandem.core.config;

import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Every setting any module declares, by name. Settings classes call {@link #register} for their constants in a
 * static initializer, so the launcher can print the list (`tandem settings`) and deployment files can be checked
 * against it. Thread-safe.
 */
public final class SettingsCatalog {
    private static final Map<String, Setting> ALL = new TreeMap<>();

    private SettingsCatalog() {
    }

    public static synchronized Setting register(Setting s) {
        Setting old = ALL.putIfAbsent(s.name(), s);
        return old == null ? s : old;
    }

    public static synchronized void registerAll(Setting... settings) {
        for (Setting s : settings) {
            register(s);
        }
    }

    public static synchronized Collection<Setting> all() {
        return java.util.List.copyOf(ALL.values());
    }

    /**
     * Stops a start with a misspelt setting: a variable that is no setting but one or two letters away from one
     * ({@code NAMESPACE_MINUTE_LIMT}) was surely meant as that setting, and ignoring it would run with the default.
     * Variables far from every setting (PATH, HOSTNAME, what Kubernetes injects) are not ours and are left alone.
     * The value of a variable that looks like a secret is not repeated.
     *
     * @throws ConfigException naming the first such variable and the setting it resembles
     */
    public static void rejectMisspellings(Map<String, String> env) {
        Collection<Setting> known = all();
        Set<String> names = new TreeSet<>();
        for (Setting s : known) {
            names.add(s.name());
        }
        for (String var : new TreeSet<>(env.keySet())) {
            if (names.contains(var) || var.length() < 6) {
                continue;
            }
            int allowed = var.length() < 8 ? 1 : 2;
            for (String name : names) {
                if (Math.abs(name.length() - var.length()) <= allowed && distance(var, name) <= allowed) {
                    boolean secret = name.contains("SECRET") || name.contains("TOKEN") || name.startsWith("AUTH");
                    throw new ConfigException(var, secret ? "(hidden)" : env.get(var), "not a setting; did you mean "
                            + name + "? Correct the name or unset it (`java -jar tandem.jar settings` lists them)");
                }
            }
        }
    }

    /** Levenshtein distance. */
    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int sub = prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1);
                cur[j] = Math.min(sub, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}
