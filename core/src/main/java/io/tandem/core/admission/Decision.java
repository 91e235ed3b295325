package io.tandem.core.admission;

/** The outcome of one admission. */
public sealed interface Decision {
    /** Booked: the activation goes to {@code ticket.invokerId()}. */
    record Admitted(Ticket ticket) implements Decision {
    }

    /** A limit said no: 429 with {@code message}. Nothing was booked (a per-minute increment stays). */
    record Throttled(Reason reason, long count, long allowed, String message) implements Decision {
    }

    /**
     * Within the limit, but this controller has used its share of the headroom for the current pacing window
     * ({@link HeadroomPacer}): ask again in {@code retryInMs}. Nothing was booked (the per-minute increment is taken
     * back, the retry counts). {@code message} is the 429 to answer if the caller stops waiting.
     */
    record Paced(long count, long allowed, long retryInMs, String message) implements Decision {
    }

    /** No healthy invoker: 503. Nothing was booked. */
    record Unavailable(String message) implements Decision {
    }

    enum Reason {
        /** The namespace's per-minute window is full. */
        PER_MINUTE,
        /** The namespace's concurrency limit is reached. */
        CONCURRENCY,
        /** The system-wide in-flight limit is reached. */
        SYSTEM_OVERLOAD
    }
}
