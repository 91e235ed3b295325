package io.tandem.core.ledger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class LedgerTest {
    private static final Incarnation SELF = new Incarnation("c1", 1_000, 1);
    private static final Incarnation SELF_OLDER = new Incarnation("c1", 500, 9);
    private static final Incarnation SELF_NEWER = new Incarnation("c1", 2_000, 0);
    private static final Incarnation C2_OLD = new Incarnation("c2", 1_000, 7);
    private static final Incarnation C2_NEW = new Incarnation("c2", 2_000, 3);
    private static final Incarnation C3 = new Incarnation("c3", 1_500, 0);

    private static final String NS = Keys.namespace("alice");
    private static final String INV = Keys.invoker("inv-0");

    private final Ledger ledger = new Ledger(SELF);

    private static DeltaBatch batch(Incarnation owner, long seq, Map<String, Long> changes) {
        return new DeltaBatch(owner, seq, changes);
    }

    /** The counts a receiver can observe of the ledger (not its counters), for "nothing changed" assertions. */
    private static String state(Ledger l) {
        return l.totals("") + " " + l.remoteSequences() + " " + l.localSeq() + " " + l.replacedIncarnations()
                + " " + l.snapshot();
    }

    @Nested
    class LocalChanges {
        @Test
        void shouldUpdateLocalTotalsAndPendingOnAdd() {
            ledger.add(NS, 2);
            ledger.add(INV, 256);

            assertEquals(2, ledger.local(NS));
            assertEquals(2, ledger.total(NS));
            assertEquals(256, ledger.total(INV));
            assertTrue(ledger.hasPending());
            assertEquals(0, ledger.localSeq(), "nothing drained yet");
            assertEquals(Map.of(), ledger.localRow().counts(), "the published row only moves on drain");
        }

        @Test
        void shouldReportAnUrgentChangeUntilTheNextDrainAndNotWhenItCancelledOut() {
            ledger.add(NS, 1);
            assertTrue(ledger.hasPending());
            assertFalse(ledger.hasUrgentPending(), "a plain change may wait to be coalesced");

            ledger.update(tx -> {
                tx.add(INV, 256);
                tx.urgent();
                return null;
            });
            assertTrue(ledger.hasUrgentPending());
            assertEquals(Map.of(NS, 1L, INV, 256L), ledger.drain().changes(), "urgent or not, one batch");
            assertFalse(ledger.hasUrgentPending(), "the drain took it");

            ledger.update(tx -> {
                tx.add(NS, 1);
                tx.urgent();
                return null;
            });
            ledger.add(NS, -1);
            assertFalse(ledger.hasPending());
            assertFalse(ledger.hasUrgentPending(), "nothing left to send");
            assertNull(ledger.drain());
            ledger.add(NS, 1);
            assertFalse(ledger.hasUrgentPending(), "the mark went when everything cancelled out");
            List<Boolean> told = new ArrayList<>();
            ledger.onPending(told::add);
            ledger.update(tx -> {
                tx.urgent();
                return null;
            });
            assertEquals(List.of(true), told, "a mark after a cancelled one is reported again");
        }

        @Test
        void shouldDrainConsecutiveSequenceNumbersAndFoldIntoPublishedRow() {
            ledger.add(NS, 2);
            DeltaBatch first = ledger.drain();
            ledger.add(NS, 1);
            ledger.add(INV, 128);
            DeltaBatch second = ledger.drain();

            assertEquals(1, first.seq());
            assertEquals(SELF, first.owner());
            assertEquals(Map.of(NS, 2L), first.changes());
            assertEquals(2, second.seq());
            assertEquals(Map.of(NS, 1L, INV, 128L), second.changes());
            RowSnapshot row = ledger.localRow();
            assertEquals(2, row.seq());
            assertEquals(Map.of(NS, 3L, INV, 128L), row.counts());
            assertFalse(ledger.hasPending());
        }

        @Test
        void shouldReturnNullFromDrainWhenNothingChanged() {
            assertNull(ledger.drain());
            ledger.add(NS, 1);
            assertNotNull(ledger.drain());

            assertNull(ledger.drain());
            assertEquals(1, ledger.localSeq(), "an empty drain must not use up a sequence number");
        }

        @Test
        void shouldReturnNullFromDrainWhenBookAndReleaseCancelOut() {
            ledger.add(NS, 1);
            ledger.add(INV, 256);
            ledger.add(NS, -1);
            ledger.add(INV, -256);

            assertFalse(ledger.hasPending());
            assertNull(ledger.drain());
            assertEquals(0, ledger.localSeq());
        }

        @Test
        void shouldSendOnlyTheKeysThatDidNotCancelOut() {
            ledger.add(NS, 1);
            ledger.add(INV, 256);
            ledger.add(NS, -1);

            assertEquals(Map.of(INV, 256L), ledger.drain().changes());
        }

        @Test
        void shouldDeleteKeysThatReturnToZero() {
            ledger.add(NS, 2);
            ledger.drain();
            ledger.add(NS, -2);
            ledger.drain();

            assertEquals(0, ledger.keyCount());
            assertEquals(Map.of(), ledger.totals(""));
            assertFalse(ledger.localRow().counts().containsKey(NS));
        }

        @Test
        void shouldClampLocalReleaseBelowZeroAndCountAnAnomaly() {
            ledger.add(NS, 1);
            ledger.drain();

            ledger.add(NS, -3);

            assertEquals(0, ledger.local(NS));
            assertEquals(0, ledger.total(NS));
            assertEquals(1, ledger.anomalies());
            assertEquals(Map.of(NS, -1L), ledger.drain().changes(), "only what was held is given back");
            assertEquals(Map.of(), ledger.localRow().counts());
        }

        @Test
        void shouldIgnoreReleaseOfAKeyAtZeroButCountIt() {
            ledger.add(NS, -1);

            assertEquals(0, ledger.total(NS));
            assertEquals(1, ledger.anomalies());
            assertFalse(ledger.hasPending());
        }

        @Test
        void shouldCheckAndAcquireInsideOneUpdate() {
            ledger.add(NS, 4);

            boolean took = ledger.update(tx -> {
                if (tx.total(NS) >= 5) {
                    return false;
                }
                tx.add(NS, 1);
                return true;
            });
            boolean tookAgain = ledger.update(tx -> {
                if (tx.total(NS) >= 5) {
                    return false;
                }
                tx.add(NS, 1);
                return true;
            });

            assertTrue(took);
            assertFalse(tookAgain);
            assertEquals(5, ledger.local(NS));
        }
    }

    @Nested
    class StateTransfer {
        @Test
        void shouldEqualLiveStateAfterSnapshotPlusLaterDeltas() {
            Ledger c3 = new Ledger(C3);
            c3.add(NS, 4);
            ledger.applyDelta(c3.drain());
            ledger.add(NS, 2);
            ledger.add(INV, 512);
            DeltaBatch beforeSnapshot = ledger.drain();
            ledger.add(NS, 1); // pending at snapshot time: must reach the joiner as the next batch, once

            List<RowSnapshot> snapshot = ledger.snapshot();
            Ledger joiner = new Ledger(C2_NEW);
            for (RowSnapshot row : snapshot) {
                assertEquals(ApplyResult.APPLIED, joiner.installRow(row));
            }
            ledger.add(INV, -256);
            DeltaBatch afterSnapshot = ledger.drain();
            c3.add(NS, -4);
            DeltaBatch c3After = c3.drain();
            ledger.applyDelta(c3After);

            assertEquals(ApplyResult.DUPLICATE, joiner.applyDelta(beforeSnapshot));
            assertEquals(ApplyResult.APPLIED, joiner.applyDelta(afterSnapshot));
            assertEquals(ApplyResult.APPLIED, joiner.applyDelta(c3After));
            assertEquals(ledger.totals(""), joiner.totals(""));
            assertEquals(Map.of(NS, 3L, INV, 256L), joiner.totals(""));
        }

        @Test
        void shouldCarryEveryRowWithItsSequenceInTheSnapshot() {
            ledger.add(NS, 1);
            ledger.drain();
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 2L)));
            ledger.applyDelta(batch(C2_OLD, 2, Map.of(INV, 256L)));

            Map<Incarnation, RowSnapshot> byOwner = new java.util.HashMap<>();
            for (RowSnapshot r : ledger.snapshot()) {
                byOwner.put(r.owner(), r);
            }

            assertEquals(2, byOwner.size());
            assertEquals(new RowSnapshot(SELF, 1, Map.of(NS, 1L)), byOwner.get(SELF));
            assertEquals(new RowSnapshot(C2_OLD, 2, Map.of(NS, 2L, INV, 256L)), byOwner.get(C2_OLD));
        }
    }

    @Nested
    class RemoteDeltas {
        @Test
        void shouldApplyTheNextSequenceNumber() {
            assertEquals(ApplyResult.APPLIED, ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 2L))));
            assertEquals(ApplyResult.APPLIED, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, -1L, INV, 64L))));

            assertEquals(1, ledger.total(NS));
            assertEquals(64, ledger.total(INV));
            assertEquals(0, ledger.local(NS), "a remote row is not this controller's count");
            assertEquals(Map.of(C2_OLD, 2L), ledger.remoteSequences());
        }

        @Test
        void shouldIgnoreDuplicateDelta() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 2L)));
            ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, 1L)));
            String before = state(ledger);

            assertEquals(ApplyResult.DUPLICATE, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, 1L))));
            assertEquals(ApplyResult.DUPLICATE, ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 2L))));
            assertEquals(before, state(ledger));
            assertEquals(3, ledger.total(NS));
        }

        @Test
        void shouldDetectGapAndChangeNothing() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 2L)));
            String before = state(ledger);

            assertEquals(ApplyResult.GAP, ledger.applyDelta(batch(C2_OLD, 3, Map.of(NS, 1L))));
            assertEquals(before, state(ledger));
            assertEquals(ApplyResult.APPLIED, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, 1L))));
        }

        @Test
        void shouldReportGapForUnknownOwnerMidStream() {
            assertEquals(ApplyResult.GAP, ledger.applyDelta(batch(C2_OLD, 5, Map.of(NS, 1L))));
            assertEquals(Map.of(), ledger.remoteSequences());
            assertEquals(0, ledger.total(NS));
        }

        @Test
        void shouldIgnoreDeltaOfStaleIncarnation() {
            ledger.applyDelta(batch(C2_NEW, 1, Map.of(NS, 2L)));
            String before = state(ledger);

            assertEquals(ApplyResult.STALE, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, 5L))));
            assertEquals(ApplyResult.STALE, ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 5L))));
            assertEquals(before, state(ledger));
        }

        @Test
        void shouldDropRowOfReplacedIncarnation() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 3L, INV, 512L)));
            ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, 1L)));
            ledger.applyDelta(batch(C3, 1, Map.of(NS, 10L)));

            assertEquals(ApplyResult.APPLIED_REPLACING, ledger.applyDelta(batch(C2_NEW, 1, Map.of(NS, 1L))));

            assertEquals(11, ledger.total(NS), "c3's 10 plus the new incarnation's 1; the old 4 are gone");
            assertEquals(0, ledger.total(INV));
            assertEquals(1, ledger.replacedIncarnations());
            assertEquals(Map.of(C2_NEW, 1L, C3, 1L), ledger.remoteSequences());
            assertEquals(ApplyResult.APPLIED, ledger.applyDelta(batch(C2_NEW, 2, Map.of(NS, -1L))));
            assertEquals(ApplyResult.STALE, ledger.applyDelta(batch(C2_OLD, 3, Map.of(NS, -4L))));
            assertEquals(10, ledger.total(NS));
        }

        @Test
        void shouldReportGapForNewerIncarnationMidStreamAndKeepOldRow() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 3L)));

            assertEquals(ApplyResult.GAP, ledger.applyDelta(batch(C2_NEW, 4, Map.of(NS, 1L))));

            assertEquals(3, ledger.total(NS));
            assertEquals(Map.of(C2_OLD, 1L), ledger.remoteSequences());
            assertEquals(0, ledger.replacedIncarnations());
        }

        @Test
        void shouldReportConflictForNewerIncarnationOfOwnId() {
            assertEquals(ApplyResult.CONFLICT, ledger.applyDelta(batch(SELF_NEWER, 1, Map.of(NS, 1L))));
            assertEquals(ApplyResult.CONFLICT, ledger.installRow(new RowSnapshot(SELF_NEWER, 3, Map.of(NS, 1L))));
            assertEquals(0, ledger.total(NS));
            assertEquals(Map.of(), ledger.remoteSequences());
        }

        @Test
        void shouldIgnoreOlderIncarnationOfOwnIdAsStale() {
            assertEquals(ApplyResult.STALE, ledger.applyDelta(batch(SELF_OLDER, 1, Map.of(NS, 1L))));
            assertEquals(ApplyResult.STALE, ledger.installRow(new RowSnapshot(SELF_OLDER, 3, Map.of(NS, 1L))));
            assertEquals(ApplyResult.STALE, ledger.installRow(new RowSnapshot(SELF, 3, Map.of(NS, 1L))),
                    "our own row comes back in a peer's snapshot: ignore it");
            assertEquals(0, ledger.total(NS));
        }

        @Test
        void shouldRejectInvalidKeysAndChangeNothing() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 1L)));
            String before = state(ledger);

            for (String bad : List.of("x/what", "n/", "i/", "m/notanumber/alice", "m/5/", "")) {
                assertEquals(ApplyResult.REJECTED, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, 1L, bad, 1L))),
                        bad);
            }
            assertEquals(ApplyResult.REJECTED, ledger.applyDelta(batch(C3, 1, Map.of("bogus", 1L))));

            assertEquals(before, state(ledger));
            assertEquals(ApplyResult.APPLIED, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, 1L))),
                    "the rejected sequence number was not used up");
            assertEquals(2, ledger.total(NS));
        }

        @Test
        void shouldRejectChangeDrivingCountNegativeAndChangeNothing() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 1L)));

            assertEquals(ApplyResult.REJECTED, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, -2L, INV, 256L))));
            assertEquals(ApplyResult.REJECTED, ledger.applyDelta(batch(C3, 1, Map.of(NS, -1L))));

            assertEquals(1, ledger.total(NS));
            assertEquals(0, ledger.total(INV), "a rejected batch is rejected whole");
            assertEquals(Map.of(C2_OLD, 1L), ledger.remoteSequences());
            assertEquals(ApplyResult.APPLIED, ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, -1L))));
            assertEquals(0, ledger.total(NS));
        }

        @Test
        void shouldRejectNewerIncarnationWithInvalidFirstBatchAndKeepOldRow() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 3L)));

            assertEquals(ApplyResult.REJECTED, ledger.applyDelta(batch(C2_NEW, 1, Map.of(NS, -1L))));

            assertEquals(3, ledger.total(NS));
            assertEquals(Map.of(C2_OLD, 1L), ledger.remoteSequences());
            assertEquals(0, ledger.replacedIncarnations());
        }

        @Test
        void shouldCountEveryRejectedRemoteChangeAsAnomaly() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 1L)));

            ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, -2L)));
            ledger.applyDelta(batch(C3, 1, Map.of(NS, -1L)));
            ledger.installRow(new RowSnapshot(C2_NEW, 1, Map.of(NS, -1L)));

            assertEquals(3, ledger.anomalies(), "mid-stream, first batch and full row alike");
        }

        @Test
        void shouldDeleteRemoteKeysAtZero() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 3L)));
            ledger.applyDelta(batch(C2_OLD, 2, Map.of(NS, -3L)));

            assertEquals(0, ledger.keyCount());
            RowSnapshot row = ledger.snapshot().stream().filter(r -> r.owner().equals(C2_OLD)).findFirst()
                    .orElseThrow();
            assertEquals(Map.of(), row.counts());
            assertEquals(2, row.seq());
        }

        @Test
        void shouldSumLocalAndRemoteRowsInTotals() {
            ledger.add(NS, 2);
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 3L)));
            ledger.applyDelta(batch(C3, 1, Map.of(NS, 5L)));

            assertEquals(10, ledger.total(NS));
            assertEquals(2, ledger.local(NS));
        }
    }

    @Nested
    class InstallRow {
        @Test
        void shouldKeepHighestSequenceOfSameIncarnationWithoutDoubleCounting() {
            ledger.add(NS, 2);
            assertEquals(ApplyResult.APPLIED, ledger.installRow(new RowSnapshot(C2_OLD, 5, Map.of(NS, 3L))));

            assertEquals(ApplyResult.DUPLICATE, ledger.installRow(new RowSnapshot(C2_OLD, 5, Map.of(NS, 3L))));
            assertEquals(ApplyResult.DUPLICATE, ledger.installRow(new RowSnapshot(C2_OLD, 4, Map.of(NS, 9L))));
            assertEquals(5, ledger.total(NS));

            assertEquals(ApplyResult.APPLIED, ledger.installRow(new RowSnapshot(C2_OLD, 6, Map.of(NS, 4L))));
            assertEquals(6, ledger.total(NS), "the newer row replaces the older one, it is not added to it");
            assertEquals(Map.of(C2_OLD, 6L), ledger.remoteSequences());
            assertEquals(0, ledger.replacedIncarnations());
        }

        @Test
        void shouldLetNewerIncarnationWinAndIgnoreOlder() {
            ledger.installRow(new RowSnapshot(C2_OLD, 9, Map.of(NS, 3L, INV, 256L)));

            assertEquals(ApplyResult.APPLIED_REPLACING,
                    ledger.installRow(new RowSnapshot(C2_NEW, 1, Map.of(NS, 1L))));
            assertEquals(ApplyResult.STALE, ledger.installRow(new RowSnapshot(C2_OLD, 50, Map.of(NS, 7L))));

            assertEquals(1, ledger.total(NS));
            assertEquals(0, ledger.total(INV));
            assertEquals(1, ledger.replacedIncarnations());
            assertEquals(Map.of(C2_NEW, 1L), ledger.remoteSequences());
        }

        @Test
        void shouldResumeDeltasAfterInstalledSequence() {
            ledger.installRow(new RowSnapshot(C2_OLD, 5, Map.of(NS, 3L)));

            assertEquals(ApplyResult.DUPLICATE, ledger.applyDelta(batch(C2_OLD, 5, Map.of(NS, 1L))));
            assertEquals(ApplyResult.GAP, ledger.applyDelta(batch(C2_OLD, 7, Map.of(NS, 1L))));
            assertEquals(ApplyResult.APPLIED, ledger.applyDelta(batch(C2_OLD, 6, Map.of(NS, -3L))));
            assertEquals(0, ledger.total(NS));
        }

        @Test
        void shouldHealGapByInstallingTheOwnersRow() {
            Ledger c2 = new Ledger(C2_OLD);
            c2.add(NS, 1);
            ledger.applyDelta(c2.drain());
            c2.add(NS, 2);
            c2.drain(); // lost on the way
            c2.add(INV, 128);
            assertEquals(ApplyResult.GAP, ledger.applyDelta(c2.drain()));

            assertEquals(ApplyResult.APPLIED, ledger.installRow(c2.localRow()));

            assertEquals(c2.totals(""), ledger.totals(""));
        }

        @Test
        void shouldRejectRowWithInvalidKeyOrNegativeCountAndChangeNothing() {
            ledger.installRow(new RowSnapshot(C2_OLD, 1, Map.of(NS, 3L)));
            String before = state(ledger);

            assertEquals(ApplyResult.REJECTED, ledger.installRow(new RowSnapshot(C2_OLD, 2, Map.of("zz", 1L))));
            assertEquals(ApplyResult.REJECTED, ledger.installRow(new RowSnapshot(C2_NEW, 1, Map.of(NS, -1L))));

            assertEquals(before, state(ledger));
        }
    }

    @Nested
    class DroppingRows {
        @Test
        void shouldDropRowsNotInTheView() {
            ledger.add(NS, 1);
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 2L)));
            ledger.applyDelta(batch(C3, 1, Map.of(NS, 4L, INV, 256L)));

            List<Incarnation> dropped = ledger.retainOnly(List.of(SELF, C2_OLD));

            assertEquals(List.of(C3), dropped);
            assertEquals(3, ledger.total(NS));
            assertEquals(0, ledger.total(INV));
            assertEquals(Map.of(C2_OLD, 1L), ledger.remoteSequences());
            assertEquals(1, ledger.local(NS), "the own row is never dropped");
        }

        @Test
        void shouldDropRowWhoseIncarnationIsNotTheOneInTheView() {
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(NS, 2L)));

            assertEquals(List.of(C2_OLD), ledger.retainOnly(List.of(SELF, C2_NEW)));
            assertEquals(0, ledger.total(NS));
        }

        @Test
        void shouldDropOnlyTheExactIncarnation() {
            ledger.applyDelta(batch(C2_NEW, 1, Map.of(NS, 2L)));

            assertFalse(ledger.dropOwner(C2_OLD));
            assertFalse(ledger.dropOwner(C3));
            assertEquals(2, ledger.total(NS));

            assertTrue(ledger.dropOwner(C2_NEW));
            assertEquals(0, ledger.total(NS));
            assertEquals(0, ledger.keyCount());
            assertEquals(Map.of(), ledger.remoteSequences());
            assertEquals(ApplyResult.GAP, ledger.applyDelta(batch(C2_NEW, 2, Map.of(NS, 1L))),
                    "a dropped owner must resync before its deltas count again");
        }
    }

    @Nested
    class MinuteWindows {
        @Test
        void shouldExpireAllButTheCurrentAndPreviousWindow() {
            ledger.add(Keys.minute(10, "alice"), 5);
            ledger.add(Keys.minute(11, "alice"), 4);
            ledger.add(Keys.minute(12, "alice"), 3);
            ledger.add(NS, 1);
            ledger.drain();
            ledger.applyDelta(batch(C2_OLD, 1, Map.of(Keys.minute(9, "alice"), 7L)));

            assertEquals(1, ledger.expireMinuteWindows(12));

            assertEquals(Map.of(Keys.minute(9, "alice"), 7L, Keys.minute(11, "alice"), 4L,
                    Keys.minute(12, "alice"), 3L), ledger.totals(Keys.MINUTE_PREFIX),
                    "only this controller's own old keys expire; a remote owner expires its own");
            assertEquals(Map.of(Keys.minute(10, "alice"), -5L), ledger.drain().changes(),
                    "the expiry travels as an ordinary negative delta");
            assertEquals(1, ledger.total(NS));
            assertEquals(1, ledger.expireMinuteWindows(13));
            assertEquals(0, ledger.expireMinuteWindows(13));
            assertEquals(0, ledger.anomalies());
        }

        @Test
        void shouldSpreadExpiryOfManyNamespacesOverCappedPasses() {
            for (int i = 0; i < 5; i++) {
                ledger.add(Keys.minute(10, "ns" + i), 1);
            }
            ledger.add(Keys.minute(12, "ns0"), 1);
            ledger.drain();

            assertEquals(2, ledger.expireMinuteWindows(12, 2));
            assertEquals(2, ledger.drain().changes().size(), "each pass is a small delta");
            assertEquals(2, ledger.expireMinuteWindows(12, 2));
            assertEquals(1, ledger.expireMinuteWindows(12, 2));
            assertEquals(0, ledger.expireMinuteWindows(12, 2));
            assertEquals(Map.of(Keys.minute(12, "ns0"), 1L), ledger.totals(Keys.MINUTE_PREFIX));
        }
    }
}
