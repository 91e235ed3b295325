package io.tandem.core.activation;

/**
 * A catalog entry: the fully qualified name without namespace ({@code pkg/action} or {@code action}), the
 * built-in kind the invoker runs, memory in MB and the time limit. Immutable.
 */
public record ActionSpec(String name, String kind, int memoryMb, long timeLimitMs) {
    public ActionSpec {
        if (memoryMb < 1) {
            throw new IllegalArgumentException("action " + name + ": memory must be at least 1 MB");
        }
        if (timeLimitMs < 1) {
            throw new IllegalArgumentException("action " + name + ": time limit must be at least 1 ms");
        }
    }
}
