package io.tandem.core.cluster;

import io.tandem.core.ledger.Incarnation;

/** A controller in the current view, as peers advertise themselves. Immutable. */
public record Member(Incarnation incarnation, String apiUrl, String adminUrl, boolean coordinator, boolean self) {
    public String controllerId() {
        return incarnation.controllerId();
    }
}
