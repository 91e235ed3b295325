package io.tandem.core.activation;

import java.util.Map;
import java.util.Optional;

/**
 * The configured actions. Keys are {@code namespace/name} where name may be {@code pkg/action}; the namespace
 * {@code *} matches every namespace (an entry for a concrete namespace wins). Immutable.
 */
public final class Catalog {
    public static final String ANY_NAMESPACE = "*";
    private final Map<String, ActionSpec> byQualifiedName;

    public Catalog(Map<String, ActionSpec> byQualifiedName) {
        this.byQualifiedName = Map.copyOf(byQualifiedName);
    }

    public Optional<ActionSpec> find(String namespace, String name) {
        ActionSpec exact = byQualifiedName.get(namespace + "/" + name);
        if (exact != null) {
            return Optional.of(exact);
        }
        return Optional.ofNullable(byQualifiedName.get(ANY_NAMESPACE + "/" + name));
    }

    public Map<String, ActionSpec> entries() {
        return byQualifiedName;
    }
}
