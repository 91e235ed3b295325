package io.tandem.core.activation;

/**
 * Holds back deadline actions right after this process was stalled. A pass that runs every few hundred
 * milliseconds (forced completions) and finds a longer gap since its previous run knows that the process itself
 * was not running (SIGSTOP, a long stop-the-world pause, a starved VM): deadlines passed meanwhile on a clock
 * nobody was watching, and completions that arrived during the stall are still waiting in socket buffers. Acting
 * at once would end those activations as system errors although their results are a read away; so after a stall
 * the pass waits {@code holdMs} first. An activation whose completion really is lost is still ended, that much
 * later.
 *
 * <p>Not thread-safe: one caller (the ticker). Time comes in as an argument.
 */
public final class StallGuard {
    private final long stallMs;
    private final long holdMs;
    private long lastMs = -1;
    private long holdUntilMs = Long.MIN_VALUE;
    private long stalls;

    /**
     * @param stallMs a gap between two passes longer than this is a stall
     * @param holdMs  how long deadline actions wait after a stall
     */
    public StallGuard(long stallMs, long holdMs) {
        if (stallMs <= 0 || holdMs < 0) {
            throw new IllegalArgumentException("stallMs " + stallMs + ", holdMs " + holdMs);
        }
        this.stallMs = stallMs;
        this.holdMs = holdMs;
    }

    /**
     * Records one pass at {@code nowMs}. Returns the length of the stall that ended just now, or 0 when there was
     * none.
     */
    public long pass(long nowMs) {
        long gap = lastMs < 0 ? 0 : nowMs - lastMs;
        lastMs = Math.max(lastMs, nowMs);
        if (gap > stallMs) {
            stalls++;
            holdUntilMs = nowMs + holdMs;
            return gap;
        }
        return 0;
    }

    /** True while deadline actions must wait (within {@code holdMs} of the end of a stall). */
    public boolean holding(long nowMs) {
        return nowMs < holdUntilMs;
    }

    /** Stalls seen so far. */
    public long stalls() {
        return stalls;
    }
}
