package io.tandem.core.ledger;

/**
 * The keys of a row. A key names what is counted and in which unit:
 * <ul>
 *   <li>{@code n/<namespace>}: activations in flight of a namespace;</li>
 *   <li>{@code i/<invokerId>}: memory in MB booked on an invoker;</li>
 *   <li>{@code s}: activations in flight system-wide (for the overload limit);</li>
 *   <li>{@code m/<window>/<namespace>}: invocations of a namespace in a per-minute window (expire after two windows,
 *   not part of the leak check).</li>
 * </ul>
 */
public final class Keys {
    public static final String SYSTEM = "s";
    public static final String NAMESPACE_PREFIX = "n/";
    public static final String INVOKER_PREFIX = "i/";
    public static final String MINUTE_PREFIX = "m/";

    private Keys() {
    }

    public static String namespace(String ns) {
        return NAMESPACE_PREFIX + ns;
    }

    public static String invoker(String invokerId) {
        return INVOKER_PREFIX + invokerId;
    }

    public static String minute(long window, String ns) {
        return MINUTE_PREFIX + window + "/" + ns;
    }

    /** The window of a minute key, or -1 if the key is not one. */
    public static long minuteWindow(String key) {
        if (!key.startsWith(MINUTE_PREFIX)) {
            return -1;
        }
        int slash = key.indexOf('/', MINUTE_PREFIX.length());
        if (slash < 0) {
            return -1;
        }
        try {
            return Long.parseLong(key, MINUTE_PREFIX.length(), slash, 10);
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Keys that must return to zero once every activation has ended. */
    public static boolean isInFlightKey(String key) {
        return key.equals(SYSTEM) || key.startsWith(NAMESPACE_PREFIX) || key.startsWith(INVOKER_PREFIX);
    }

    /** A key is well formed when it has a known shape; remote messages with other keys are dropped. */
    public static boolean isValid(String key) {
        if (key.equals(SYSTEM)) {
            return true;
        }
        if (key.startsWith(NAMESPACE_PREFIX) || key.startsWith(INVOKER_PREFIX)) {
            return key.length() > 2;
        }
        return minuteWindow(key) >= 0 && key.length() > key.indexOf('/', MINUTE_PREFIX.length()) + 1;
    }
}
