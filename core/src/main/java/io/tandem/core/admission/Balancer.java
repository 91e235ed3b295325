package io.tandem.core.admission;

import io.tandem.core.Clock;
import io.tandem.core.activation.ActionSpec;
import io.tandem.core.invoker.InvokerPool;
import io.tandem.core.invoker.InvokerState;
import io.tandem.core.invoker.StepSizes;
import io.tandem.core.ledger.Keys;
import io.tandem.core.ledger.Ledger;
import java.util.concurrent.atomic.LongAdder;
import java.util.random.RandomGenerator;

/**
 * Admission and invoker choice: the whole invoke-path decision, made on local memory only.
 *
 * <p><b>Algorithm.</b> Inside one atomic ledger update: count the request in its per-minute window, then check
 * that window, the namespace's concurrency, and the system overload limit, each against what the
 * {@link SharePolicy} allows; then walk the invokers from the home invoker {@code floorMod(hash, n)} by a step coprime
 * with n (OpenWhisk's sharding walk) and take the first healthy one whose booked memory plus the action's fits its
 * (shared) capacity; if none fits, a random healthy one is forced and counted as an overload; if none is healthy,
 * the request is unavailable. An admitted activation books +1 on its namespace and on the system key and its
 * memory on the invoker.
 *
 * <p>With clustering on and peers in the view, a request within the concurrency limit may still be told to wait
 * ({@link Decision.Paced}) when this controller has used its share of the namespace's headroom for the current
 * pacing window: see {@link HeadroomPacer}, which bounds what controllers admit together on counts a few
 * milliseconds old.
 *
 * <p><b>Invariant.</b> Check-and-acquire is atomic: two concurrent admissions can never both take the last slot of a
 * namespace or the last memory of an invoker on this controller. Remote controllers' bookings arrive as deltas a
 * few milliseconds late; the overshoot that causes is measured by the load test, not hidden.
 *
 * <p>Thread-safe; holds no lock of its own (the ledger's monitor serialises decisions).
 */
public final class Balancer {
    public static final String OVERLOADED = "System is overloaded, try again later.";
    public static final String UNAVAILABLE =
            "The server is currently unavailable (because it is overloaded or down for maintenance).";
    private static final long MINUTE_MS = 60_000;

    private final Ledger ledger;
    private final InvokerPool pool;
    private final Limits limits;
    private final SharePolicy policy;
    private final Clock clock;
    private final RandomGenerator random;
    private final HeadroomPacer pacer;
    private final int[] steps;
    private final LongAdder admitted = new LongAdder();
    private final LongAdder forced = new LongAdder();
    private final LongAdder throttledMinute = new LongAdder();
    private final LongAdder throttledConcurrency = new LongAdder();
    private final LongAdder throttledSystem = new LongAdder();
    private final LongAdder paced = new LongAdder();
    private final LongAdder unavailable = new LongAdder();

    public Balancer(Ledger ledger, InvokerPool pool, Limits limits, SharePolicy policy, Clock clock,
                    RandomGenerator random, HeadroomPacer pacer) {
        this.ledger = ledger;
        this.pool = pool;
        this.limits = limits;
        this.policy = policy;
        this.clock = clock;
        this.random = random;
        this.pacer = pacer;
        this.steps = StepSizes.of(pool.size());
    }

    /** The combined hash of OpenWhisk's balancer; never negative once reduced with floorMod. */
    public static int hash(String namespace, String qualifiedName) {
        return namespace.hashCode() ^ qualifiedName.hashCode();
    }

    /** Admits or rejects one activation of {@code action} (its name as in the catalog) in {@code namespace}. */
    public Decision admit(String namespace, ActionSpec action) {
        long now = clock.millis();
        long window = Math.floorDiv(now, MINUTE_MS);
        NamespaceLimits nl = limits.of(namespace);
        Decision d = ledger.update(tx -> {
            String minuteKey = Keys.minute(window, namespace);
            tx.add(minuteKey, 1);
            long minuteCount = count(tx, minuteKey);
            long minuteAllowed = policy.allowed(nl.perMinute());
            if (nearLimit(tx, minuteKey, minuteCount, minuteAllowed)) {
                tx.urgent();
            }
            if (minuteCount > minuteAllowed) {
                return throttled(Decision.Reason.PER_MINUTE, minuteCount, nl.perMinute(), minuteAllowed);
            }
            String nsKey = Keys.namespace(namespace);
            long inFlight = count(tx, nsKey);
            long concAllowed = policy.allowed(nl.concurrent());
            if (inFlight >= concAllowed) {
                return throttled(Decision.Reason.CONCURRENCY, inFlight, nl.concurrent(), concAllowed);
            }
            if (!policy.perController() && !pacer.allow(nsKey, now, tx.local(nsKey), inFlight, concAllowed,
                    policy.visible(), policy.rank())) {
                tx.add(minuteKey, -1); // the retry counts this request in its window
                return new Decision.Paced(inFlight, concAllowed, pacer.untilNextWindow(now),
                        "Too many concurrent requests in flight (count: " + inFlight + ", allowed: " + nl.concurrent()
                                + "). The rest of the limit was being taken through other controllers.");
            }
            long system = count(tx, Keys.SYSTEM);
            if (system >= policy.allowed(limits.systemOverload())) {
                return new Decision.Throttled(Decision.Reason.SYSTEM_OVERLOAD, system, limits.systemOverload(),
                        OVERLOADED);
            }
            int chosen = choose(tx, namespace, namespace + "/" + action.name(), action.memoryMb());
            if (chosen < 0) {
                return new Decision.Unavailable(UNAVAILABLE);
            }
            boolean overload = chosen >= pool.size();
            int index = overload ? chosen - pool.size() : chosen;
            String invokerId = pool.get(index).id();
            String invokerKey = Keys.invoker(invokerId);
            tx.add(nsKey, 1);
            tx.add(Keys.SYSTEM, 1);
            tx.add(invokerKey, action.memoryMb());
            if (nearLimit(tx, nsKey, inFlight + 1, concAllowed)
                    || nearLimit(tx, Keys.SYSTEM, system + 1, policy.allowed(limits.systemOverload()))
                    || nearLimit(tx, invokerKey, count(tx, invokerKey), policy.allowed(pool.get(index).capacityMb()))) {
                tx.urgent();
            }
            return new Decision.Admitted(new Ticket(namespace, index, invokerId, action.memoryMb(), overload));
        });
        record(d);
        return d;
    }

    /** Gives back what {@code ticket} booked. The caller guarantees it is called once per admitted activation. */
    public void release(Ticket ticket) {
        NamespaceLimits nl = limits.of(ticket.namespace());
        ledger.update(tx -> {
            String nsKey = Keys.namespace(ticket.namespace());
            String invokerKey = Keys.invoker(ticket.invokerId());
            // a slot freed near a limit is one the peers are waiting for: let them see it at the next flush
            if (nearLimit(tx, nsKey, count(tx, nsKey), policy.allowed(nl.concurrent()))
                    || nearLimit(tx, Keys.SYSTEM, count(tx, Keys.SYSTEM), policy.allowed(limits.systemOverload()))
                    || nearLimit(tx, invokerKey, count(tx, invokerKey), invokerCapacity(ticket))) {
                tx.urgent();
            }
            tx.add(nsKey, -1);
            tx.add(Keys.SYSTEM, -1);
            tx.add(invokerKey, -ticket.memoryMb());
            return null;
        });
    }

    /**
     * True when {@code count} has reached half of {@code allowed}. From there on a change is marked urgent
     * ({@link Ledger.Tx#urgent()}) and goes out at the next flush ({@code CLUSTER_FLUSH_INTERVAL}), so near a limit
     * the peers' view is as fresh as without coalescing. Below half it may wait up to {@code CLUSTER_FLUSH_MAX_DELAY}
     * with the changes after it, which cuts the messages per activation under load; the crossing change itself is
     * urgent and takes every earlier one with it, and the pacer tolerates peers' counts up to two pacing windows old
     * ({@link HeadroomPacer}). Measured, not proven: BENCHMARKS.md sections 4 and 6.
     */
    static boolean nearLimit(long count, long allowed) {
        return count * 2 >= allowed;
    }

    /**
     * {@link #nearLimit(long, long)} on the count as it may already be: what this controller has not sent yet of
     * {@code key} is assumed to be waiting at every other member too, so a burst (many bookings within one
     * coalescing delay) turns urgent long before the counts it can see reach half of the limit.
     */
    private boolean nearLimit(Ledger.Tx tx, String key, long count, long allowed) {
        long unsent = Math.max(0, tx.pending(key));
        return nearLimit(count + unsent * Math.max(0, policy.visible() - 1), allowed);
    }

    private long invokerCapacity(Ticket ticket) {
        int i = ticket.invokerIndex();
        return i >= 0 && i < pool.size() && pool.get(i).id().equals(ticket.invokerId())
                ? policy.allowed(pool.get(i).capacityMb()) : 0;
    }

    /**
     * The walk. Returns the index of the first healthy invoker with room, or {@code n + index} of a randomly
     * forced healthy one, or -1 when none is healthy.
     */
    private int choose(Ledger.Tx tx, String namespace, String qualifiedName, int memoryMb) {
        int n = pool.size();
        if (n == 0) {
            return -1;
        }
        // One snapshot of the health states for the whole walk: reading them twice could see an invoker turn
        // unhealthy between the walk and the forced pick and answer "unavailable" with a healthy invoker left.
        InvokerState[] states = pool.statesSnapshot();
        int h = hash(namespace, qualifiedName);
        int home = Math.floorMod(h, n);
        int step = steps[Math.floorMod(h, steps.length)];
        int healthy = 0;
        for (int i = 0, pos = home; i < n; i++, pos = (pos + step) % n) {
            if (states[pos] != InvokerState.HEALTHY) {
                continue;
            }
            healthy++;
            long booked = count(tx, Keys.invoker(pool.get(pos).id()));
            if (booked + memoryMb <= policy.allowed(pool.get(pos).capacityMb())) {
                return pos;
            }
        }
        if (healthy == 0) {
            return -1;
        }
        int pick = random.nextInt(healthy);
        for (int pos = 0; pos < n; pos++) {
            if (states[pos] == InvokerState.HEALTHY && pick-- == 0) {
                return n + pos;
            }
        }
        return -1;
    }

    private long count(Ledger.Tx tx, String key) {
        return policy.perController() ? tx.local(key) : tx.total(key);
    }

    private Decision.Throttled throttled(Decision.Reason reason, long count, long configured, long allowed) {
        String what = reason == Decision.Reason.PER_MINUTE
                ? "Too many requests in the last minute"
                : "Too many concurrent requests in flight";
        String message;
        if (policy.perController()) {
            message = what + " (count: " + count + ", allowed: " + allowed + "). This controller admits " + allowed
                    + ", its 1/" + policy.expected() + " share of the configured limit of " + configured
                    + " (clustering is off).";
        } else if (allowed < configured) {
            message = what + " (count: " + count + ", allowed: " + configured + "). The cluster is degraded ("
                    + policy.counted() + " of " + policy.expected()
                    + " controllers counted): this part of it admits at most " + allowed + ".";
        } else {
            message = what + " (count: " + count + ", allowed: " + configured + ").";
        }
        return new Decision.Throttled(reason, count, allowed, message);
    }

    private void record(Decision d) {
        if (d instanceof Decision.Admitted a) {
            admitted.increment();
            if (a.ticket().forced()) {
                forced.increment();
            }
        } else if (d instanceof Decision.Throttled t) {
            switch (t.reason()) {
                case PER_MINUTE -> throttledMinute.increment();
                case CONCURRENCY -> throttledConcurrency.increment();
                case SYSTEM_OVERLOAD -> throttledSystem.increment();
                default -> throw new IllegalStateException(t.reason().name());
            }
        } else if (d instanceof Decision.Paced) {
            paced.increment();
        } else {
            unavailable.increment();
        }
    }

    public long admittedCount() {
        return admitted.sum();
    }

    /** Activations placed on an invoker without room because every healthy one was full. */
    public long forcedCount() {
        return forced.sum();
    }

    public long throttledCount(Decision.Reason reason) {
        return switch (reason) {
            case PER_MINUTE -> throttledMinute.sum();
            case CONCURRENCY -> throttledConcurrency.sum();
            case SYSTEM_OVERLOAD -> throttledSystem.sum();
        };
    }

    /** A request that was paced until its caller stopped waiting: answered 429, counted as a concurrency throttle. */
    public void pacedOut() {
        throttledConcurrency.increment();
    }

    /** Admissions told to wait for the next pacing window (each retry counts again). */
    public long pacedCount() {
        return paced.sum();
    }

    public HeadroomPacer pacer() {
        return pacer;
    }

    public long unavailableCount() {
        return unavailable.sum();
    }

    public SharePolicy policy() {
        return policy;
    }

    public Limits limits() {
        return limits;
    }

    public InvokerPool pool() {
        return pool;
    }

    public Ledger ledger() {
        return ledger;
    }
}
