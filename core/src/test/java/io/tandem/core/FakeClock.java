package io.tandem.core;

/** A clock the test moves by hand. Reads are safe from any thread; tests move it from one thread only. */
public final class FakeClock implements Clock {
    private volatile long nowMs;

    public FakeClock(long startMs) {
        this.nowMs = startMs;
    }

    @Override
    public long millis() {
        return nowMs;
    }

    public void set(long ms) {
        nowMs = ms;
    }

    public void advance(long ms) {
        nowMs += ms;
    }
}
