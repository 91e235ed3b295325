package io.tandem.core.admission;

/** The configured, cluster-wide limits of one namespace. */
public record NamespaceLimits(int concurrent, int perMinute) {
    public NamespaceLimits {
        if (concurrent < 1 || perMinute < 1) {
            throw new IllegalArgumentException("limits must be at least 1: " + concurrent + ", " + perMinute);
        }
    }
}
