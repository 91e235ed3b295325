package io.tandem.core.admission;

import io.tandem.core.invoker.Invoker;
import io.tandem.core.invoker.InvokerPool;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builders shared by the balancer tests. */
final class Fixtures {
    static final long OFFLINE_AFTER_MS = 10_000;

    private Fixtures() {
    }

    /** Invoker ids {@code inv-00}, {@code inv-01}, ...: zero-padded so that sorting by id keeps this order. */
    static String invokerId(int index) {
        return String.format("inv-%02d", index);
    }

    static List<Invoker> invokers(int n, int capacityMb) {
        List<Invoker> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Invoker(invokerId(i), "http://invoker-" + i + ":8080", capacityMb));
        }
        return out;
    }

    /** A pool whose invokers have all answered a health check at time 0. */
    static InvokerPool healthyPool(List<Invoker> invokers) {
        InvokerPool pool = new InvokerPool(invokers, OFFLINE_AFTER_MS);
        for (int i = 0; i < pool.size(); i++) {
            pool.onCheckOk(i, 0);
        }
        return pool;
    }

    /** Supervision ticking every second from {@code fromMs} to {@code toMs}, as the health supervisor does. */
    static void superviseUntil(InvokerPool pool, long fromMs, long toMs) {
        for (long t = fromMs; t < toMs; t += 1_000) {
            pool.tick(t);
        }
        pool.tick(toMs);
    }

    static InvokerPool healthyPool(int n, int capacityMb) {
        return healthyPool(invokers(n, capacityMb));
    }

    static Limits limits(int concurrent, int perMinute, long systemOverload) {
        return new Limits(new NamespaceLimits(concurrent, perMinute), Map.of(), systemOverload);
    }

    /** Full clustered view: cluster totals, the configured limits as they are. */
    static SharePolicy wholeCluster() {
        return SharePolicy.clustered(() -> 1, 1);
    }

    /**
     * An action name whose combined hash with {@code namespace} (as {@link Balancer} computes it for
     * {@code namespace/name}) is {@code target}. String hashes are polynomials in 31 modulo 2^32, so the name is
     * the 7-digit base-31 representation of what the prefix leaves over, each digit written as 'A' + digit.
     */
    static String actionWithHash(String namespace, int target) {
        String prefix = namespace + "/";
        int digits = 7; // 31^7 > 2^32
        int power = 1;
        int offset = 0;
        for (int j = 0; j < digits; j++) {
            offset += power;
            power *= 31;
        }
        int wanted = (target ^ namespace.hashCode()) - prefix.hashCode() * power - 'A' * offset;
        long rest = Integer.toUnsignedLong(wanted);
        char[] name = new char[digits];
        for (int i = digits - 1; i >= 0; i--) {
            name[i] = (char) ('A' + rest % 31);
            rest /= 31;
        }
        String action = new String(name);
        if (Balancer.hash(namespace, prefix + action) != target) {
            throw new IllegalStateException("no action name found for hash " + target);
        }
        return action;
    }
}
