package io.tandem.core;

/** The root of Tandem's small unchecked exception family. */
public class TandemException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public TandemException(String message) {
        super(message);
    }

    public TandemException(String message, Throwable cause) {
        super(message, cause);
    }
}
