package io.tandem.core.admission;

/** What an admitted activation booked, and so what its release gives back. Immutable. */
public record Ticket(String namespace, int invokerIndex, String invokerId, int memoryMb, boolean forced) {
}
