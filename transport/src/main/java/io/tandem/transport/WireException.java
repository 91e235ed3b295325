package io.tandem.transport;

import io.tandem.core.TandemException;

/**
 * A cluster message that cannot be decoded: malformed, truncated, of an unknown version or type, or beyond a size
 * cap. The receiver drops the message, counts it and logs at a bounded rate per {@link #kind()}; it never lets the
 * exception reach JGroups.
 */
public final class WireException extends TandemException {
    private static final long serialVersionUID = 1L;
    private final String kind;

    public WireException(String kind, String message) {
        super(message);
        this.kind = kind;
    }

    /**
     * No stack trace: a WireException describes bad bytes from the network, not a bug here, and a peer (or a
     * stranger) sending garbage must not make every dropped message cost a stack walk.
     */
    @Override
    public synchronized Throwable fillInStackTrace() {
        return this;
    }

    /** A short, stable category ("truncated", "version", "oversized", ...): the unit of log rate limiting. */
    public String kind() {
        return kind;
    }
}
