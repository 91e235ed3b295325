package io.tandem.http.controller;

import io.tandem.core.cluster.Member;
import io.tandem.core.cluster.Replicator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** A replicator that replicates nothing: ready unless told otherwise, alone in its view. Thread-safe. */
final class StubReplicator implements Replicator {
    volatile boolean ready = true;
    volatile List<Member> members = List.of();
    final AtomicInteger closed = new AtomicInteger();

    @Override
    public void start() {
    }

    @Override
    public boolean ready() {
        return ready;
    }

    @Override
    public int viewSize() {
        return 1;
    }

    @Override
    public int rank() {
        return 0;
    }

    @Override
    public List<Member> members() {
        return members;
    }

    @Override
    public Map<String, Object> describe() {
        return Map.of("mode", "stub", "viewSize", 1);
    }

    @Override
    public Map<String, Number> metrics() {
        return Map.of("view_size", 1, "deltas_sent_total", 0L);
    }

    @Override
    public void close() {
        closed.incrementAndGet();
    }
}
