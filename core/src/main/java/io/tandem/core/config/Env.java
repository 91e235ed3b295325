package io.tandem.core.config;

import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads and validates settings from a map of environment variables. Every failure is a {@link ConfigException}
 * naming the variable and the value. Records which settings were read, so a launcher can list them.
 * Not thread-safe for concurrent reads during construction of settings; intended for start-up.
 */
public final class Env {
    private final Map<String, String> vars;
    private final Set<String> read = ConcurrentHashMap.newKeySet();

    public Env(Map<String, String> vars) {
        this.vars = Map.copyOf(vars);
    }

    public static Env system() {
        return new Env(System.getenv());
    }

    /** The raw value, or the setting's default; blank counts as unset. */
    public String raw(Setting s) {
        SettingsCatalog.register(s);
        read.add(s.name());
        String v = vars.get(s.name());
        if (v == null || v.isBlank()) {
            return s.defaultValue();
        }
        return v.trim();
    }

    public boolean isSet(Setting s) {
        String v = vars.get(s.name());
        return v != null && !v.isBlank();
    }

    public String string(Setting s) {
        return raw(s);
    }

    public String required(Setting s) {
        String v = raw(s);
        if (v == null) {
            throw new ConfigException(s.name(), null, "is required (" + s.doc() + ")");
        }
        return v;
    }

    public long longValue(Setting s, long min, long max) {
        String v = raw(s);
        if (v == null) {
            throw new ConfigException(s.name(), null, "is required (" + s.doc() + ")");
        }
        try {
            long n = Long.parseLong(v);
            if (n < min || n > max) {
                throw new ConfigException(s.name(), v, "must be between " + min + " and " + max);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new ConfigException(s.name(), v, "must be a whole number between " + min + " and " + max);
        }
    }

    public int intValue(Setting s, int min, int max) {
        return (int) longValue(s, min, max);
    }

    public int port(Setting s) {
        return intValue(s, 0, 65535);
    }

    /** A duration in milliseconds: a plain number (ms) or a number with unit ms, s or m. */
    public Duration duration(Setting s, Duration min, Duration max) {
        String v = raw(s);
        if (v == null) {
            throw new ConfigException(s.name(), null, "is required (" + s.doc() + ")");
        }
        Duration d;
        try {
            if (!v.matches("[0-9]+(\\.[0-9]+)?\\s*(ms|s|m)?")) {
                // Double.parseDouble alone would take "NaN" (as 0 ms), "1d" and hex floats
                throw new NumberFormatException(v);
            }
            if (v.endsWith("ms")) {
                d = Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2).trim()));
            } else if (v.endsWith("s")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 1000));
            } else if (v.endsWith("m")) {
                d = Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 60_000));
            } else {
                d = Duration.ofMillis(Long.parseLong(v));
            }
        } catch (NumberFormatException e) {
            throw new ConfigException(s.name(), v, "must be a duration such as 500ms, 10s, 2m or a number of ms");
        }
        if (d.compareTo(min) < 0 || d.compareTo(max) > 0) {
            throw new ConfigException(s.name(), v, "must be between " + min.toMillis() + "ms and " + max.toMillis() + "ms");
        }
        return d;
    }

    public boolean bool(Setting s) {
        String v = raw(s);
        if (v == null) {
            throw new ConfigException(s.name(), null, "is required (" + s.doc() + ")");
        }
        switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "on": case "true": case "yes": case "1":
                return true;
            case "off": case "false": case "no": case "0":
                return false;
            default:
                throw new ConfigException(s.name(), v, "must be on or off (true/false)");
        }
    }

    public <E extends Enum<E>> E enumValue(Setting s, Class<E> type) {
        String v = raw(s);
        if (v == null) {
            throw new ConfigException(s.name(), null, "is required (" + s.doc() + ")");
        }
        for (E e : type.getEnumConstants()) {
            if (e.name().equalsIgnoreCase(v)) {
                return e;
            }
        }
        throw new ConfigException(s.name(), v, "must be one of " + java.util.Arrays.toString(type.getEnumConstants()).toLowerCase(java.util.Locale.ROOT));
    }

    /** The names of the settings read so far. */
    public Set<String> readNames() {
        return Set.copyOf(read);
    }
}
