package io.tandem.core.admission;

import java.util.Map;

/**
 * The configured cluster-wide limits: per-namespace defaults with overrides, and the system overload limit.
 * Immutable.
 */
public record Limits(NamespaceLimits defaults, Map<String, NamespaceLimits> overrides, long systemOverload) {
    public Limits {
        overrides = Map.copyOf(overrides);
        if (systemOverload < 1) {
            throw new IllegalArgumentException("system overload limit must be at least 1");
        }
    }

    public NamespaceLimits of(String namespace) {
        return overrides.getOrDefault(namespace, defaults);
    }
}
