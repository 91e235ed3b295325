package io.tandem.core;

/** Time as core sees it: injected everywhere so tests can advance a fake clock instead of sleeping. */
@FunctionalInterface
public interface Clock {
    /** Wall-clock time in epoch milliseconds (minute windows assume synced clocks across controllers). */
    long millis();

    static Clock system() {
        return System::currentTimeMillis;
    }
}
