package io.tandem.transport;

import io.tandem.core.ledger.ApplyResult;
import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Incarnation;
import io.tandem.core.ledger.Ledger;
import io.tandem.core.ledger.RowSnapshot;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The delta path between controllers: the sender encodes its drained {@link DeltaBatch}; every receiver decodes it
 * and applies it to its {@link Ledger}. Measured per batch, for batches of 1, 16 and 256 keys.
 *
 * <p>This class sits in {@code io.tandem.transport} because {@link WireCodec} and {@link WireMessage} are
 * package-private there; it uses them exactly as the transport does.
 *
 * <p><b>Setup.</b> The receiver holds a third controller's row of 100,000 namespace keys (what a state transfer
 * installs), so the cluster totals a delta updates are maps of realistic size. A ring of {@value #RING} consecutive
 * deltas from the sender is encoded up front: consecutive pairs carry +1 then -1 on the same namespace keys, and
 * successive pairs move on to other keys, so the caches see a spread of keys and the sender's row on the receiver
 * grows and empties again (a namespace going from 0 to 1 activation and back, the common case). When the ring is used
 * up, the receiver drops the sender's (then empty) row, so the ring's first delta, sequence 1, is next again.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class WireCodecBenchmark {
    static final int RING = 4096;
    static final int ROW_KEYS = 100_000;
    static final long BASELINE = 1_000;
    private static final long START_MS = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

    /** Keys per delta batch. */
    @Param({"1", "16", "256"})
    public int keys;

    /** Keys in the third controller's row on the receiver (the tests use fewer). */
    int rowKeyCount = ROW_KEYS;
    /** Deltas encoded up front (the tests use fewer); even, so that a full ring leaves the sender's row empty. */
    int ringSize = RING;
    WireCodec codec;
    Incarnation sender;
    /** What the sender multicasts: the first delta of the ring. */
    WireMessage.Delta toEncode;
    byte[][] encoded;
    Ledger receiver;
    int next;

    @Setup(Level.Trial)
    public void setUp() {
        codec = new WireCodec(4 * 1024 * 1024); // CLUSTER_MAX_MESSAGE_BYTES default
        sender = new Incarnation("controller-1", START_MS, 123_456_789);
        String[] rowKeys = new String[rowKeyCount];
        Map<String, Long> counts = new HashMap<>(rowKeyCount * 2);
        for (int i = 0; i < rowKeyCount; i++) {
            rowKeys[i] = "n/ns-" + String.valueOf(1_000_000 + i).substring(1); // n/ns-000042
            counts.put(rowKeys[i], BASELINE);
        }
        receiver = new Ledger(new Incarnation("controller-0", START_MS, 1));
        ApplyResult installed = receiver.installRow(
                new RowSnapshot(new Incarnation("controller-2", START_MS, 2), 1, counts));
        if (installed != ApplyResult.APPLIED) {
            throw new IllegalStateException("receiver did not install the third controller's row: " + installed);
        }
        encoded = new byte[ringSize][];
        for (int seq = 1; seq <= ringSize; seq++) {
            int pair = (seq - 1) / 2;
            long change = seq % 2 == 1 ? 1 : -1;
            Map<String, Long> changes = new LinkedHashMap<>();
            for (int k = 0; k < keys; k++) {
                changes.put(rowKeys[(int) (((long) pair * keys + k) % rowKeyCount)], change);
            }
            WireMessage.Delta delta = new WireMessage.Delta(new DeltaBatch(sender, seq, changes));
            if (seq == 1) {
                toEncode = delta;
            }
            encoded[seq - 1] = codec.encode(delta);
        }
    }

    /** Encodes one delta batch, as the sender does after each drain. */
    @Benchmark
    public byte[] encode() {
        return codec.encode(toEncode);
    }

    /** Decodes one delta batch and applies it to the receiver's ledger, as every receiver does. */
    @Benchmark
    public ApplyResult decodeApply() {
        byte[] bytes = encoded[next];
        WireMessage m = codec.decode(bytes, 0, bytes.length);
        ApplyResult r = receiver.applyDelta(((WireMessage.Delta) m).batch());
        if (r != ApplyResult.APPLIED) {
            throw new IllegalStateException("delta " + next + " was not applied: " + r);
        }
        if (++next == ringSize) {
            resetReceiver();
        }
        return r;
    }

    /** Decodes only, for telling the codec's share of {@link #decodeApply} from the ledger's. */
    @Benchmark
    public WireMessage decode() {
        byte[] bytes = encoded[next];
        if (++next == ringSize) {
            next = 0;
        }
        return codec.decode(bytes, 0, bytes.length);
    }

    /** Forgets the sender's row on the receiver, so that the ring's first delta (sequence 1) is next again. */
    void resetReceiver() {
        receiver.dropOwner(sender);
        next = 0;
    }
}
