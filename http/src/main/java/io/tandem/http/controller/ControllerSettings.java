package io.tandem.http.controller;

import io.tandem.core.activation.ActionSpec;
import io.tandem.core.activation.Catalog;
import io.tandem.core.admission.Limits;
import io.tandem.core.admission.NamespaceLimits;
import io.tandem.core.config.CommonSettings;
import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.tandem.core.config.Setting;
import io.tandem.core.config.SettingsCatalog;
import io.tandem.core.invoker.Invoker;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Everything the controller reads from its environment, validated in one place. A missing or bad value throws
 * {@link ConfigException} naming the variable and the value; secrets (API keys, tokens) are never part of a
 * message or of {@link #toString()}.
 *
 * <p>Immutable and therefore thread-safe.
 */
public record ControllerSettings(
        String controllerId,
        int controllerCount,
        boolean clustering,
        String bindAddr,
        String advertiseAddr,
        int apiPort,
        int adminPort,
        String adminToken,
        List<Credential> credentials,
        Catalog catalog,
        Limits limits,
        List<Invoker> invokers,
        String invokerToken,
        Duration invokerHealthInterval,
        Duration invokerOfflineAfter,
        int invokerConnections,
        int invokerDispatchQueue,
        Duration forcedCompletionGrace,
        Duration blockingWaitMax,
        Duration admissionPaceWindow,
        Duration admissionPaceMaxWait,
        int maxBodyBytes,
        int maxHeaderBytes,
        int maxParams,
        int maxJsonDepth,
        int activationStoreSize,
        long activationStoreBytes,
        Duration activationStoreTtl,
        Duration deregistrationDelay,
        Duration drainTimeout,
        int ioThreads,
        int workerThreads) {

    public static final Setting API_PORT = new Setting("API_PORT", "3233",
            "port of the OpenWhisk API (and of the invokers' completion callbacks); 0 = ephemeral");
    public static final Setting ADMIN_PORT = new Setting("ADMIN_PORT", "3234",
            "port of the admin endpoints /health, /ready, /cluster, /bookkeeping, /metrics; 0 = ephemeral");
    public static final Setting ADMIN_TOKEN = new Setting("ADMIN_TOKEN", null,
            "bearer token for /cluster, /bookkeeping and /metrics; unset: those answer 403 (/health and /ready stay open)");
    public static final Setting AUTH = new Setting("AUTH", null,
            "API keys inline: 'namespace uuid:key' entries separated by ';' (key: 1-256 printable characters; OpenWhisk uses 64)");
    public static final Setting AUTH_FILE = new Setting("AUTH_FILE", null,
            "file of API keys, one 'namespace uuid:key' per line, '#' starts a comment line (AUTH or AUTH_FILE is required)");
    public static final Setting ACTIONS = new Setting("ACTIONS", null,
            "action catalog inline: 'ns/[pkg/]action=kind:memoryMb:timeLimit,...'; ns '*' matches every namespace "
                    + "(default: */echo, */sleep, */fail, */error, */cpu with 256 MB and 60s)");
    public static final Setting ACTIONS_FILE = new Setting("ACTIONS_FILE", null,
            "action catalog file, one 'ns/[pkg/]action kind memoryMb timeLimit' per line, '#' starts a comment line");
    public static final Setting NAMESPACE_CONCURRENCY_LIMIT = new Setting("NAMESPACE_CONCURRENCY_LIMIT", "30",
            "activations in flight allowed per namespace, cluster-wide");
    public static final Setting NAMESPACE_MINUTE_LIMIT = new Setting("NAMESPACE_MINUTE_LIMIT", "60",
            "invocations allowed per namespace per minute (fixed window), cluster-wide");
    public static final Setting NAMESPACE_LIMITS = new Setting("NAMESPACE_LIMITS", null,
            "per-namespace overrides: 'ns=concurrent/perMinute,...'");
    public static final Setting SYSTEM_OVERLOAD_LIMIT = new Setting("SYSTEM_OVERLOAD_LIMIT", "100000",
            "activations in flight allowed system-wide, cluster-wide (429 'System is overloaded' beyond it)");
    public static final Setting INVOKERS = new Setting("INVOKERS", null,
            "the invokers: 'id=url=capacityMb,...', e.g. invoker0=http://127.0.0.1:8085=2048 (at least one)");
    public static final Setting INVOKER_TOKEN = new Setting("INVOKER_TOKEN", null,
            "optional bearer token sent to invokers and required on the completions they post back");
    public static final Setting INVOKER_HEALTH_INTERVAL = new Setting("INVOKER_HEALTH_INTERVAL", "1s",
            "how often each invoker's /v1/health is pinged");
    public static final Setting INVOKER_OFFLINE_AFTER = new Setting("INVOKER_OFFLINE_AFTER", "10s",
            "an invoker without a good health answer for this long is offline; its activations end as system errors");
    public static final Setting INVOKER_CONNECTIONS = new Setting("INVOKER_CONNECTIONS", "32",
            "dispatch requests in flight per invoker at most; more wait in a bounded queue");
    public static final Setting INVOKER_DISPATCH_QUEUE = new Setting("INVOKER_DISPATCH_QUEUE", "10000",
            "dispatch requests waiting per invoker at most; beyond it an activation ends at once as a system error");
    public static final Setting FORCED_COMPLETION_GRACE = new Setting("FORCED_COMPLETION_GRACE", "10s",
            "an activation without a completion ends as a system error after its time limit plus this grace");
    public static final Setting BLOCKING_WAIT_MAX = new Setting("BLOCKING_WAIT_MAX", "60s",
            "longest blocking wait, the default and the maximum of the 'timeout' query parameter");
    public static final Setting ADMISSION_PACE_WINDOW = new Setting("ADMISSION_PACE_WINDOW", "10ms",
            "clustering on: near a namespace's concurrency limit each controller takes at most its share of the"
                    + " headroom per window of this length (docs/design-notes.md, pacing); 0 turns pacing off");
    public static final Setting ADMISSION_PACE_MAX_WAIT = new Setting("ADMISSION_PACE_MAX_WAIT", "200ms",
            "how long a request within the limit waits for a pacing window with room before it gets the 429");
    public static final Setting MAX_BODY_BYTES = new Setting("MAX_BODY_BYTES", "1048576",
            "largest invoke request body; larger is 413");
    public static final Setting MAX_HEADER_BYTES = new Setting("MAX_HEADER_BYTES", "16384",
            "largest request header block; larger is answered 400 by Undertow itself");
    public static final Setting MAX_PARAMS = new Setting("MAX_PARAMS", "1000",
            "most top-level parameters in an invoke body; more is 400");
    public static final Setting MAX_JSON_DEPTH = new Setting("MAX_JSON_DEPTH", "32",
            "deepest nesting of an invoke body (the top-level object is depth 1); deeper is 400");
    public static final Setting ACTIVATION_STORE_SIZE = new Setting("ACTIVATION_STORE_SIZE", "100000",
            "activation records kept in memory (oldest dropped first); records never leave this controller");
    public static final Setting ACTIVATION_STORE_BYTES = new Setting("ACTIVATION_STORE_BYTES", "67108864",
            "memory the activation records may take, in bytes of their JSON plus about 200 per record (oldest"
                    + " dropped first)");
    public static final Setting ACTIVATION_STORE_TTL = new Setting("ACTIVATION_STORE_TTL", "10m",
            "how long an activation record stays retrievable");
    public static final Setting DEREGISTRATION_DELAY = new Setting("DEREGISTRATION_DELAY", "5s",
            "on SIGTERM: /ready is 503 at once, admissions go on this long so the load balancer notices, then stop");
    public static final Setting DRAIN_TIMEOUT = new Setting("DRAIN_TIMEOUT", "30s",
            "on SIGTERM: how long in-flight activations may still complete before they end as system errors");
    public static final Setting IO_THREADS = new Setting("IO_THREADS", "2",
            "Undertow IO threads of the API server");
    public static final Setting WORKER_THREADS = new Setting("WORKER_THREADS", "16",
            "Undertow worker threads of the API server (large bodies are parsed there)");

    static {
        SettingsCatalog.registerAll(API_PORT, ADMIN_PORT, ADMIN_TOKEN, AUTH, AUTH_FILE, ACTIONS, ACTIONS_FILE,
                NAMESPACE_CONCURRENCY_LIMIT, NAMESPACE_MINUTE_LIMIT, NAMESPACE_LIMITS, SYSTEM_OVERLOAD_LIMIT,
                INVOKERS, INVOKER_TOKEN, INVOKER_HEALTH_INTERVAL, INVOKER_OFFLINE_AFTER, INVOKER_CONNECTIONS,
                INVOKER_DISPATCH_QUEUE, FORCED_COMPLETION_GRACE, BLOCKING_WAIT_MAX, ADMISSION_PACE_WINDOW,
                ADMISSION_PACE_MAX_WAIT, MAX_BODY_BYTES, MAX_HEADER_BYTES,
                MAX_PARAMS, MAX_JSON_DEPTH, ACTIVATION_STORE_SIZE, ACTIVATION_STORE_BYTES,
                ACTIVATION_STORE_TTL, DEREGISTRATION_DELAY,
                DRAIN_TIMEOUT, IO_THREADS, WORKER_THREADS);
    }

    /** The built-in kinds the invokers run (docs/invoker-protocol.md); a catalog entry naming another is refused. */
    public static final Set<String> KINDS = Set.of("echo", "sleep", "fail", "error", "cpu");

    /**
     * An API key: the namespace it grants, the UUID (the Basic user) and the key (the Basic password). The key is
     * never printed.
     */
    public record Credential(String namespace, String uuid, String key) {
        @Override
        public String toString() {
            return "Credential[namespace=" + namespace + ", uuid=" + uuid + ", key=<hidden>]";
        }
    }

    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern INVOKER_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:-]{0,127}");
    private static final int MAX_KEY_CHARS = 256;

    public ControllerSettings {
        credentials = List.copyOf(credentials);
        invokers = List.copyOf(invokers);
    }

    /** Reads and validates every setting. */
    public static ControllerSettings from(Env env) {
        List<Invoker> invokers = invokers(env);
        int maxCapacity = invokers.stream().mapToInt(Invoker::capacityMb).max().orElse(0);
        int apiPort = env.port(API_PORT);
        int adminPort = env.port(ADMIN_PORT);
        if (apiPort != 0 && apiPort == adminPort) {
            throw new ConfigException(ADMIN_PORT.name(), Integer.toString(adminPort), "must differ from API_PORT");
        }
        Duration healthInterval = env.duration(INVOKER_HEALTH_INTERVAL, Duration.ofMillis(50), Duration.ofMinutes(1));
        Duration offlineAfter = env.duration(INVOKER_OFFLINE_AFTER, Duration.ofMillis(100), Duration.ofHours(1));
        if (offlineAfter.compareTo(healthInterval) <= 0) {
            throw new ConfigException(INVOKER_OFFLINE_AFTER.name(), env.string(INVOKER_OFFLINE_AFTER),
                    "must be longer than INVOKER_HEALTH_INTERVAL (" + healthInterval.toMillis() + "ms)");
        }
        NamespaceLimits defaults = new NamespaceLimits(
                env.intValue(NAMESPACE_CONCURRENCY_LIMIT, 1, 100_000_000),
                env.intValue(NAMESPACE_MINUTE_LIMIT, 1, 1_000_000_000));
        Limits limits = new Limits(defaults, namespaceLimits(env),
                env.longValue(SYSTEM_OVERLOAD_LIMIT, 1, 1_000_000_000_000L));
        return new ControllerSettings(
                CommonSettings.controllerId(env),
                CommonSettings.controllerCount(env),
                CommonSettings.clustering(env),
                CommonSettings.bindAddr(env),
                CommonSettings.advertiseAddr(env),
                apiPort,
                adminPort,
                token(env, ADMIN_TOKEN),
                credentials(env),
                catalog(env, maxCapacity),
                limits,
                invokers,
                token(env, INVOKER_TOKEN),
                healthInterval,
                offlineAfter,
                env.intValue(INVOKER_CONNECTIONS, 1, 4096),
                env.intValue(INVOKER_DISPATCH_QUEUE, 0, 10_000_000),
                env.duration(FORCED_COMPLETION_GRACE, Duration.ZERO, Duration.ofHours(1)),
                env.duration(BLOCKING_WAIT_MAX, Duration.ofMillis(100), Duration.ofMinutes(10)),
                env.duration(ADMISSION_PACE_WINDOW, Duration.ZERO, Duration.ofSeconds(1)),
                env.duration(ADMISSION_PACE_MAX_WAIT, Duration.ZERO, Duration.ofSeconds(10)),
                env.intValue(MAX_BODY_BYTES, 16, 256 << 20),
                env.intValue(MAX_HEADER_BYTES, 1024, 1 << 20),
                env.intValue(MAX_PARAMS, 1, 10_000_000),
                env.intValue(MAX_JSON_DEPTH, 1, 1_000),
                env.intValue(ACTIVATION_STORE_SIZE, 1, 100_000_000),
                env.longValue(ACTIVATION_STORE_BYTES, 1 << 20, 1L << 40),
                env.duration(ACTIVATION_STORE_TTL, Duration.ofSeconds(1), Duration.ofDays(7)),
                env.duration(DEREGISTRATION_DELAY, Duration.ZERO, Duration.ofMinutes(10)),
                env.duration(DRAIN_TIMEOUT, Duration.ZERO, Duration.ofHours(1)),
                env.intValue(IO_THREADS, 1, 256),
                env.intValue(WORKER_THREADS, 1, 4096));
    }

    /** The URL invokers post completions to. */
    public String callbackUrl(int boundApiPort) {
        String host = advertiseAddr.contains(":") && !advertiseAddr.startsWith("[")
                ? "[" + advertiseAddr + "]" : advertiseAddr;
        return "http://" + host + ":" + boundApiPort + "/internal/v1/completions";
    }

    @Override
    public String toString() {
        return "ControllerSettings[controllerId=" + controllerId + ", controllerCount=" + controllerCount
                + ", clustering=" + clustering + ", bindAddr=" + bindAddr + ", advertiseAddr=" + advertiseAddr
                + ", apiPort=" + apiPort + ", adminPort=" + adminPort
                + ", adminToken=" + (adminToken == null ? "none" : "<hidden>")
                + ", credentials=" + credentials.size() + " key(s), actions=" + catalog.entries().keySet()
                + ", limits=" + limits + ", invokers=" + invokers
                + ", invokerToken=" + (invokerToken == null ? "none" : "<hidden>")
                + ", invokerHealthInterval=" + invokerHealthInterval.toMillis() + "ms"
                + ", invokerOfflineAfter=" + invokerOfflineAfter.toMillis() + "ms"
                + ", invokerConnections=" + invokerConnections + ", invokerDispatchQueue=" + invokerDispatchQueue
                + ", forcedCompletionGrace=" + forcedCompletionGrace.toMillis() + "ms"
                + ", blockingWaitMax=" + blockingWaitMax.toMillis() + "ms"
                + ", admissionPaceWindow=" + admissionPaceWindow.toMillis() + "ms"
                + ", admissionPaceMaxWait=" + admissionPaceMaxWait.toMillis() + "ms, maxBodyBytes=" + maxBodyBytes
                + ", maxHeaderBytes=" + maxHeaderBytes + ", maxParams=" + maxParams + ", maxJsonDepth=" + maxJsonDepth
                + ", activationStoreSize=" + activationStoreSize
                + ", activationStoreTtl=" + activationStoreTtl.toMillis() + "ms"
                + ", deregistrationDelay=" + deregistrationDelay.toMillis() + "ms"
                + ", drainTimeout=" + drainTimeout.toMillis() + "ms, ioThreads=" + ioThreads
                + ", workerThreads=" + workerThreads + "]";
    }

    // ---------------------------------------------------------------------------------------------- parsing

    private static String token(Env env, Setting s) {
        String t = env.string(s);
        if (t != null && !t.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
            throw new ConfigException(s.name(), "<hidden>", "must be printable ASCII without spaces");
        }
        return t;
    }

    private static List<Credential> credentials(Env env) {
        boolean inline = env.isSet(AUTH);
        boolean file = env.isSet(AUTH_FILE);
        if (inline && file) {
            throw new ConfigException(AUTH_FILE.name(), env.string(AUTH_FILE), "set only one of AUTH and AUTH_FILE");
        }
        if (!inline && !file) {
            throw new ConfigException(AUTH.name(), null, "AUTH or AUTH_FILE is required (" + AUTH.doc() + ")");
        }
        Setting s = inline ? AUTH : AUTH_FILE;
        List<String> entries = new ArrayList<>();
        if (inline) {
            for (String e : env.string(AUTH).split("[;\n]")) {
                entries.add(e.trim());
            }
        } else {
            entries.addAll(readLines(AUTH_FILE, env.string(AUTH_FILE)));
        }
        List<Credential> out = new ArrayList<>();
        Set<String> uuids = new HashSet<>();
        int n = 0;
        for (String e : entries) {
            n++;
            if (e.isEmpty() || e.startsWith("#")) {
                continue;
            }
            // The value in messages is the entry's position and namespace, never the key.
            String[] parts = e.split("\\s+");
            String where = "entry " + n + (parts.length > 0 && parts[0].indexOf(':') < 0
                    ? " (namespace " + parts[0] + ")" : "");
            if (parts.length != 2) {
                throw new ConfigException(s.name(), where, "each entry must be 'namespace uuid:key'");
            }
            if (!EntityNames.isValid(parts[0])) {
                throw new ConfigException(s.name(), where, "the namespace is not a valid entity name");
            }
            int colon = parts[1].indexOf(':');
            if (colon < 0) {
                throw new ConfigException(s.name(), where, "the credential must be 'uuid:key'");
            }
            String uuid = parts[1].substring(0, colon);
            String key = parts[1].substring(colon + 1);
            if (!UUID.matcher(uuid).matches()) {
                throw new ConfigException(s.name(), where, "the part before ':' must be a UUID");
            }
            if (key.isEmpty() || key.length() > MAX_KEY_CHARS || !key.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
                throw new ConfigException(s.name(), where,
                        "the key must be 1-" + MAX_KEY_CHARS + " printable ASCII characters (OpenWhisk keys have 64)");
            }
            if (!uuids.add(uuid.toLowerCase(Locale.ROOT))) {
                throw new ConfigException(s.name(), where, "the UUID " + uuid + " appears more than once");
            }
            out.add(new Credential(parts[0], uuid, key));
        }
        if (out.isEmpty()) {
            throw new ConfigException(s.name(), inline ? "<no entries>" : env.string(AUTH_FILE),
                    "must hold at least one 'namespace uuid:key' entry");
        }
        return out;
    }

    private static Catalog catalog(Env env, int maxCapacityMb) {
        boolean inline = env.isSet(ACTIONS);
        boolean file = env.isSet(ACTIONS_FILE);
        if (inline && file) {
            throw new ConfigException(ACTIONS_FILE.name(), env.string(ACTIONS_FILE),
                    "set only one of ACTIONS and ACTIONS_FILE");
        }
        Map<String, ActionSpec> out = new LinkedHashMap<>();
        if (!inline && !file) {
            for (String kind : List.of("echo", "sleep", "fail", "error", "cpu")) {
                out.put(Catalog.ANY_NAMESPACE + "/" + kind, new ActionSpec(kind, kind, 256, 60_000));
            }
            return new Catalog(out);
        }
        Setting s = inline ? ACTIONS : ACTIONS_FILE;
        if (inline) {
            for (String e : env.string(ACTIONS).split(",")) {
                String entry = e.trim();
                if (entry.isEmpty()) {
                    continue;
                }
                int eq = entry.indexOf('=');
                String[] spec = eq < 0 ? new String[0] : entry.substring(eq + 1).split(":", -1);
                if (eq < 0 || spec.length != 3) {
                    throw new ConfigException(s.name(), entry, "each entry must be 'ns/[pkg/]action=kind:memoryMb:timeLimit'");
                }
                addAction(out, s, entry, entry.substring(0, eq).trim(), spec[0].trim(), spec[1].trim(), spec[2].trim(),
                        maxCapacityMb);
            }
        } else {
            for (String line : readLines(ACTIONS_FILE, env.string(ACTIONS_FILE))) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] p = line.split("\\s+");
                if (p.length != 4) {
                    throw new ConfigException(s.name(), line, "each line must be 'ns/[pkg/]action kind memoryMb timeLimit'");
                }
                addAction(out, s, line, p[0], p[1], p[2], p[3], maxCapacityMb);
            }
        }
        if (out.isEmpty()) {
            throw new ConfigException(s.name(), env.string(s), "must hold at least one action");
        }
        return new Catalog(out);
    }

    private static void addAction(Map<String, ActionSpec> out, Setting s, String entry, String qualified, String kind,
                                  String memory, String timeLimit, int maxCapacityMb) {
        String[] parts = qualified.split("/", -1);
        if (parts.length < 2 || parts.length > 3) {
            throw new ConfigException(s.name(), entry, "the name must be 'namespace/action' or 'namespace/package/action'");
        }
        if (!parts[0].equals(Catalog.ANY_NAMESPACE) && !EntityNames.isValid(parts[0])) {
            throw new ConfigException(s.name(), entry, "'" + parts[0] + "' is not a valid namespace (or '*')");
        }
        for (int i = 1; i < parts.length; i++) {
            if (!EntityNames.isValid(parts[i])) {
                throw new ConfigException(s.name(), entry, "'" + parts[i] + "' is not a valid entity name");
            }
        }
        if (!KINDS.contains(kind)) {
            throw new ConfigException(s.name(), entry, "the kind must be one of " + new java.util.TreeSet<>(KINDS));
        }
        int memoryMb;
        try {
            memoryMb = Integer.parseInt(memory);
        } catch (NumberFormatException e) {
            throw new ConfigException(s.name(), entry, "the memory must be a whole number of MB");
        }
        if (memoryMb < 1 || memoryMb > maxCapacityMb) {
            throw new ConfigException(s.name(), entry,
                    "the memory must be between 1 and the largest invoker capacity (" + maxCapacityMb + " MB)");
        }
        long limitMs = durationMs(timeLimit);
        if (limitMs < 1 || limitMs > Duration.ofHours(24).toMillis()) {
            throw new ConfigException(s.name(), entry,
                    "the time limit must be a duration between 1ms and 24h, such as 500ms, 60s or 5m");
        }
        String name = parts.length == 2 ? parts[1] : parts[1] + "/" + parts[2];
        if (out.put(parts[0] + "/" + name, new ActionSpec(name, kind, memoryMb, limitMs)) != null) {
            throw new ConfigException(s.name(), entry, "the action " + qualified + " appears more than once");
        }
    }

    /** Like {@link Env#duration}: a number of ms, or a number with unit ms, s or m. -1 when malformed. */
    static long durationMs(String v) {
        try {
            if (v.endsWith("ms")) {
                return Long.parseLong(v.substring(0, v.length() - 2).trim());
            } else if (v.endsWith("s")) {
                return Math.round(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 1000);
            } else if (v.endsWith("m")) {
                return Math.round(Double.parseDouble(v.substring(0, v.length() - 1).trim()) * 60_000);
            } else {
                return Long.parseLong(v);
            }
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private static Map<String, NamespaceLimits> namespaceLimits(Env env) {
        Map<String, NamespaceLimits> out = new HashMap<>();
        String v = env.string(NAMESPACE_LIMITS);
        if (v == null) {
            return out;
        }
        for (String e : v.split(",")) {
            String entry = e.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int eq = entry.indexOf('=');
            int slash = entry.indexOf('/', Math.max(eq, 0));
            if (eq <= 0 || slash < 0) {
                throw new ConfigException(NAMESPACE_LIMITS.name(), entry, "each entry must be 'ns=concurrent/perMinute'");
            }
            String ns = entry.substring(0, eq).trim();
            if (!EntityNames.isValid(ns)) {
                throw new ConfigException(NAMESPACE_LIMITS.name(), entry, "'" + ns + "' is not a valid namespace");
            }
            try {
                int concurrent = Integer.parseInt(entry.substring(eq + 1, slash).trim());
                int perMinute = Integer.parseInt(entry.substring(slash + 1).trim());
                if (concurrent < 1 || perMinute < 1) {
                    throw new NumberFormatException();
                }
                if (out.put(ns, new NamespaceLimits(concurrent, perMinute)) != null) {
                    throw new ConfigException(NAMESPACE_LIMITS.name(), entry, "the namespace appears more than once");
                }
            } catch (NumberFormatException ex) {
                throw new ConfigException(NAMESPACE_LIMITS.name(), entry, "both limits must be whole numbers of at least 1");
            }
        }
        return out;
    }

    private static List<Invoker> invokers(Env env) {
        String v = env.required(INVOKERS);
        List<Invoker> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (String e : v.split(",")) {
            String entry = e.trim();
            if (entry.isEmpty()) {
                continue;
            }
            int first = entry.indexOf('=');
            int last = entry.lastIndexOf('=');
            if (first <= 0 || last <= first) {
                throw new ConfigException(INVOKERS.name(), entry, "each entry must be 'id=url=capacityMb'");
            }
            String id = entry.substring(0, first).trim();
            String url = entry.substring(first + 1, last).trim();
            if (!INVOKER_ID.matcher(id).matches()) {
                throw new ConfigException(INVOKERS.name(), entry,
                        "the id must be 1-128 letters, digits, '.', '_', ':' or '-', starting with a letter or digit");
            }
            try {
                URI u = new URI(url);
                if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))
                        || u.getQuery() != null || u.getFragment() != null) {
                    throw new URISyntaxException(url, "not a base URL");
                }
            } catch (URISyntaxException ex) {
                throw new ConfigException(INVOKERS.name(), entry, "the url must be a base URL such as http://host:8085");
            }
            while (url.endsWith("/")) {
                url = url.substring(0, url.length() - 1);
            }
            int capacity;
            try {
                capacity = Integer.parseInt(entry.substring(last + 1).trim());
            } catch (NumberFormatException ex) {
                capacity = 0;
            }
            if (capacity < 1) {
                throw new ConfigException(INVOKERS.name(), entry, "the capacity must be a whole number of MB, at least 1");
            }
            if (!ids.add(id)) {
                throw new ConfigException(INVOKERS.name(), entry, "the invoker id " + id + " appears more than once");
            }
            out.add(new Invoker(id, url, capacity));
        }
        if (out.isEmpty()) {
            throw new ConfigException(INVOKERS.name(), v, "must name at least one invoker");
        }
        return out;
    }

    private static List<String> readLines(Setting s, String path) {
        try {
            List<String> out = new ArrayList<>();
            for (String line : Files.readAllLines(Path.of(path), StandardCharsets.UTF_8)) {
                out.add(line.trim());
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw new ConfigException(s.name(), path, "cannot be read: " + e);
        }
    }
}
