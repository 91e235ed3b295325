package io.tandem.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import io.tandem.core.ledger.RowSnapshot;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The MAC on every message, the key derivation, the key cap, and a bounded fuzz of the decoder. The fuzz runs
 * {@code -Dtandem.fuzz.seconds} (default 15) per test; its seed is printed and can be replayed with
 * {@code -Dtandem.fuzz.seed=...}.
 */
class WireCodecSecurityTest {
    private static final Incarnation A = new Incarnation("ctrl-a", 1_733_250_000_000L, 123_456);
    private static final Incarnation B = new Incarnation("ctrl-b", 1_733_250_000_001L, 7);
    private static final ClusterKeys KEYS = ClusterKeys.derive("s3cret", "tandem");
    private final WireCodec keyed = new WireCodec(1 << 20, WireCodec.MAX_KEYS, 1 << 26, KEYS.macKey());
    private final WireCodec plain = new WireCodec(1 << 20);

    private static List<WireMessage> samples() {
        Map<String, Long> changes = new HashMap<>();
        changes.put("n/guest", 1L);
        changes.put("n/négative", -3L);
        changes.put("i/invoker0", 256L);
        Map<String, Long> counts = Map.of("n/guest", 4L, "i/invoker0", 1024L);
        return List.of(
                new WireMessage.Delta(new DeltaBatch(A, 1, changes)),
                new WireMessage.Delta(new DeltaBatch(A, 2, Map.of("n/guest", -1L))),
                new WireMessage.Row(new RowSnapshot(B, 42, counts)),
                new WireMessage.ResyncRequest(A, B, 17),
                new WireMessage.Hello(A, WireCodec.CURRENT_VERSION, "http://10.0.0.1:3233", "http://10.0.0.1:3234",
                        "", 99),
                new WireMessage.State(A, List.of(new RowSnapshot(A, 3, counts), new RowSnapshot(B, 9, Map.of()))));
    }

    @Test
    void shouldDeriveTheSameIndependentKeysForOneSecretAndCluster() {
        ClusterKeys again = ClusterKeys.derive("s3cret", "tandem");
        assertArrayEquals(KEYS.macKey(), again.macKey());
        assertEquals(KEYS.encryptionKey(), again.encryptionKey());
        assertEquals(32, KEYS.encryptionKey().getEncoded().length, "AES-256");
        assertNotEquals(Arrays.toString(KEYS.macKey()), Arrays.toString(KEYS.encryptionKey().getEncoded()));
        assertNotEquals(Arrays.toString(KEYS.macKey()),
                Arrays.toString(ClusterKeys.derive("s3cret", "other-cluster").macKey()), "cluster name is the salt");
        assertNotEquals(Arrays.toString(KEYS.macKey()), Arrays.toString(ClusterKeys.derive("s3cret!", "tandem").macKey()));
        assertTrue(!KEYS.toString().contains("s3cret"));
    }

    @Test
    void shouldRoundTripWithAMac() {
        for (WireMessage m : samples()) {
            byte[] bytes = keyed.encode(m);
            assertEquals(plain.encode(m).length + WireCodec.MAC_BYTES, bytes.length);
            assertEquals(m, decode(keyed, bytes));
        }
    }

    @Test
    void shouldRejectEveryFlippedBitAndAnotherKeyAndNoMac() {
        WireCodec stranger = new WireCodec(1 << 20, WireCodec.MAX_KEYS, 1 << 26,
                ClusterKeys.derive("guess", "tandem").macKey());
        for (WireMessage m : samples()) {
            byte[] bytes = keyed.encode(m);
            for (int i = 0; i < bytes.length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    byte[] t = bytes.clone();
                    t[i] ^= (byte) (1 << bit);
                    assertEquals(WireCodec.AUTH_KIND, assertThrows(WireException.class, () -> decode(keyed, t)).kind(),
                            m + " with bit " + bit + " of byte " + i + " flipped");
                }
            }
            assertEquals(WireCodec.AUTH_KIND, assertThrows(WireException.class,
                    () -> decode(keyed, stranger.encode(m))).kind(), "another secret");
            assertEquals(WireCodec.AUTH_KIND, assertThrows(WireException.class,
                    () -> decode(keyed, plain.encode(m))).kind(), "no MAC");
            assertThrows(WireException.class, () -> decode(plain, bytes), "an insecure member rejects a MAC'd one");
        }
    }

    @Test
    void shouldRejectMoreKeysThanTheCap() {
        WireCodec capped = new WireCodec(1 << 20, 2, 1 << 26, null);
        WireMessage three = new WireMessage.Delta(new DeltaBatch(A, 1, Map.of("a", 1L, "b", 1L, "c", 1L)));
        assertEquals("limit", assertThrows(WireException.class, () -> decode(capped, plain.encode(three))).kind());
        WireMessage two = new WireMessage.Delta(new DeltaBatch(A, 1, Map.of("a", 1L, "b", 1L)));
        assertEquals(two, decode(capped, plain.encode(two)));
        WireCodec smallState = new WireCodec(1 << 16, 100, 1 << 16, null);
        byte[] big = new byte[(1 << 16) + 1];
        assertEquals("oversized", assertThrows(WireException.class,
                () -> smallState.decodeState(big, 0, big.length)).kind());
    }

    /** Random bytes and mutated valid messages: only WireException escapes, and a keyed codec accepts no forgery. */
    @Test
    @Timeout(120)
    void fuzzShouldOnlyEverThrowWireExceptionAndNeverAcceptAForgery() {
        long seed = Long.getLong("tandem.fuzz.seed", System.nanoTime());
        long seconds = Long.getLong("tandem.fuzz.seconds", 15);
        System.out.println("WireCodec fuzz: seed " + seed + " (-Dtandem.fuzz.seed=" + seed + "), " + seconds + " s");
        SplittableRandom random = new SplittableRandom(seed);
        List<byte[]> plainValid = new ArrayList<>();
        List<byte[]> keyedValid = new ArrayList<>();
        for (WireMessage m : samples()) {
            plainValid.add(plain.encode(m));
            keyedValid.add(keyed.encode(m));
        }
        Ledger ledger = new Ledger(B);
        ledger.add("n/guest", 5);
        Map<String, Long> before = ledger.totals("");
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        long inputs = 0;
        long acceptedPlain = 0;
        long rejected = 0;
        while (System.nanoTime() < deadline) {
            for (int batch = 0; batch < 1000; batch++) {
                int shape = random.nextInt(3);
                byte[] input;
                if (shape == 0) {
                    input = new byte[random.nextInt(200)];
                    random.nextBytes(input);
                    if (input.length > 2 && random.nextBoolean()) {
                        input[0] = WireCodec.MAGIC;
                        input[1] = WireCodec.CURRENT_VERSION;
                        input[2] = (byte) random.nextInt(7);
                    }
                } else {
                    List<byte[]> pool = shape == 1 ? plainValid : keyedValid;
                    input = mutate(pool.get(random.nextInt(pool.size())), random);
                }
                inputs++;
                for (WireCodec codec : new WireCodec[] {plain, keyed}) {
                    try {
                        WireMessage m = decodeAny(codec, input);
                        if (codec == keyed) {
                            if (!containsEqual(keyedValid, input)) {
                                fail("seed " + seed + ": the keyed codec accepted a forgery " + Arrays.toString(input));
                            }
                        } else {
                            acceptedPlain++;
                            // what decodes must encode back to a message that decodes to the same
                            assertEquals(m, decodeAny(plain, plain.encode(m)), "seed " + seed);
                        }
                    } catch (WireException e) {
                        rejected++;
                    } catch (RuntimeException | Error e) {
                        throw new AssertionError("seed " + seed + ": " + e + " escaped on " + Arrays.toString(input), e);
                    }
                }
            }
        }
        assertEquals(before, ledger.totals(""), "decoding never touches a ledger");
        System.out.println("WireCodec fuzz: " + inputs + " inputs, each to an unkeyed and a keyed codec; "
                + rejected + " rejections, " + acceptedPlain + " mutations still valid without a MAC");
        assertTrue(inputs > 1000, "ran " + inputs);
    }

    private static byte[] mutate(byte[] valid, SplittableRandom random) {
        byte[] b = valid.clone();
        switch (random.nextInt(6)) {
            case 0: // flip a few bytes
                for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
                return b;
            case 1: // truncate
                return Arrays.copyOf(b, random.nextInt(b.length));
            case 2: { // append junk
                byte[] out = Arrays.copyOf(b, b.length + 1 + random.nextInt(16));
                for (int i = b.length; i < out.length; i++) {
                    out[i] = (byte) random.nextInt(256);
                }
                return out;
            }
            case 3: { // a huge varint in the middle
                int at = 3 + random.nextInt(Math.max(1, b.length - 3));
                byte[] out = Arrays.copyOf(b, Math.max(b.length, at + 10));
                for (int i = 0; i < 9 && at + i < out.length; i++) {
                    out[at + i] = (byte) 0xff;
                }
                return out;
            }
            case 4: { // duplicate a slice
                int from = random.nextInt(b.length);
                int len = random.nextInt(b.length - from + 1);
                byte[] out = Arrays.copyOf(b, b.length + len);
                System.arraycopy(b, from, out, b.length, len);
                return out;
            }
            default: // set a byte to a boundary value
                b[random.nextInt(b.length)] = (byte) (random.nextBoolean() ? 0 : 0x80);
                return b;
        }
    }

    private static boolean containsEqual(List<byte[]> list, byte[] b) {
        for (byte[] x : list) {
            if (Arrays.equals(x, b)) {
                return true;
            }
        }
        return false;
    }

    private static WireMessage decode(WireCodec codec, byte[] b) {
        return b.length > 2 && b[2] == WireCodec.STATE ? codec.decodeState(b, 0, b.length) : codec.decode(b, 0, b.length);
    }

    private static WireMessage decodeAny(WireCodec codec, byte[] b) {
        return decode(codec, b);
    }
}
