package io.tandem.core.admission;

/** The outcome of one admission. */
public sealed interface Decision {
    /** Booked: the activation goes to {@code ticket.invokerId()}. */
    record Admitted(Ticket ticket) implements Decision {
    }

    /** A limit said no: 429 with {@code message}. Nothing was booked (a per-minute increment stays). */
    record Throttled(Reason reason, long count, long allowed, String message) implements Decision {
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
