package io.tandem.http.controller;

/** How an activation ended, as in OpenWhisk's {@code response.status} and {@code response.statusCode}. Immutable. */
enum ResponseStatus {
    /** The action ran and returned a result: 200 to a blocking caller. */
    SUCCESS("success", 0, 200),
    /** The action ran and reported an error itself: 502. */
    APPLICATION_ERROR("application error", 1, 502),
    /** The action failed (crashed, exceeded its time limit): 502. */
    DEVELOPER_ERROR("action developer error", 2, 502),
    /** The platform failed it (dispatch failed, invoker offline, forced completion, shutdown): 500. */
    SYSTEM_ERROR("whisk internal error", 3, 500);

    private final String wire;
    private final int code;
    private final int httpStatus;

    ResponseStatus(String wire, int code, int httpStatus) {
        this.wire = wire;
        this.code = code;
        this.httpStatus = httpStatus;
    }

    /** The text of {@code response.status}. */
    String wire() {
        return wire;
    }

    /** The number of {@code response.statusCode}. */
    int code() {
        return code;
    }

    /** The status a blocking invoke answers with. */
    int httpStatus() {
        return httpStatus;
    }

    /** The label used in metrics. */
    String label() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /** The status with this wire text, or null. */
    static ResponseStatus fromWire(String s) {
        for (ResponseStatus r : values()) {
            if (r.wire.equals(s)) {
                return r;
            }
        }
        return null;
    }
}
