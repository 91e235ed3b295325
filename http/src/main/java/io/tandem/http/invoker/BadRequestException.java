package io.tandem.http.invoker;

import io.tandem.core.TandemException;

/** A request the invoker cannot accept as sent; answered 400 with the message as {@code error}. */
final class BadRequestException extends TandemException {
    private static final long serialVersionUID = 1L;

    BadRequestException(String message) {
        super(message);
    }
}
