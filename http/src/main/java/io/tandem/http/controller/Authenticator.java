package io.tandem.http.controller;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Checks HTTP Basic credentials ({@code uuid:key}) against the configured API keys and bearer tokens against a
 * configured token. Keys are compared in constant time ({@link MessageDigest#isEqual}); an unknown UUID still costs
 * a comparison, so the answer time tells nothing about the key. Keys are never logged or put in a message.
 *
 * <p>Immutable after construction and therefore thread-safe.
 */
final class Authenticator {
    /** Who called: the namespace the key grants and the key's UUID. */
    record Identity(String namespace, String uuid) {
    }

    private record Key(Identity identity, byte[] key) {
    }

    private static final byte[] DUMMY = new byte[64];
    private final Map<String, Key> byUuid = new HashMap<>();

    Authenticator(List<ControllerSettings.Credential> credentials) {
        for (ControllerSettings.Credential c : credentials) {
            byUuid.put(c.uuid().toLowerCase(Locale.ROOT), new Key(new Identity(c.namespace(), c.uuid()),
                    c.key().getBytes(StandardCharsets.UTF_8)));
        }
    }

    /** The identity of a valid {@code Authorization: Basic ...} header, or null. */
    Identity basic(String authorization) {
        if (authorization == null || authorization.length() < 6
                || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return null;
        }
        byte[] decoded;
        try {
            decoded = Base64.getDecoder().decode(authorization.substring(6).trim());
        } catch (IllegalArgumentException e) {
            return null;
        }
        String pair = new String(decoded, StandardCharsets.UTF_8);
        int colon = pair.indexOf(':');
        if (colon <= 0) {
            return null;
        }
        Key k = byUuid.get(pair.substring(0, colon).toLowerCase(Locale.ROOT));
        byte[] given = pair.substring(colon + 1).getBytes(StandardCharsets.UTF_8);
        boolean ok = MessageDigest.isEqual(k == null ? DUMMY : k.key(), given);
        return k != null && ok ? k.identity() : null;
    }

    /** True when {@code authorization} is {@code Bearer <token>}; compared in constant time. */
    static boolean bearer(String authorization, byte[] token) {
        if (authorization == null || authorization.length() < 7
                || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(token, authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }
}
