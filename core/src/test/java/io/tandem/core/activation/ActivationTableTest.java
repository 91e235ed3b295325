package io.tandem.core.activation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.Concurrently;
import io.tandem.core.FakeClock;
import io.tandem.core.admission.Ticket;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ActivationTableTest {
    private final FakeClock clock = new FakeClock(1_000);
    private final ActivationTable<String> table = new ActivationTable<>();

    private ActivationTable.Entry<String> entry(String id, String invokerId, long deadlineMs) {
        return new ActivationTable.Entry<>(id, new Ticket("alice", 0, invokerId, 256, false), "echo",
                clock.millis(), deadlineMs, "exchange-" + id);
    }

    private static List<String> ids(List<ActivationTable.Entry<String>> entries) {
        return entries.stream().map(ActivationTable.Entry::id).sorted().toList();
    }

    @Test
    void shouldCompleteOnlyOnce() {
        ActivationTable.Entry<String> e = entry("a1", "inv-0", 5_000);
        table.add(e);

        assertSame(e, table.complete("a1"));
        assertNull(table.complete("a1"), "a duplicate completion changes nothing");
        assertNull(table.complete("never-added"));
        assertEquals(0, table.size());
        assertEquals(List.of(), table.expire(10_000), "a completed activation has no deadline left");
    }

    @Test
    void shouldExpireAtTheDeadlineNotBefore() {
        table.add(entry("a1", "inv-0", 1_050));
        table.add(entry("a2", "inv-0", 1_090)); // same bucket, later deadline
        table.add(entry("a3", "inv-0", 1_250));

        assertEquals(List.of(), table.expire(1_049));
        clock.set(1_050);
        assertEquals(List.of("a1"), ids(table.expire(clock.millis())));
        assertEquals(List.of(), table.expire(1_089));
        assertEquals(List.of("a2"), ids(table.expire(1_090)));
        assertEquals(List.of("a3"), ids(table.expire(60_000)));
        assertEquals(List.of(), table.expire(60_000), "each activation expires once, ever");
        assertEquals(0, table.size());
    }

    @Test
    void shouldIgnoreLateCompletionAfterExpiry() {
        table.add(entry("a1", "inv-0", 2_000));
        clock.set(2_000);
        assertEquals(List.of("a1"), ids(table.expire(clock.millis())));

        clock.advance(500);
        assertNull(table.complete("a1"));
    }

    @Test
    void shouldRemoveEveryActivationOfAnInvokerOnce() {
        table.add(entry("a1", "inv-0", 5_000));
        table.add(entry("a2", "inv-1", 5_000));
        table.add(entry("a3", "inv-0", 7_000));

        assertEquals(List.of("a1", "a3"), ids(table.removeForInvoker("inv-0")));

        assertEquals(List.of(), table.removeForInvoker("inv-0"));
        assertNull(table.complete("a1"));
        assertEquals(List.of("a2"), ids(table.expire(100_000)), "removed activations left their deadlines too");
    }

    @Test
    void shouldRejectDuplicateIdAndKeepTheFirst() {
        ActivationTable.Entry<String> first = entry("a1", "inv-0", 5_000);
        table.add(first);

        assertThrows(IllegalStateException.class, () -> table.add(entry("a1", "inv-1", 9_000)));

        assertSame(first, table.get("a1"));
        assertEquals(1, table.size());
        assertEquals(List.of("a1"), ids(table.expire(5_000)), "the rejected entry's deadline was not scheduled");
    }

    @Test
    void shouldRemoveAllOnShutdown() {
        table.add(entry("a1", "inv-0", 5_000));
        table.add(entry("a2", "inv-1", 6_000));

        assertEquals(List.of("a1", "a2"), ids(table.removeAll()));

        assertEquals(0, table.size());
        assertEquals(List.of(), table.expire(100_000));
        assertNull(table.complete("a2"));
    }

    @Test
    void shouldHaveExactlyOneWinnerPerActivationWhenTimeoutRacesLateCompletion() throws InterruptedException {
        int activations = 2_000;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < activations; i++) {
            String id = "act-" + i;
            ids.add(id);
            table.add(entry(id, "inv-" + (i % 3), 1_000 + i % 200));
        }
        ConcurrentHashMap<String, AtomicInteger> wins = new ConcurrentHashMap<>();
        AtomicInteger endings = new AtomicInteger();

        Concurrently.run(8, worker -> {
            List<String> order = new ArrayList<>(ids);
            Collections.shuffle(order, new Random(worker));
            for (int i = 0; i < order.size(); i++) {
                List<ActivationTable.Entry<String>> won = new ArrayList<>();
                switch (worker % 4) {
                    case 0, 1 -> { // late or duplicate completions
                        ActivationTable.Entry<String> e = table.complete(order.get(i));
                        if (e != null) {
                            won.add(e);
                        }
                    }
                    case 2 -> { // the forced-completion timer, its clock moving past every deadline
                        if (i % 10 == 0) {
                            won.addAll(table.expire(1_000 + i / 10));
                        }
                    }
                    default -> { // an invoker going offline
                        if (i == order.size() / 2) {
                            won.addAll(table.removeForInvoker("inv-" + worker % 3));
                        }
                    }
                }
                for (ActivationTable.Entry<String> e : won) {
                    wins.computeIfAbsent(e.id(), k -> new AtomicInteger()).incrementAndGet();
                    endings.incrementAndGet();
                }
            }
        });

        assertEquals(activations, endings.get(), "every activation ended, none twice");
        assertEquals(activations, wins.size());
        assertTrue(wins.values().stream().allMatch(w -> w.get() == 1), "an activation ended twice");
        assertEquals(0, table.size());
    }
}
