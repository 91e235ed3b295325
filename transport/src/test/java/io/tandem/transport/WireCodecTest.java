package io.tandem.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.RowSnapshot;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class WireCodecTest {
    private static final Incarnation A = new Incarnation("ctrl-a", 1_733_250_000_000L, 123_456);
    private static final Incarnation B = new Incarnation("ctrl_b.2", 1_733_250_000_001L, 0);
    private final WireCodec codec = new WireCodec(4 * 1024 * 1024);

    private static List<WireMessage> samples() {
        Map<String, Long> changes = new HashMap<>();
        changes.put("n/guest", 1L);
        changes.put("n/négative", -3L);
        changes.put("i/invoker0", 256L);
        changes.put("s", Long.MIN_VALUE + 1);
        changes.put("m/28887500/guest", Long.MAX_VALUE);
        Map<String, Long> counts = Map.of("n/guest", 4L, "i/invoker0", 1024L, "s", 0L);
        return List.of(
                new WireMessage.Delta(new DeltaBatch(A, 1, changes)),
                new WireMessage.Delta(new DeltaBatch(A, Long.MAX_VALUE, Map.of())),
                new WireMessage.Row(new RowSnapshot(B, 0, Map.of())),
                new WireMessage.Row(new RowSnapshot(B, 42, counts)),
                new WireMessage.ResyncRequest(A, B, 17),
                new WireMessage.Hello(A, WireCodec.CURRENT_VERSION, "http://10.0.0.1:3233", "http://10.0.0.1:3234",
                        "", 99),
                new WireMessage.Hello(B, 1, null, null, null, 0),
                new WireMessage.State(A, List.of(new RowSnapshot(A, 3, counts), new RowSnapshot(B, 9, Map.of()))),
                new WireMessage.State(B, List.of()));
    }

    @Test
    void shouldRoundTripEveryMessageType() {
        for (WireMessage m : samples()) {
            byte[] bytes = codec.encode(m);
            assertEquals(WireCodec.MAGIC, bytes[0]);
            assertEquals(WireCodec.CURRENT_VERSION, bytes[1]);
            WireMessage back = m instanceof WireMessage.State
                    ? codec.decodeState(bytes, 0, bytes.length) : codec.decode(bytes, 0, bytes.length);
            assertEquals(m, back);
        }
    }

    @Test
    void shouldDecodeAtAnOffset() {
        byte[] bytes = codec.encode(samples().get(0));
        byte[] padded = new byte[bytes.length + 10];
        System.arraycopy(bytes, 0, padded, 7, bytes.length);
        assertEquals(samples().get(0), codec.decode(padded, 7, bytes.length));
    }

    @Test
    void shouldRejectEveryTruncation() {
        for (WireMessage m : samples()) {
            byte[] bytes = codec.encode(m);
            for (int len = 0; len < bytes.length; len++) {
                int n = len;
                assertThrows(WireException.class, () -> decodeAny(Arrays.copyOf(bytes, n)), m + " cut at " + n);
            }
        }
    }

    @Test
    void shouldRejectTrailingBytes() {
        byte[] bytes = codec.encode(samples().get(4));
        WireException e = assertThrows(WireException.class,
                () -> codec.decode(Arrays.copyOf(bytes, bytes.length + 1), 0, bytes.length + 1));
        assertEquals("trailing", e.kind());
    }

    @Test
    void shouldRejectUnknownVersionTypeAndMagic() {
        byte[] bytes = codec.encode(samples().get(4));
        byte[] v2 = bytes.clone();
        v2[1] = 2;
        assertEquals("version", assertThrows(WireException.class, () -> decodeAny(v2)).kind());
        byte[] v0 = bytes.clone();
        v0[1] = 0;
        assertEquals("version", assertThrows(WireException.class, () -> decodeAny(v0)).kind());
        byte[] type = bytes.clone();
        type[2] = 99;
        assertEquals("type", assertThrows(WireException.class, () -> decodeAny(type)).kind());
        byte[] magic = bytes.clone();
        magic[0] = 'X';
        assertEquals("magic", assertThrows(WireException.class, () -> decodeAny(magic)).kind());
    }

    @Test
    void shouldRejectOversizedMessagesAndStatesOnTheChannel() {
        WireCodec small = new WireCodec(64 * 1024);
        Map<String, Long> many = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
            many.put("n/namespace-" + i, 1L);
        }
        byte[] big = small.encode(new WireMessage.Delta(new DeltaBatch(A, 1, many)));
        assertTrue(big.length > 64 * 1024);
        assertEquals("oversized", assertThrows(WireException.class, () -> small.decode(big, 0, big.length)).kind());
        // a state is not a channel message, and a channel message is not a state
        byte[] state = codec.encode(samples().get(7));
        assertEquals("type", assertThrows(WireException.class, () -> codec.decode(state, 0, state.length)).kind());
        byte[] delta = codec.encode(samples().get(0));
        assertEquals("type", assertThrows(WireException.class,
                () -> codec.decodeState(delta, 0, delta.length)).kind());
    }

    @Test
    void shouldRejectKeysBeyondCapsAndMalformedContent() {
        String longKey = "n/" + "x".repeat(WireCodec.MAX_KEY_BYTES);
        byte[] tooLong = codec.encode(new WireMessage.Delta(new DeltaBatch(A, 1, Map.of(longKey, 1L))));
        assertEquals("limit", assertThrows(WireException.class, () -> decodeAny(tooLong)).kind());

        byte[] empty = codec.encode(new WireMessage.Delta(new DeltaBatch(A, 1, Map.of("", 1L, "n/other", 2L))));
        assertEquals("content", assertThrows(WireException.class, () -> decodeAny(empty)).kind());

        byte[] seqZero = codec.encode(new WireMessage.Delta(new DeltaBatch(A, 0, Map.of("s", 1L))));
        assertEquals("content", assertThrows(WireException.class, () -> decodeAny(seqZero)).kind());

        byte[] badId = codec.encode(new WireMessage.ResyncRequest(new Incarnation("bad id!", 1, 1), B, 0));
        assertEquals("content", assertThrows(WireException.class, () -> decodeAny(badId)).kind());

        // a key whose bytes are not UTF-8
        byte[] utf8 = codec.encode(new WireMessage.Delta(new DeltaBatch(A, 1, Map.of("n/ab", 1L))));
        int at = indexOf(utf8, "n/ab".getBytes(StandardCharsets.US_ASCII));
        utf8[at + 2] = (byte) 0xC3;
        utf8[at + 3] = (byte) 0x28;
        assertEquals("encoding", assertThrows(WireException.class, () -> decodeAny(utf8)).kind());

        // a count of keys that cannot fit in what remains: rejected before anything is allocated
        byte[] row = codec.encode(new WireMessage.Row(new RowSnapshot(B, 1, Map.of())));
        byte[] huge = Arrays.copyOf(row, row.length + 4);
        huge[row.length - 1] = (byte) 0xff;
        huge[row.length] = (byte) 0xff;
        huge[row.length + 1] = (byte) 0xff;
        huge[row.length + 2] = 0x07;
        assertThrows(WireException.class, () -> decodeAny(huge));
    }

    @Test
    void shouldRejectDuplicateKeys() {
        byte[] one = codec.encode(new WireMessage.Row(new RowSnapshot(B, 1, Map.of("n/a", 1L))));
        // same row with the entry written twice and the count set to 2
        int entry = indexOf(one, "n/a".getBytes(StandardCharsets.US_ASCII)) - 1;
        byte[] twice = new byte[one.length + (one.length - entry)];
        System.arraycopy(one, 0, twice, 0, one.length);
        System.arraycopy(one, entry, twice, one.length, one.length - entry);
        twice[entry - 1] = 2;
        assertEquals("content", assertThrows(WireException.class, () -> decodeAny(twice)).kind());
    }

    @Test
    void shouldThrowOnlyWireExceptionForRandomMutations() {
        SplittableRandom random = new SplittableRandom(20261203);
        List<byte[]> valid = new ArrayList<>();
        for (WireMessage m : samples()) {
            valid.add(codec.encode(m));
        }
        int decoded = 0;
        for (int i = 0; i < 100_000; i++) {
            byte[] m = valid.get(random.nextInt(valid.size())).clone();
            int mutations = 1 + random.nextInt(4);
            for (int k = 0; k < mutations; k++) {
                switch (random.nextInt(4)) {
                    case 0:
                        m[random.nextInt(m.length)] = (byte) random.nextInt(256);
                        break;
                    case 1:
                        m[random.nextInt(m.length)] ^= (byte) (1 << random.nextInt(8));
                        break;
                    case 2:
                        m = Arrays.copyOf(m, random.nextInt(m.length + 8));
                        break;
                    default:
                        m = insert(m, random.nextInt(m.length + 1), (byte) random.nextInt(256));
                        break;
                }
                if (m.length == 0) {
                    break;
                }
            }
            try {
                decodeAny(m);
                decoded++;
            } catch (WireException expected) {
                // the only acceptable failure
            } catch (RuntimeException | Error e) {
                fail("mutation " + i + " " + Arrays.toString(m) + " threw " + e, e);
            }
        }
        assertTrue(decoded > 0, "some mutations still decode (e.g. a changed count value)");
    }

    @Test
    void shouldRejectRandomGarbage() {
        SplittableRandom random = new SplittableRandom(7);
        for (int i = 0; i < 20_000; i++) {
            byte[] m = new byte[random.nextInt(64)];
            for (int k = 0; k < m.length; k++) {
                m[k] = (byte) random.nextInt(256);
            }
            if (random.nextBoolean() && m.length > 2) {
                m[0] = WireCodec.MAGIC;
                m[1] = WireCodec.CURRENT_VERSION;
                m[2] = (byte) (1 + random.nextInt(5));
            }
            try {
                decodeAny(m);
            } catch (WireException expected) {
                // fine
            }
        }
    }

    private WireMessage decodeAny(byte[] m) {
        if (m.length > 2 && m[2] == WireCodec.STATE) {
            return codec.decodeState(m, 0, m.length);
        }
        return codec.decode(m, 0, m.length);
    }

    private static byte[] insert(byte[] a, int at, byte b) {
        byte[] out = new byte[a.length + 1];
        System.arraycopy(a, 0, out, 0, at);
        out[at] = b;
        System.arraycopy(a, at, out, at + 1, a.length - at);
        return out;
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("not found");
    }

    @Test
    void shouldKeepTheEncodingStable() {
        // the wire is a contract between versions: this exact encoding must keep decoding
        byte[] resync = codec.encode(new WireMessage.ResyncRequest(new Incarnation("a", 1, 2), new Incarnation("b", 3, 4),
                5));
        assertArrayEquals(new byte[] {0x54, 1, 3, 1, 'a', 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2,
                1, 'b', 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4, 5}, resync);
    }
}
