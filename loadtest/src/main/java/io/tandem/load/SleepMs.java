package io.tandem.load;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The {@code ms} parameter sent to sleep actions: a fixed value ({@code 100}) or a uniform range ({@code 50-200},
 * both ends included). Immutable; {@link #next()} is thread-safe.
 */
public record SleepMs(int minMs, int maxMs) {
    public SleepMs {
        if (minMs < 0 || maxMs < minMs) {
            throw new IllegalArgumentException("bad range " + minMs + "-" + maxMs);
        }
    }

    /** Parses {@code N} or {@code LO-HI}; throws {@link BadArgumentException} naming {@code option}. */
    public static SleepMs parse(String option, String text) {
        String s = text.trim();
        int dash = s.indexOf('-', 1);
        try {
            if (dash < 0) {
                int v = Integer.parseInt(s);
                if (v < 0) {
                    throw new BadArgumentException(option, "must be >= 0, got '" + text + "'");
                }
                return new SleepMs(v, v);
            }
            int lo = Integer.parseInt(s.substring(0, dash).trim());
            int hi = Integer.parseInt(s.substring(dash + 1).trim());
            if (lo < 0 || hi < lo) {
                throw new BadArgumentException(option, "range must be LO-HI with 0 <= LO <= HI, got '" + text + "'");
            }
            return new SleepMs(lo, hi);
        } catch (NumberFormatException e) {
            throw new BadArgumentException(option, "expected milliseconds N or a range LO-HI, got '" + text + "'");
        }
    }

    public int next() {
        return minMs == maxMs ? minMs : ThreadLocalRandom.current().nextInt(minMs, maxMs + 1);
    }

    @Override
    public String toString() {
        return minMs == maxMs ? Integer.toString(minMs) : minMs + "-" + maxMs;
    }
}
