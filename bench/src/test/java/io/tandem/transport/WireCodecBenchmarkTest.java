package io.tandem.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.tandem.core.ledger.ApplyResult;
import io.tandem.core.ledger.Keys;
import org.junit.jupiter.api.Test;

/** Runs the codec benchmark methods directly, without JMH: every delta decodes and applies, counts stay put. */
class WireCodecBenchmarkTest {

    private static WireCodecBenchmark bench(int keys) {
        WireCodecBenchmark b = new WireCodecBenchmark();
        b.keys = keys;
        b.rowKeyCount = 1_000;
        b.ringSize = 64;
        b.setUp();
        return b;
    }

    @Test
    void shouldApplyEveryDeltaOfTheRingAndStartItAgain() {
        WireCodecBenchmark b = bench(16);
        for (int i = 0; i < 3 * b.ringSize + 10; i++) {
            assertEquals(ApplyResult.APPLIED, b.decodeApply());
        }
        assertEquals(WireCodecBenchmark.BASELINE, b.receiver.total(Keys.namespace("ns-000000")));
        assertEquals(0, b.receiver.anomalies());
    }

    @Test
    void shouldEncodeWhatDecodesBackToTheSameDelta() {
        for (int keys : new int[] {1, 16, 256}) {
            WireCodecBenchmark b = bench(keys);
            byte[] bytes = b.encode();
            WireMessage.Delta back = (WireMessage.Delta) b.codec.decode(bytes, 0, bytes.length);
            assertEquals(b.toEncode, back);
            assertEquals(keys, back.batch().changes().size());
        }
    }
}
