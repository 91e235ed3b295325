package io.tandem.http.invoker;

import java.util.Locale;

/** The built-in actions the reference invoker can run; the wire name is the lower-case constant name. Immutable. */
enum ActionKind {
    /** Returns its params. */
    ECHO,
    /** Waits {@code ms} on a timer without holding a thread. */
    SLEEP,
    /** Ends as an application error with {@code message}. */
    FAIL,
    /** Ends as an action developer error. */
    ERROR,
    /** Busy work for {@code ms} on the small cpu pool. */
    CPU;

    String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The kind with this wire name, or null. */
    static ActionKind fromWire(String s) {
        for (ActionKind k : values()) {
            if (k.wire().equals(s)) {
                return k;
            }
        }
        return null;
    }
}
