package io.tandem.http.invoker;

/** How an activation ended, with the spelling OpenWhisk uses on the wire. Immutable. */
enum ActivationStatus {
    SUCCESS("success"),
    APPLICATION_ERROR("application error"),
    DEVELOPER_ERROR("action developer error"),
    INTERNAL_ERROR("whisk internal error");

    private final String wire;

    ActivationStatus(String wire) {
        this.wire = wire;
    }

    String wire() {
        return wire;
    }
}
