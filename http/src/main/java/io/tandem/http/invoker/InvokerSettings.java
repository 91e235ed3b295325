package io.tandem.http.invoker;

import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.tandem.core.config.Setting;
import io.tandem.core.config.SettingsCatalog;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Configuration of the reference invoker, read once at start from environment variables.
 * Immutable and therefore thread-safe.
 *
 * @param invokerId    stable id the invoker reports in health, stats and completions
 * @param bindAddr     address the HTTP listener binds to
 * @param port         HTTP port; 0 picks an ephemeral port (see {@link ReferenceInvoker#port()})
 * @param memoryMb     memory capacity; activations run while their memory sum fits, the rest queue
 * @param queueLimit   how many activations may wait for memory before run requests are answered 503
 * @param cpuThreads   threads of the pool that runs the {@code cpu} action's busy work
 * @param runLogLimit  how many activation ids {@code /v1/runs} keeps (oldest dropped first)
 * @param token        bearer token every request must carry, and completions carry; null when not required
 */
public record InvokerSettings(String invokerId, String bindAddr, int port, int memoryMb, int queueLimit,
                              int cpuThreads, int runLogLimit, String token) {
    /**
     * Largest run request an invoker accepts (docs/invoker-protocol.md: 413 beyond it). The controller refuses an
     * invoke whose parameters would not fit, instead of admitting it and failing the dispatch.
     */
    public static final int MAX_RUN_BODY_BYTES = 1 << 20;

    public static final Setting INVOKER_ID = new Setting("INVOKER_ID", null,
            "Stable id of this invoker, reported in health, stats and completions (default: the host name)");
    public static final Setting BIND_ADDR = new Setting("BIND_ADDR", "127.0.0.1",
            "Address the HTTP listeners bind to");
    public static final Setting INVOKER_PORT = new Setting("INVOKER_PORT", "8085",
            "HTTP port of the reference invoker (0 = ephemeral)");
    public static final Setting INVOKER_MEMORY_MB = new Setting("INVOKER_MEMORY_MB", "2048",
            "Memory capacity of the reference invoker in MB; beyond it activations queue");
    public static final Setting INVOKER_QUEUE_LIMIT = new Setting("INVOKER_QUEUE_LIMIT", "10000",
            "Activations the reference invoker queues beyond its capacity before it answers 503");
    public static final Setting INVOKER_CPU_THREADS = new Setting("INVOKER_CPU_THREADS", "2",
            "Threads that run the busy work of the built-in cpu action");
    public static final Setting INVOKER_RUN_LOG_LIMIT = new Setting("INVOKER_RUN_LOG_LIMIT", "1000000",
            "Activation ids kept in the reference invoker's run log (/v1/runs); older ones are dropped first");
    public static final Setting INVOKER_TOKEN = new Setting("INVOKER_TOKEN", null,
            "Optional bearer token: when set, every request to the invoker and every completion it sends carries it");

    static {
        SettingsCatalog.registerAll(INVOKER_ID, BIND_ADDR, INVOKER_PORT, INVOKER_MEMORY_MB, INVOKER_QUEUE_LIMIT,
                INVOKER_CPU_THREADS, INVOKER_RUN_LOG_LIMIT, INVOKER_TOKEN);
    }

    /** Ids travel in JSON and log lines; keeping them to host-name characters keeps both unambiguous. */
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");

    public InvokerSettings {
        check(ID.matcher(invokerId == null ? "" : invokerId).matches(), INVOKER_ID, invokerId,
                "must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
        check(bindAddr != null && !bindAddr.isBlank(), BIND_ADDR, bindAddr, "must be an address or host name");
        check(port >= 0 && port <= 65535, INVOKER_PORT, Integer.toString(port), "must be between 0 and 65535");
        check(memoryMb >= 1, INVOKER_MEMORY_MB, Integer.toString(memoryMb), "must be at least 1");
        check(queueLimit >= 0, INVOKER_QUEUE_LIMIT, Integer.toString(queueLimit), "must not be negative");
        check(cpuThreads >= 1, INVOKER_CPU_THREADS, Integer.toString(cpuThreads), "must be at least 1");
        check(runLogLimit >= 0, INVOKER_RUN_LOG_LIMIT, Integer.toString(runLogLimit), "must not be negative");
        // Header values cannot carry control characters or spaces; reject such a token here, not on every request.
        check(token == null || token.chars().allMatch(c -> c > 0x20 && c < 0x7f), INVOKER_TOKEN, "<hidden>",
                "must be printable ASCII without spaces");
    }

    /** Reads every setting; a missing or bad value throws {@link ConfigException} naming the variable. */
    public static InvokerSettings from(Env env) {
        String id = env.string(INVOKER_ID);
        return new InvokerSettings(
                id != null ? id : hostName(),
                env.string(BIND_ADDR),
                env.port(INVOKER_PORT),
                env.intValue(INVOKER_MEMORY_MB, 1, 1 << 24),
                env.intValue(INVOKER_QUEUE_LIMIT, 0, 10_000_000),
                env.intValue(INVOKER_CPU_THREADS, 1, 256),
                env.intValue(INVOKER_RUN_LOG_LIMIT, 0, 100_000_000),
                env.string(INVOKER_TOKEN));
    }

    /** The token, when one is configured. */
    public Optional<String> requiredToken() {
        return Optional.ofNullable(token);
    }

    /** A copy listening on another port (tests use 0). */
    public InvokerSettings withPort(int newPort) {
        return new InvokerSettings(invokerId, bindAddr, newPort, memoryMb, queueLimit, cpuThreads, runLogLimit, token);
    }

    /** Never prints the token: settings get logged. */
    @Override
    public String toString() {
        return "InvokerSettings[invokerId=" + invokerId + ", bindAddr=" + bindAddr + ", port=" + port
                + ", memoryMb=" + memoryMb + ", queueLimit=" + queueLimit + ", cpuThreads=" + cpuThreads
                + ", runLogLimit=" + runLogLimit + ", token=" + (token == null ? "none" : "<hidden>") + "]";
    }

    private static void check(boolean ok, Setting s, String value, String problem) {
        if (!ok) {
            throw new ConfigException(s.name(), value, problem);
        }
    }

    private static String hostName() {
        // Containers set HOSTNAME; asking the resolver can be slow or fail where no DNS answers for ourselves.
        String h = System.getenv("HOSTNAME");
        if (h != null && ID.matcher(h).matches()) {
            return h;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "invoker";
        }
    }
}
