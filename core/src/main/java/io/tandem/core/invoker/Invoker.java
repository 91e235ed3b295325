package io.tandem.core.invoker;

/** A configured invoker: stable id, base URL, user-memory capacity in MB. Immutable. */
public record Invoker(String id, String url, int capacityMb) {
    public Invoker {
        if (id == null || id.isEmpty()) {
            throw new IllegalArgumentException("invoker id is empty");
        }
        if (capacityMb < 1) {
            throw new IllegalArgumentException("invoker " + id + " capacity must be at least 1 MB");
        }
    }
}
