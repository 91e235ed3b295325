package io.tandem.transport;

import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.RowSnapshot;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;

/**
 * The versioned binary format of {@link WireMessage}s.
 *
 * <pre>
 * message      = magic(0x54 'T') version(u8) type(u8) body          -- nothing may follow the body
 * DELTA    (1) = incarnation seq(uvarint) n(uvarint) n * (key change(zigzag varint))
 * ROW      (2) = row
 * RESYNC   (3) = requester:incarnation owner:incarnation appliedSeq(uvarint)
 * HELLO    (4) = incarnation wireVersion(uvarint) apiUrl:nstring adminUrl:nstring configHash:nstring publishedSeq(uvarint)
 * STATE    (5) = sender:incarnation n(uvarint) n * row
 * row          = owner:incarnation seq(uvarint) n(uvarint) n * (key count(uvarint))
 * incarnation  = controllerId:string startMs(i64) tiebreak(i32)
 * key          = string (1..512 bytes of UTF-8)
 * string       = length(uvarint) utf8 bytes;  nstring = (length + 1)(uvarint) utf8 bytes, 0 for null
 * sealed       = message mac                        -- when the cluster has a secret
 * mac          = HMAC-SHA256(macKey, message), 32 bytes
 * </pre>
 *
 * <p><b>Authentication.</b> With a MAC key (derived from {@code CLUSTER_SECRET}, see {@link ClusterKeys}) every
 * encoded message, the state included, ends with an HMAC-SHA256 of everything before it, and {@link #decode}
 * checks it (in constant time) before it reads a single field: a forged or tampered message is a
 * {@link WireException} of kind {@value #AUTH_KIND}, even if the encryption layer below were misconfigured or
 * absent. Without a key (CLUSTER_INSECURE) there is no MAC; a keyed and an unkeyed controller reject each other's
 * messages. The MAC binds no sender: a member holding the secret is trusted (see docs/security.md).
 *
 * Version 1 is current. A receiver accepts the current and the previous version so a rolling upgrade works:
 * when version 2 comes, {@link #decode} keeps its {@code case 1} next to the new {@code case 2}.
 *
 * <p>Decoding never trusts a length: every count and length is checked against the bytes that remain and against
 * the caps (keys per row, key length, message size) before anything is allocated, and every problem is a
 * {@link WireException}; no other exception escapes {@link #decode}. Stateless and thread-safe.
 */
final class WireCodec {
    static final byte MAGIC = 0x54;
    static final int CURRENT_VERSION = 1;

    static final byte DELTA = 1;
    static final byte ROW = 2;
    static final byte RESYNC_REQUEST = 3;
    static final byte HELLO = 4;
    static final byte STATE = 5;

    /** Longest key in UTF-8 bytes (namespace names are at most 256 characters in OpenWhisk). */
    static final int MAX_KEY_BYTES = 512;
    /** Default of the most keys in one delta or row ({@code CLUSTER_MAX_KEYS}). */
    static final int MAX_KEYS = 2_000_000;
    /** Length of the HMAC-SHA256 trailer. */
    static final int MAC_BYTES = 32;
    /** {@link WireException#kind()} of a message whose MAC is missing or wrong. */
    static final String AUTH_KIND = "auth";
    /** Most rows in a state (one per controller incarnation). */
    static final int MAX_ROWS = 10_000;
    /** Longest URL or config hash in a HELLO. */
    static final int MAX_TEXT_BYTES = 4096;
    /** A state carries every row; it may be this many times larger than a message. */
    static final int STATE_SIZE_FACTOR = 64;

    private static final Pattern CONTROLLER_ID = Pattern.compile("[A-Za-z0-9._-]{1,64}");

    private final int maxMessageBytes;
    private final int maxKeys;
    private final long maxStateBytes;
    /** One Mac per thread (a Mac is not thread-safe); null without a key. */
    private final ThreadLocal<Mac> mac;

    /** Without a MAC, the default key cap and a state cap of {@value #STATE_SIZE_FACTOR} messages (tests, benchmarks). */
    WireCodec(int maxMessageBytes) {
        this(maxMessageBytes, MAX_KEYS, (long) maxMessageBytes * STATE_SIZE_FACTOR, null);
    }

    /**
     * @param maxKeys       most keys in one delta or row
     * @param maxStateBytes largest state transfer accepted (capped at 2 GB)
     * @param macKey        HMAC-SHA256 key, or null for no MAC (an insecure cluster)
     */
    WireCodec(int maxMessageBytes, int maxKeys, long maxStateBytes, byte[] macKey) {
        this.maxMessageBytes = maxMessageBytes;
        this.maxKeys = maxKeys;
        this.maxStateBytes = Math.min(maxStateBytes, Integer.MAX_VALUE - 16);
        if (macKey == null) {
            this.mac = null;
        } else {
            SecretKeySpec key = new SecretKeySpec(macKey.clone(), "HmacSHA256");
            this.mac = ThreadLocal.withInitial(() -> {
                try {
                    Mac m = Mac.getInstance("HmacSHA256");
                    m.init(key);
                    return m;
                } catch (GeneralSecurityException e) {
                    throw new IllegalStateException("HmacSHA256 unavailable", e);
                }
            });
            mac.get(); // fail at construction, not on the first message
        }
    }

    int maxKeys() {
        return maxKeys;
    }

    int maxMessageBytes() {
        return maxMessageBytes;
    }

    /** Largest state accepted, at most 2 GB. */
    long maxStateBytes() {
        return maxStateBytes;
    }

    // ---------------------------------------------------------------------------------------------- encoding

    byte[] encode(WireMessage m) {
        Writer w = new Writer(64);
        w.u8(MAGIC);
        w.u8(CURRENT_VERSION);
        if (m instanceof WireMessage.Delta) {
            DeltaBatch b = ((WireMessage.Delta) m).batch();
            w.u8(DELTA);
            w.incarnation(b.owner());
            w.uvarint(b.seq());
            w.uvarint(b.changes().size());
            for (Map.Entry<String, Long> e : b.changes().entrySet()) {
                w.string(e.getKey());
                w.zigzag(e.getValue());
            }
        } else if (m instanceof WireMessage.Row) {
            w.u8(ROW);
            w.row(((WireMessage.Row) m).row());
        } else if (m instanceof WireMessage.ResyncRequest) {
            WireMessage.ResyncRequest r = (WireMessage.ResyncRequest) m;
            w.u8(RESYNC_REQUEST);
            w.incarnation(r.requester());
            w.incarnation(r.owner());
            w.uvarint(r.appliedSeq());
        } else if (m instanceof WireMessage.Hello) {
            WireMessage.Hello h = (WireMessage.Hello) m;
            w.u8(HELLO);
            w.incarnation(h.incarnation());
            w.uvarint(h.wireVersion());
            w.nullableString(h.apiUrl());
            w.nullableString(h.adminUrl());
            w.nullableString(h.configHash());
            w.uvarint(h.publishedSeq());
        } else if (m instanceof WireMessage.State) {
            WireMessage.State s = (WireMessage.State) m;
            w.u8(STATE);
            w.incarnation(s.sender());
            w.uvarint(s.rows().size());
            for (RowSnapshot r : s.rows()) {
                w.row(r);
            }
        } else {
            throw new IllegalArgumentException("unknown message " + m);
        }
        if (mac != null) {
            Mac h = mac.get();
            h.update(w.buf, 0, w.pos);
            w.ensure(MAC_BYTES);
            try {
                h.doFinal(w.buf, w.pos);
            } catch (ShortBufferException e) {
                throw new IllegalStateException(e);
            }
            w.pos += MAC_BYTES;
        }
        return w.toByteArray();
    }

    /**
     * Checks the MAC of {@code buf[off, off + len)} and returns the length of the message before it; without a key
     * returns {@code len}. A missing or wrong MAC is a {@link WireException} of kind {@value #AUTH_KIND}.
     */
    private int verify(byte[] buf, int off, int len) {
        if (buf == null || off < 0 || len < 0 || off > buf.length - len) {
            throw new WireException("truncated", "no message");
        }
        if (mac == null) {
            return len;
        }
        int body = len - MAC_BYTES;
        if (body < 0) {
            throw new WireException(AUTH_KIND, "message too short to carry a MAC");
        }
        Mac h = mac.get();
        h.update(buf, off, body);
        byte[] expected = h.doFinal();
        byte[] actual = Arrays.copyOfRange(buf, off + body, off + len);
        if (!MessageDigest.isEqual(expected, actual)) {
            throw new WireException(AUTH_KIND, "bad MAC: not sent by a member holding the cluster secret");
        }
        return body;
    }

    // ---------------------------------------------------------------------------------------------- decoding

    /** Decodes one channel message (any type but STATE), at most {@link #maxMessageBytes()} long. */
    WireMessage decode(byte[] buf, int off, int len) {
        if (len > maxMessageBytes) {
            throw new WireException("oversized", "message of " + len + " bytes exceeds CLUSTER_MAX_MESSAGE_BYTES="
                    + maxMessageBytes);
        }
        WireMessage m = decodeAny(buf, off, verify(buf, off, len));
        if (m instanceof WireMessage.State) {
            throw new WireException("type", "a STATE is not a channel message");
        }
        return m;
    }

    /** Decodes a state transfer, at most {@link #maxStateBytes()} long. */
    WireMessage.State decodeState(byte[] buf, int off, int len) {
        if (len > maxStateBytes()) {
            throw new WireException("oversized", "state of " + len + " bytes exceeds " + maxStateBytes());
        }
        WireMessage m = decodeAny(buf, off, verify(buf, off, len));
        if (!(m instanceof WireMessage.State)) {
            throw new WireException("type", "expected a STATE, got " + m.getClass().getSimpleName());
        }
        return (WireMessage.State) m;
    }

    /** The type byte of an encoded message of a version we read, or -1 when it is not one of ours. */
    static int typeOf(byte[] buf, int off, int len) {
        if (len < 3 || buf[off] != MAGIC || (buf[off + 1] & 0xff) != CURRENT_VERSION) {
            return -1;
        }
        return buf[off + 2];
    }

    private WireMessage decodeAny(byte[] buf, int off, int len) {
        if (buf == null || off < 0 || len < 0 || off > buf.length - len) {
            throw new WireException("truncated", "no message");
        }
        Reader r = new Reader(buf, off, len, maxKeys);
        if (r.u8() != (MAGIC & 0xff)) {
            throw new WireException("magic", "not a Tandem message (bad magic byte)");
        }
        int version = r.u8();
        WireMessage m;
        switch (version) {
            case 1:
                m = decodeV1(r);
                break;
            // case 2: m = decodeV2(r); break;  -- when version 2 exists, keep case 1 (the previous version)
            default:
                throw new WireException("version", "unknown wire version " + version + " (this controller reads "
                        + CURRENT_VERSION + ")");
        }
        if (r.remaining() != 0) {
            throw new WireException("trailing", r.remaining() + " unexpected bytes after the message");
        }
        return m;
    }

    private WireMessage decodeV1(Reader r) {
        int type = r.u8();
        switch (type) {
            case DELTA: {
                Incarnation owner = r.incarnation();
                long seq = r.uvarint();
                if (seq < 1) {
                    throw new WireException("content", "delta sequence number " + seq + " < 1");
                }
                int n = r.count(maxKeys, 3);
                Map<String, Long> changes = new HashMap<>(capacity(n));
                for (int i = 0; i < n; i++) {
                    String key = r.key();
                    if (changes.put(key, r.zigzag()) != null) {
                        throw new WireException("content", "duplicate key in delta");
                    }
                }
                return new WireMessage.Delta(new DeltaBatch(owner, seq, changes));
            }
            case ROW:
                return new WireMessage.Row(r.row());
            case RESYNC_REQUEST:
                return new WireMessage.ResyncRequest(r.incarnation(), r.incarnation(), r.uvarint());
            case HELLO: {
                Incarnation inc = r.incarnation();
                long wireVersion = r.uvarint();
                if (wireVersion > 255) {
                    throw new WireException("content", "wire version " + wireVersion);
                }
                return new WireMessage.Hello(inc, (int) wireVersion, r.nullableString(), r.nullableString(),
                        r.nullableString(), r.uvarint());
            }
            case STATE: {
                Incarnation sender = r.incarnation();
                int n = r.count(MAX_ROWS, 16);
                List<RowSnapshot> rows = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    rows.add(r.row());
                }
                return new WireMessage.State(sender, rows);
            }
            default:
                throw new WireException("type", "unknown message type " + type);
        }
    }

    private static int capacity(int n) {
        return (int) Math.min((long) n * 4 / 3 + 1, Integer.MAX_VALUE);
    }

    /** A growable big-endian byte array. Not thread-safe. */
    private static final class Writer {
        private byte[] buf;
        private int pos;

        Writer(int initial) {
            buf = new byte[initial];
        }

        private void ensure(int more) {
            if (pos + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
            }
        }

        void u8(int v) {
            ensure(1);
            buf[pos++] = (byte) v;
        }

        void i32(int v) {
            ensure(4);
            buf[pos++] = (byte) (v >>> 24);
            buf[pos++] = (byte) (v >>> 16);
            buf[pos++] = (byte) (v >>> 8);
            buf[pos++] = (byte) v;
        }

        void i64(long v) {
            i32((int) (v >>> 32));
            i32((int) v);
        }

        void uvarint(long v) {
            if (v < 0) {
                throw new IllegalArgumentException("negative " + v);
            }
            ensure(10);
            while ((v & ~0x7fL) != 0) {
                buf[pos++] = (byte) ((v & 0x7f) | 0x80);
                v >>>= 7;
            }
            buf[pos++] = (byte) v;
        }

        void zigzag(long v) {
            long z = (v << 1) ^ (v >> 63);
            ensure(10);
            while ((z & ~0x7fL) != 0) {
                buf[pos++] = (byte) ((z & 0x7f) | 0x80);
                z >>>= 7;
            }
            buf[pos++] = (byte) z;
        }

        void bytes(byte[] b) {
            uvarint(b.length);
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        void string(String s) {
            bytes(s.getBytes(StandardCharsets.UTF_8));
        }

        void nullableString(String s) {
            if (s == null) {
                uvarint(0);
                return;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            uvarint(b.length + 1L);
            ensure(b.length);
            System.arraycopy(b, 0, buf, pos, b.length);
            pos += b.length;
        }

        void incarnation(Incarnation inc) {
            string(inc.controllerId());
            i64(inc.startMs());
            i32(inc.tiebreak());
        }

        void row(RowSnapshot r) {
            incarnation(r.owner());
            uvarint(r.seq());
            uvarint(r.counts().size());
            for (Map.Entry<String, Long> e : r.counts().entrySet()) {
                string(e.getKey());
                uvarint(e.getValue());
            }
        }

        byte[] toByteArray() {
            return Arrays.copyOf(buf, pos);
        }
    }

    /** Reads with a bounds check on every access; any problem is a {@link WireException}. Not thread-safe. */
    private static final class Reader {
        private final byte[] buf;
        private final int end;
        private final int maxKeys;
        private int pos;

        Reader(byte[] buf, int off, int len, int maxKeys) {
            this.buf = buf;
            this.pos = off;
            this.end = off + len;
            this.maxKeys = maxKeys;
        }

        int remaining() {
            return end - pos;
        }

        private void need(int n) {
            if (n < 0 || n > end - pos) {
                throw new WireException("truncated", "message ends " + (n - (end - pos)) + " bytes early");
            }
        }

        int u8() {
            need(1);
            return buf[pos++] & 0xff;
        }

        int i32() {
            need(4);
            int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8)
                    | (buf[pos + 3] & 0xff);
            pos += 4;
            return v;
        }

        long i64() {
            long hi = i32() & 0xffffffffL;
            long lo = i32() & 0xffffffffL;
            return (hi << 32) | lo;
        }

        /** An unsigned varint of at most 63 bits. */
        long uvarint() {
            long v = rawVarint();
            if (v < 0) {
                throw new WireException("content", "number out of range");
            }
            return v;
        }

        long zigzag() {
            long z = rawVarint();
            return (z >>> 1) ^ -(z & 1);
        }

        private long rawVarint() {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = u8();
                if (shift == 63 && (b & 0x7e) != 0) {
                    throw new WireException("content", "varint overflows 64 bits");
                }
                v |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return v;
                }
            }
            throw new WireException("content", "varint longer than 10 bytes");
        }

        /** A count of items that each take at least {@code minItemBytes}: checked against the cap and the bytes left. */
        int count(int cap, int minItemBytes) {
            long n = uvarint();
            if (n > cap) {
                throw new WireException("limit", n + " items exceed the cap of " + cap);
            }
            if (n * minItemBytes > remaining()) {
                throw new WireException("truncated", n + " items cannot fit in " + remaining() + " bytes");
            }
            return (int) n;
        }

        private int length(int cap) {
            long n = uvarint();
            if (n > cap) {
                throw new WireException("limit", "length " + n + " exceeds the cap of " + cap);
            }
            need((int) n);
            return (int) n;
        }

        String string(int cap) {
            return utf8(length(cap));
        }

        String nullableString() {
            long n = uvarint();
            if (n == 0) {
                return null;
            }
            if (n - 1 > MAX_TEXT_BYTES) {
                throw new WireException("limit", "text of " + (n - 1) + " bytes exceeds the cap of " + MAX_TEXT_BYTES);
            }
            need((int) (n - 1));
            return utf8((int) (n - 1));
        }

        String key() {
            String k = string(MAX_KEY_BYTES);
            if (k.isEmpty()) {
                throw new WireException("content", "empty key");
            }
            return k;
        }

        /** Strict UTF-8: malformed input is an error, never silently replaced. ASCII, the usual case, is fast. */
        private String utf8(int n) {
            int start = pos;
            pos += n;
            for (int i = start; i < start + n; i++) {
                if (buf[i] < 0) {
                    try {
                        return StandardCharsets.UTF_8.newDecoder()
                                .onMalformedInput(CodingErrorAction.REPORT)
                                .onUnmappableCharacter(CodingErrorAction.REPORT)
                                .decode(ByteBuffer.wrap(buf, start, n)).toString();
                    } catch (CharacterCodingException e) {
                        throw new WireException("encoding", "malformed UTF-8");
                    }
                }
            }
            return new String(buf, start, n, StandardCharsets.ISO_8859_1);
        }

        Incarnation incarnation() {
            String id = string(64);
            if (!CONTROLLER_ID.matcher(id).matches()) {
                throw new WireException("content", "bad controller id");
            }
            return new Incarnation(id, i64(), i32());
        }

        RowSnapshot row() {
            Incarnation owner = incarnation();
            long seq = uvarint();
            int n = count(maxKeys, 3);
            Map<String, Long> counts = new HashMap<>(capacity(n));
            for (int i = 0; i < n; i++) {
                String key = key();
                if (counts.put(key, uvarint()) != null) {
                    throw new WireException("content", "duplicate key in row");
                }
            }
            return new RowSnapshot(owner, seq, counts);
        }
    }
}
