package io.tandem.core.ledger;

import java.util.Comparator;
import java.util.Objects;

/**
 * One life of a controller: its stable id plus a start time and a random tiebreak. A later incarnation of the
 * same id replaces every earlier one; rows are owned by incarnations, never merged across them.
 */
public record Incarnation(String controllerId, long startMs, int tiebreak) implements Comparable<Incarnation> {
    private static final Comparator<Incarnation> ORDER =
            Comparator.comparingLong(Incarnation::startMs).thenComparingInt(Incarnation::tiebreak);

    public Incarnation {
        Objects.requireNonNull(controllerId, "controllerId");
        if (controllerId.isEmpty()) {
            throw new IllegalArgumentException("empty controller id");
        }
    }

    public static Incarnation next(String controllerId, long nowMs, java.util.random.RandomGenerator random) {
        return new Incarnation(controllerId, nowMs, random.nextInt(Integer.MAX_VALUE));
    }

    /** Orders incarnations of the same controller id by age (later is greater). */
    @Override
    public int compareTo(Incarnation o) {
        return ORDER.compare(this, o);
    }

    public boolean sameController(Incarnation o) {
        return controllerId.equals(o.controllerId);
    }

    public boolean newerThan(Incarnation o) {
        return compareTo(o) > 0;
    }

    /** The form used in logs, /cluster and the wire: {@code id@startMs.tiebreak}. */
    @Override
    public String toString() {
        return controllerId + "@" + startMs + "." + tiebreak;
    }

    public static Incarnation parse(String s) {
        int at = s.lastIndexOf('@');
        int dot = s.lastIndexOf('.');
        if (at <= 0 || dot < at) {
            throw new IllegalArgumentException("not an incarnation: " + s);
        }
        return new Incarnation(s.substring(0, at), Long.parseLong(s.substring(at + 1, dot)),
                Integer.parseInt(s.substring(dot + 1)));
    }
}
