package io.tandem.core.activation;

import java.util.random.RandomGenerator;

/**
 * Activation ids are 32 lower-case hex digits, as OpenWhisk's. The first 8 are a hash of the controller id that
 * created it, so any controller can tell which peer owns a record and forward a GET there; the other 24 are random.
 */
public final class ActivationIds {
    private ActivationIds() {
    }

    public static String controllerTag(String controllerId) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(controllerId.getBytes(java.nio.charset.StandardCharsets.UTF_8));
        return String.format("%08x", crc.getValue());
    }

    public static String next(String controllerTag, RandomGenerator random) {
        return controllerTag + String.format("%08x%016x", random.nextInt(), random.nextLong());
    }

    public static boolean isValid(String id) {
        if (id == null || id.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = id.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }

    public static String tagOf(String id) {
        return id.substring(0, 8);
    }
}
