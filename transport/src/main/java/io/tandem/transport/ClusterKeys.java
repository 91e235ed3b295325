package io.tandem.transport;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The two keys a cluster derives from {@code CLUSTER_SECRET}: one for JGroups' SYM_ENCRYPT (AES-256) and one for
 * the HMAC-SHA256 that {@link WireCodec} puts on every Tandem message.
 *
 * <p>Derivation: {@code prk = PBKDF2-HMAC-SHA256(secret, salt = "tandem-cluster:" + clusterName, 210,000
 * iterations, 256 bits)} — slow on purpose, so a weak secret is costly to guess from captured traffic — then
 * HKDF-Expand-SHA256 (RFC 5869, one block) of {@code prk} with a distinct label per key, so the encryption key and
 * the MAC key are independent and neither reveals the other. The cluster name as salt makes two clusters sharing
 * a secret use different keys. Every controller of a cluster derives the same keys; nothing is stored.
 *
 * <p>{@link #toString()} never prints a key. Immutable and thread-safe (the arrays are never handed out unless
 * copied).
 */
final class ClusterKeys {
    static final int PBKDF2_ITERATIONS = 210_000;
    private static final String ENCRYPT_LABEL = "tandem sym_encrypt aes-256 v1";
    private static final String MAC_LABEL = "tandem wire hmac-sha256 v1";

    private final byte[] encryptKey;
    private final byte[] macKey;

    private ClusterKeys(byte[] encryptKey, byte[] macKey) {
        this.encryptKey = encryptKey;
        this.macKey = macKey;
    }

    /** Derives both keys from the secret and the cluster name (about 0.1-0.3 s of PBKDF2, once per start). */
    static ClusterKeys derive(String secret, String clusterName) {
        if (secret == null || secret.isEmpty()) {
            throw new IllegalArgumentException("no secret");
        }
        char[] chars = secret.toCharArray();
        PBEKeySpec spec = new PBEKeySpec(chars,
                ("tandem-cluster:" + clusterName).getBytes(StandardCharsets.UTF_8), PBKDF2_ITERATIONS, 256);
        try {
            byte[] prk = SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
            try {
                return new ClusterKeys(expand(prk, ENCRYPT_LABEL), expand(prk, MAC_LABEL));
            } finally {
                Arrays.fill(prk, (byte) 0);
            }
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JDK lacks PBKDF2WithHmacSHA256 or HmacSHA256", e);
        } finally {
            spec.clearPassword();
            Arrays.fill(chars, '\0');
        }
    }

    /** HKDF-Expand with one output block: HMAC(prk, label || 0x01), 32 bytes. */
    private static byte[] expand(byte[] prk, String label) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(prk, "HmacSHA256"));
        mac.update(label.getBytes(StandardCharsets.UTF_8));
        mac.update((byte) 1);
        return mac.doFinal();
    }

    /** The AES-256 key for SYM_ENCRYPT. */
    SecretKey encryptionKey() {
        return new SecretKeySpec(encryptKey, "AES");
    }

    /** A copy of the HMAC-SHA256 key for {@link WireCodec}. */
    byte[] macKey() {
        return macKey.clone();
    }

    @Override
    public String toString() {
        return "ClusterKeys[<hidden>]";
    }
}
