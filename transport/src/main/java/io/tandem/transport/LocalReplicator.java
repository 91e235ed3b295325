package io.tandem.transport;

import io.tandem.core.cluster.Member;
import io.tandem.core.cluster.Replicator;
import io.tandem.core.ledger.DeltaBatch;
import io.tandem.core.ledger.Ledger;
import java.lang.System.Logger;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

/**
 * The replicator of {@code CLUSTERING=off}: no channel, no remote rows. It is ready as soon as it is started and
 * its view is itself alone. A small task drains the ledger's pending delta every second and discards it, so that
 * local changes do not pile up waiting for a broadcast that never comes. Admission applies the 1/N share of
 * {@code CONTROLLER_COUNT}; this class only reports that count.
 *
 * <p>Thread-safe.
 */
public final class LocalReplicator implements Replicator {
    private static final Logger LOG = System.getLogger(LocalReplicator.class.getName());
    static final Duration DRAIN_INTERVAL = Duration.ofSeconds(1);

    private final Ledger ledger;
    private final int controllerCount;
    private final String apiUrl;
    private final String adminUrl;
    private final Duration drainInterval;
    private final ScheduledExecutorService drainer;
    private final AtomicBoolean started = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder batchesDiscarded = new LongAdder();

    /**
     * @param controllerCount CONTROLLER_COUNT: how many controllers share the limits, each taking 1/N
     * @param apiUrl          this controller's API base URL (reported by {@link #members()})
     * @param adminUrl        this controller's admin base URL
     */
    public LocalReplicator(Ledger ledger, int controllerCount, String apiUrl, String adminUrl) {
        this(ledger, controllerCount, apiUrl, adminUrl, DRAIN_INTERVAL);
    }

    LocalReplicator(Ledger ledger, int controllerCount, String apiUrl, String adminUrl, Duration drainInterval) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.controllerCount = controllerCount;
        this.apiUrl = apiUrl;
        this.adminUrl = adminUrl;
        this.drainInterval = drainInterval;
        String id = ledger.self().controllerId();
        this.drainer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "tandem-local-drain-" + id);
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    public void start() {
        if (!started.compareAndSet(false, true)) {
            throw new IllegalStateException("already started");
        }
        long ms = drainInterval.toMillis();
        drainer.scheduleWithFixedDelay(this::drain, ms, ms, TimeUnit.MILLISECONDS);
    }

    private void drain() {
        try {
            DeltaBatch b = ledger.drain();
            if (b != null) {
                batchesDiscarded.increment();
            }
        } catch (RuntimeException e) {
            LOG.log(Level.ERROR, ledger.self().controllerId() + " local drain failed: " + e);
        }
    }

    @Override
    public boolean ready() {
        return started.get() && !closed.get();
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
        return List.of(new Member(ledger.self(), apiUrl, adminUrl, true, true));
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("clustering", "off");
        out.put("self", ledger.self().toString());
        out.put("controllerCount", controllerCount);
        out.put("share", "each controller admits 1/" + controllerCount + " of every limit and invoker capacity");
        out.put("ready", ready());
        out.put("counters", metrics());
        return out;
    }

    @Override
    public Map<String, Number> metrics() {
        Map<String, Number> m = new LinkedHashMap<>();
        m.put("deltas_sent", 0);
        m.put("deltas_applied", 0);
        m.put("deltas_duplicate", 0);
        m.put("deltas_gap", 0);
        m.put("resyncs_requested", 0);
        m.put("rows_installed", 0);
        m.put("messages_dropped", 0);
        m.put("views", 0);
        m.put("merges", 0);
        m.put("replaced_incarnations", 0);
        m.put("state_transfers", 0);
        m.put("view_size", 1);
        m.put("degraded", 0);
        m.put("ready", ready() ? 1 : 0);
        m.put("local_batches_discarded", batchesDiscarded.sum());
        return m;
    }

    /** Stops the drain task. Idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            drainer.shutdownNow();
        }
    }
}
