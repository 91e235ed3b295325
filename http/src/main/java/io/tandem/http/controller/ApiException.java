package io.tandem.http.controller;

import io.tandem.core.TandemException;

/**
 * A request that is answered with an error status and {@code {"error": message, "code": requestId}}. Thrown by
 * validation steps and caught where the answer is written. The message is shown to the caller, so it never holds
 * a secret. Immutable.
 */
final class ApiException extends TandemException {
    private static final long serialVersionUID = 1L;
    private final int status;

    ApiException(int status, String message) {
        super(message);
        this.status = status;
    }

    int status() {
        return status;
    }
}
