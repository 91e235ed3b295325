package io.tandem.load;

import java.io.PrintStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.BiConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Everything one load-test run needs, validated in one place ({@link Builder#build()}); immutable.
 *
 * <p>Each command-line option is declared once in {@link #OPTIONS} with its name, its default and one line of doc;
 * {@link #parse} and {@link #usage} both read that table. A bad value throws {@link BadArgumentException} naming
 * the option and the value. Programmatic callers (tests, the demo) use {@link #builder()}.
 */
public final class Options {

    /** Open loop: a fixed arrival schedule ({@code --rate}); closed loop: {@code --clients} awaiting their answers. */
    public enum Mode {
        /** Arrivals at fixed intervals regardless of answers; latency counted from the intended send time. */
        OPEN,
        /** N clients, each sending its next request when the previous one is answered. */
        CLOSED
    }

    /** One command-line option: its name, value placeholder (null for a flag), default shown in --help, doc. */
    record Opt(String name, String value, String defaultText, String doc, BiConsumer<Builder, String> apply) {
    }

    static final List<Opt> OPTIONS = List.of(
            new Opt("--url", "URL", null,
                    "controller (or front load balancer) base URL; repeatable or comma-separated; requests "
                            + "round-robin over them. Required.",
                    (b, v) -> b.urls.addAll(uris("--url", v))),
            new Opt("--auth-file", "FILE", null,
                    "credentials, one 'namespace uuid:key' per line (# comments); the controller's --auth-file. Required.",
                    (b, v) -> b.authFile(Path.of(v))),
            new Opt("--namespaces", "N", "all",
                    "use the first N namespaces of the auth file; requests round-robin over them",
                    (b, v) -> b.namespaces(positiveInt("--namespaces", v))),
            new Opt("--actions", "A,B,..", "echo",
                    "actions to invoke (action or package/action), equal weights",
                    (b, v) -> b.actions = List.of(v.split(","))),
            new Opt("--mix", "A:W,..", null,
                    "weighted action mix, e.g. echo:70,sleep:20,fail:10 (deterministic interleaving)",
                    (b, v) -> b.mix(Mix.parse("--mix", v))),
            new Opt("--sleep-ms", "MS|LO-HI", "100",
                    "the 'ms' parameter sent to actions whose name contains 'sleep': fixed or a uniform range",
                    (b, v) -> b.sleepMs(SleepMs.parse("--sleep-ms", v))),
            new Opt("--blocking", "true|false", "true",
                    "invoke with ?blocking=true (200 with the record) or false (202 with the activation id)",
                    (b, v) -> b.blocking(bool("--blocking", v))),
            new Opt("--rate", "R", null,
                    "open loop: R requests/s on a fixed schedule; latency from the intended send time "
                            + "(no coordinated omission). Exactly one of --rate and --clients.",
                    (b, v) -> b.rate(positiveDouble("--rate", v))),
            new Opt("--clients", "N", null,
                    "closed loop: N concurrent clients, each sending its next request when answered",
                    (b, v) -> b.clients(positiveInt("--clients", v))),
            new Opt("--duration", "D", "30s",
                    "measured run time (after warm-up), e.g. 500ms, 30s, 2m; the run ends at --duration or "
                            + "--requests, whichever comes first",
                    (b, v) -> b.duration(duration("--duration", v, false))),
            new Opt("--requests", "N", "unlimited",
                    "at most N measured requests (open loop: arrivals, dropped ones included)",
                    (b, v) -> b.requests(positiveLong("--requests", v))),
            new Opt("--warmup", "D", "0s",
                    "load before measuring, at the same rate/clients; not counted in the report",
                    (b, v) -> b.warmup(duration("--warmup", v, true))),
            new Opt("--max-inflight", "N", "512",
                    "bound on requests in flight; open-loop arrivals beyond it are counted as dropped by the "
                            + "generator (client saturated) and reported",
                    (b, v) -> b.maxInflight(positiveInt("--max-inflight", v))),
            new Opt("--request-timeout", "D", "70s",
                    "give up on one request after D (counted as a timeout error)",
                    (b, v) -> b.requestTimeout(duration("--request-timeout", v, false))),
            new Opt("--invoker", "URL", null,
                    "reference invoker base URL (ground truth for overshoot); repeatable or comma-separated",
                    (b, v) -> b.invokers.addAll(uris("--invoker", v))),
            new Opt("--invoker-token", "TOKEN", null,
                    "sent to invokers as 'Authorization: Bearer TOKEN'",
                    (b, v) -> b.invokerToken(v)),
            new Opt("--reset-stats", "true|false", "true",
                    "POST /v1/stats/reset to every invoker before the run",
                    (b, v) -> b.resetStats(bool("--reset-stats", v))),
            new Opt("--stats-interval", "D", "100ms",
                    "how often to sample invokers' /v1/stats for the summed running count",
                    (b, v) -> b.statsInterval(duration("--stats-interval", v, false))),
            new Opt("--limit", "N", null,
                    "the configured per-namespace concurrency limit, to compare the measured peaks with",
                    (b, v) -> b.limit(nonNegativeInt("--limit", v))),
            new Opt("--max-overshoot", "N", null,
                    "exit 1 when a namespace's per-invoker maxRunning sum exceeds --limit by more than N "
                            + "(needs --limit and --invoker)",
                    (b, v) -> b.maxOvershoot(nonNegativeInt("--max-overshoot", v))),
            new Opt("--admin", "URL", null,
                    "controller admin base URL for the leak check (GET /bookkeeping); repeatable or comma-separated",
                    (b, v) -> b.admins.addAll(uris("--admin", v))),
            new Opt("--admin-token", "TOKEN", null,
                    "sent to the admin endpoint as 'Authorization: Bearer TOKEN'",
                    (b, v) -> b.adminToken(v)),
            new Opt("--leak-timeout", "D", "30s",
                    "after the run, wait up to D for every admin URL to report zero in-flight totals",
                    (b, v) -> b.leakTimeout(duration("--leak-timeout", v, true))),
            new Opt("--json", "FILE", null, "write the full report as JSON",
                    (b, v) -> b.jsonFile(Path.of(v))),
            new Opt("--html", "FILE", null, "write a self-contained HTML report (inline SVG charts)",
                    (b, v) -> b.htmlFile(Path.of(v))),
            new Opt("--quiet", null, null, "no progress line on stderr",
                    (b, v) -> b.progress(null)),
            new Opt("--help", null, null, "this text", (b, v) -> {
            }));

    private final List<URI> urls;
    private final List<Credential> credentials;
    private final Path authFile;
    private final Mix mix;
    private final SleepMs sleepMs;
    private final boolean blocking;
    private final Mode mode;
    private final double rate;
    private final int clients;
    private final Duration duration;
    private final long requests;
    private final Duration warmup;
    private final int maxInflight;
    private final Duration requestTimeout;
    private final List<URI> invokers;
    private final String invokerToken;
    private final boolean resetStats;
    private final Duration statsInterval;
    private final Integer limit;
    private final Integer maxOvershoot;
    private final List<URI> admins;
    private final String adminToken;
    private final Duration leakTimeout;
    private final Path jsonFile;
    private final Path htmlFile;
    private final PrintStream progress;

    private Options(Builder b, List<Credential> credentials, Mix mix) {
        this.urls = List.copyOf(b.urls);
        this.credentials = List.copyOf(credentials);
        this.authFile = b.authFile;
        this.mix = mix;
        this.sleepMs = b.sleepMs;
        this.blocking = b.blocking;
        this.mode = b.rate != null ? Mode.OPEN : Mode.CLOSED;
        this.rate = b.rate != null ? b.rate : 0;
        this.clients = b.clients != null ? b.clients : 0;
        this.duration = b.duration;
        this.requests = b.requests;
        this.warmup = b.warmup;
        this.maxInflight = b.maxInflight;
        this.requestTimeout = b.requestTimeout;
        this.invokers = List.copyOf(b.invokers);
        this.invokerToken = b.invokerToken;
        this.resetStats = b.resetStats;
        this.statsInterval = b.statsInterval;
        this.limit = b.limit;
        this.maxOvershoot = b.maxOvershoot;
        this.admins = List.copyOf(b.admins);
        this.adminToken = b.adminToken;
        this.leakTimeout = b.leakTimeout;
        this.jsonFile = b.jsonFile;
        this.htmlFile = b.htmlFile;
        this.progress = b.progress;
    }

    private Options(Options o, PrintStream progress) {
        this.urls = o.urls;
        this.credentials = o.credentials;
        this.authFile = o.authFile;
        this.mix = o.mix;
        this.sleepMs = o.sleepMs;
        this.blocking = o.blocking;
        this.mode = o.mode;
        this.rate = o.rate;
        this.clients = o.clients;
        this.duration = o.duration;
        this.requests = o.requests;
        this.warmup = o.warmup;
        this.maxInflight = o.maxInflight;
        this.requestTimeout = o.requestTimeout;
        this.invokers = o.invokers;
        this.invokerToken = o.invokerToken;
        this.resetStats = o.resetStats;
        this.statsInterval = o.statsInterval;
        this.limit = o.limit;
        this.maxOvershoot = o.maxOvershoot;
        this.admins = o.admins;
        this.adminToken = o.adminToken;
        this.leakTimeout = o.leakTimeout;
        this.jsonFile = o.jsonFile;
        this.htmlFile = o.htmlFile;
        this.progress = progress;
    }

    /** The same options with progress lines going to {@code out} (null for none). */
    public Options withProgress(PrintStream out) {
        return new Options(this, out);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** True when the arguments ask for help ({@code --help} or {@code -h} anywhere). */
    public static boolean wantsHelp(String... args) {
        for (String a : args) {
            if (a.equals("--help") || a.equals("-h")) {
                return true;
            }
        }
        return false;
    }

    /**
     * Parses command-line arguments ({@code --opt value} or {@code --opt=value}) and validates them.
     *
     * @throws BadArgumentException naming the option at fault
     */
    public static Options parse(String... args) {
        Map<String, Opt> byName = new LinkedHashMap<>();
        for (Opt o : OPTIONS) {
            byName.put(o.name(), o);
        }
        Builder b = builder();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String name = arg;
            String value = null;
            int eq = arg.indexOf('=');
            if (arg.startsWith("--") && eq > 0) {
                name = arg.substring(0, eq);
                value = arg.substring(eq + 1);
            }
            Opt o = byName.get(name);
            if (o == null) {
                throw new BadArgumentException(name.startsWith("-") ? name : "arguments",
                        name.startsWith("-") ? "unknown option (see --help)" : "unexpected argument '" + arg + "'");
            }
            if (o.value() == null) {
                if (value != null) {
                    throw new BadArgumentException(name, "takes no value");
                }
            } else if (value == null) {
                if (i + 1 >= args.length) {
                    throw new BadArgumentException(name, "needs a value " + o.value());
                }
                value = args[++i];
            }
            o.apply().accept(b, value);
        }
        return b.build();
    }

    /** The --help text, generated from {@link #OPTIONS}. */
    public static String usage() {
        StringBuilder sb = new StringBuilder();
        sb.append("Usage: tandem-load --url URL --auth-file FILE (--rate R | --clients N) [options]\n\n")
                .append("Drives the OpenWhisk invoke API of Tandem controllers and reports throughput, latency,\n")
                .append("429s, errors, the overshoot measured at the invokers and the leak check.\n")
                .append("Exit codes: 0 ok; 1 an invariant broke (leak check, --max-overshoot); 2 bad arguments.\n")
                .append("Connection failures, 5xx and 429 are reported but break no invariant by themselves.\n\n")
                .append("Options:\n");
        for (Opt o : OPTIONS) {
            String head = "  " + o.name() + (o.value() == null ? "" : " " + o.value());
            sb.append(head);
            String doc = o.doc() + (o.defaultText() == null ? "" : " [default:\u00a0" + o.defaultText() + "]");
            int col = 28;
            if (head.length() >= col - 1) {
                sb.append('\n').append(" ".repeat(col));
            } else {
                sb.append(" ".repeat(col - head.length()));
            }
            wrap(sb, doc, col, 110);
            // keep "[default: X]" on one line, then show a plain space
            int last = sb.lastIndexOf("\u00a0");
            if (last >= 0) {
                sb.setCharAt(last, ' ');
            }
        }
        sb.append("\nExample:\n")
                .append("  tandem-load --url http://127.0.0.1:3233 --auth-file auth.txt --rate 500 --duration 30s \\\n")
                .append("      --mix echo:70,sleep:20,fail:10 --sleep-ms 50-200 --invoker http://127.0.0.1:8081 \\\n")
                .append("      --admin http://127.0.0.1:9233 --admin-token secret --limit 30 --max-overshoot 1 \\\n")
                .append("      --warmup 5s --html report.html\n");
        return sb.toString();
    }

    private static void wrap(StringBuilder sb, String text, int indent, int width) {
        int col = indent;
        boolean first = true;
        for (String word : text.split(" ")) {
            if (!first && col + 1 + word.length() > width) {
                sb.append('\n').append(" ".repeat(indent));
                col = indent;
                first = true;
            }
            if (!first) {
                sb.append(' ');
                col++;
            }
            sb.append(word);
            col += word.length();
            first = false;
        }
        sb.append('\n');
    }

    // ---- value parsers: each failure names the option and the value ----

    static List<URI> uris(String option, String value) {
        List<URI> out = new ArrayList<>();
        for (String s : value.split(",")) {
            String t = s.trim();
            if (t.isEmpty()) {
                continue;
            }
            out.add(uri(option, t));
        }
        if (out.isEmpty()) {
            throw new BadArgumentException(option, "no URL in '" + value + "'");
        }
        return out;
    }

    static URI uri(String option, String text) {
        String t = text.endsWith("/") ? text.substring(0, text.length() - 1) : text;
        try {
            URI u = new URI(t);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null) {
                throw new BadArgumentException(option,
                        "expected an http:// or https:// URL with a host, got '" + text + "'");
            }
            if (u.getQuery() != null || u.getFragment() != null) {
                throw new BadArgumentException(option, "a base URL takes no query or fragment, got '" + text + "'");
            }
            return u;
        } catch (URISyntaxException e) {
            throw new BadArgumentException(option, "not a URL: '" + text + "' (" + e.getReason() + ")");
        }
    }

    static boolean bool(String option, String v) {
        switch (v.trim().toLowerCase(Locale.ROOT)) {
            case "true":
            case "yes":
            case "1":
                return true;
            case "false":
            case "no":
            case "0":
                return false;
            default:
                throw new BadArgumentException(option, "expected true or false, got '" + v + "'");
        }
    }

    static int positiveInt(String option, String v) {
        long n = positiveLong(option, v);
        if (n > Integer.MAX_VALUE) {
            throw new BadArgumentException(option, "too large: '" + v + "'");
        }
        return (int) n;
    }

    static int nonNegativeInt(String option, String v) {
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 0) {
                throw new BadArgumentException(option, "must be >= 0, got '" + v + "'");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadArgumentException(option, "expected an integer, got '" + v + "'");
        }
    }

    static long positiveLong(String option, String v) {
        try {
            long n = Long.parseLong(v.trim().replace("_", ""));
            if (n <= 0) {
                throw new BadArgumentException(option, "must be > 0, got '" + v + "'");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadArgumentException(option, "expected a positive integer, got '" + v + "'");
        }
    }

    static double positiveDouble(String option, String v) {
        try {
            double d = Double.parseDouble(v.trim());
            if (!(d > 0) || Double.isInfinite(d)) {
                throw new BadArgumentException(option, "must be a number > 0, got '" + v + "'");
            }
            return d;
        } catch (NumberFormatException e) {
            throw new BadArgumentException(option, "expected a number, got '" + v + "'");
        }
    }

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)?");

    /** {@code 500ms}, {@code 30s}, {@code 1.5s}, {@code 2m}, {@code 1h}; a bare number is seconds. */
    static Duration duration(String option, String v, boolean zeroAllowed) {
        Matcher m = DURATION.matcher(v.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new BadArgumentException(option, "expected a duration like 500ms, 30s, 2m, got '" + v + "'");
        }
        double n = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double ms = switch (unit) {
            case "ms" -> n;
            case "m" -> n * 60_000;
            case "h" -> n * 3_600_000;
            default -> n * 1000;
        };
        if (ms > Duration.ofDays(7).toMillis()) {
            throw new BadArgumentException(option, "too long: '" + v + "'");
        }
        Duration d = Duration.ofNanos(Math.round(ms * 1_000_000));
        if (d.isZero() && !zeroAllowed) {
            throw new BadArgumentException(option, "must be > 0, got '" + v + "'");
        }
        return d;
    }

    // ---- accessors ----

    /** Controller (or load balancer) base URLs, without a trailing slash. */
    public List<URI> urls() {
        return urls;
    }

    /** The namespaces in use (the first --namespaces of the auth file), in file order. */
    public List<Credential> credentials() {
        return credentials;
    }

    public Path authFile() {
        return authFile;
    }

    public Mix mix() {
        return mix;
    }

    public SleepMs sleepMs() {
        return sleepMs;
    }

    public boolean blocking() {
        return blocking;
    }

    public Mode mode() {
        return mode;
    }

    /** Requests per second in open loop; 0 in closed loop. */
    public double rate() {
        return rate;
    }

    /** Clients in closed loop; 0 in open loop. */
    public int clients() {
        return clients;
    }

    public Duration duration() {
        return duration;
    }

    /** Maximum measured requests; {@link Long#MAX_VALUE} when unlimited. */
    public long requests() {
        return requests;
    }

    public Duration warmup() {
        return warmup;
    }

    public int maxInflight() {
        return maxInflight;
    }

    public Duration requestTimeout() {
        return requestTimeout;
    }

    public List<URI> invokers() {
        return invokers;
    }

    /** Null when none. */
    public String invokerToken() {
        return invokerToken;
    }

    public boolean resetStats() {
        return resetStats;
    }

    public Duration statsInterval() {
        return statsInterval;
    }

    /** Null when not given. */
    public Integer limit() {
        return limit;
    }

    /** Null when not given. */
    public Integer maxOvershoot() {
        return maxOvershoot;
    }

    public List<URI> admins() {
        return admins;
    }

    /** Null when none. */
    public String adminToken() {
        return adminToken;
    }

    public Duration leakTimeout() {
        return leakTimeout;
    }

    /** Null when no JSON report is wanted. */
    public Path jsonFile() {
        return jsonFile;
    }

    /** Null when no HTML report is wanted. */
    public Path htmlFile() {
        return htmlFile;
    }

    /** Where the once-a-second progress line goes; null for none. */
    public PrintStream progress() {
        return progress;
    }

    /** The settings as they appear in the report (no secrets). */
    Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("urls", urls.stream().map(URI::toString).toList());
        m.put("namespaces", credentials.stream().map(Credential::namespace).toList());
        m.put("mix", mix.weights());
        m.put("sleepMs", sleepMs.toString());
        m.put("blocking", blocking);
        m.put("mode", mode.name().toLowerCase(Locale.ROOT));
        m.put("rate", mode == Mode.OPEN ? rate : null);
        m.put("clients", mode == Mode.CLOSED ? clients : null);
        m.put("durationMs", duration.toMillis());
        m.put("requests", requests == Long.MAX_VALUE ? null : requests);
        m.put("warmupMs", warmup.toMillis());
        m.put("maxInflight", maxInflight);
        m.put("requestTimeoutMs", requestTimeout.toMillis());
        m.put("invokers", invokers.stream().map(URI::toString).toList());
        m.put("statsIntervalMs", statsInterval.toMillis());
        m.put("limit", limit);
        m.put("maxOvershoot", maxOvershoot);
        m.put("admins", admins.stream().map(URI::toString).toList());
        m.put("leakTimeoutMs", leakTimeout.toMillis());
        return m;
    }

    /** Collects settings; {@link #build()} validates them together. Not thread-safe. */
    public static final class Builder {
        private final List<URI> urls = new ArrayList<>();
        private Path authFile;
        private Integer namespaces;
        private List<String> actions;
        private Mix mix;
        private SleepMs sleepMs = new SleepMs(100, 100);
        private boolean blocking = true;
        private Double rate;
        private Integer clients;
        private Duration duration = Duration.ofSeconds(30);
        private long requests = Long.MAX_VALUE;
        private Duration warmup = Duration.ZERO;
        private int maxInflight = 512;
        private Duration requestTimeout = Duration.ofSeconds(70);
        private final List<URI> invokers = new ArrayList<>();
        private String invokerToken;
        private boolean resetStats = true;
        private Duration statsInterval = Duration.ofMillis(100);
        private Integer limit;
        private Integer maxOvershoot;
        private final List<URI> admins = new ArrayList<>();
        private String adminToken;
        private Duration leakTimeout = Duration.ofSeconds(30);
        private Path jsonFile;
        private Path htmlFile;
        private PrintStream progress = System.err;

        private Builder() {
        }

        public Builder url(String url) {
            urls.addAll(uris("--url", url));
            return this;
        }

        public Builder authFile(Path file) {
            this.authFile = file;
            return this;
        }

        public Builder namespaces(int n) {
            this.namespaces = n;
            return this;
        }

        public Builder actions(String... names) {
            this.actions = List.of(names);
            return this;
        }

        public Builder mix(Mix m) {
            this.mix = m;
            return this;
        }

        public Builder mix(String spec) {
            return mix(Mix.parse("--mix", spec));
        }

        public Builder sleepMs(SleepMs s) {
            this.sleepMs = Objects.requireNonNull(s);
            return this;
        }

        public Builder blocking(boolean b) {
            this.blocking = b;
            return this;
        }

        public Builder rate(double r) {
            this.rate = r;
            return this;
        }

        public Builder clients(int n) {
            this.clients = n;
            return this;
        }

        public Builder duration(Duration d) {
            this.duration = d;
            return this;
        }

        public Builder requests(long n) {
            this.requests = n;
            return this;
        }

        public Builder warmup(Duration d) {
            this.warmup = d;
            return this;
        }

        public Builder maxInflight(int n) {
            this.maxInflight = n;
            return this;
        }

        public Builder requestTimeout(Duration d) {
            this.requestTimeout = d;
            return this;
        }

        public Builder invoker(String url) {
            invokers.addAll(uris("--invoker", url));
            return this;
        }

        public Builder invokerToken(String token) {
            this.invokerToken = token;
            return this;
        }

        public Builder resetStats(boolean b) {
            this.resetStats = b;
            return this;
        }

        public Builder statsInterval(Duration d) {
            this.statsInterval = d;
            return this;
        }

        public Builder limit(int n) {
            this.limit = n;
            return this;
        }

        public Builder maxOvershoot(int n) {
            this.maxOvershoot = n;
            return this;
        }

        public Builder admin(String url) {
            admins.addAll(uris("--admin", url));
            return this;
        }

        public Builder adminToken(String token) {
            this.adminToken = token;
            return this;
        }

        public Builder leakTimeout(Duration d) {
            this.leakTimeout = d;
            return this;
        }

        public Builder jsonFile(Path p) {
            this.jsonFile = p;
            return this;
        }

        public Builder htmlFile(Path p) {
            this.htmlFile = p;
            return this;
        }

        /** Where progress lines go; null for none (the default is stderr). */
        public Builder progress(PrintStream out) {
            this.progress = out;
            return this;
        }

        /**
         * Checks the settings together and reads the auth file.
         *
         * @throws BadArgumentException naming the option at fault
         */
        public Options build() {
            if (urls.isEmpty()) {
                throw new BadArgumentException("--url", "required (a controller or load balancer URL)");
            }
            if (authFile == null) {
                throw new BadArgumentException("--auth-file", "required (one 'namespace uuid:key' per line)");
            }
            if ((rate == null) == (clients == null)) {
                throw new BadArgumentException(rate == null ? "--rate" : "--clients",
                        "give exactly one of --rate (open loop) and --clients (closed loop)");
            }
            check(rate == null || (rate > 0 && rate <= 1_000_000), "--rate", "must be in (0, 1000000], got " + rate);
            check(clients == null || clients > 0, "--clients", "must be > 0, got " + clients);
            check(maxInflight > 0, "--max-inflight", "must be > 0, got " + maxInflight);
            check(clients == null || clients <= maxInflight, "--clients",
                    clients + " clients exceed --max-inflight " + maxInflight);
            check(requests > 0, "--requests", "must be > 0, got " + requests);
            check(!duration.isNegative() && !duration.isZero(), "--duration", "must be > 0, got " + duration);
            check(!warmup.isNegative(), "--warmup", "must be >= 0, got " + warmup);
            check(!requestTimeout.isNegative() && !requestTimeout.isZero(), "--request-timeout",
                    "must be > 0, got " + requestTimeout);
            check(!statsInterval.isNegative() && statsInterval.toMillis() >= 10, "--stats-interval",
                    "must be >= 10ms, got " + statsInterval);
            check(!leakTimeout.isNegative(), "--leak-timeout", "must be >= 0, got " + leakTimeout);
            check(limit == null || limit >= 0, "--limit", "must be >= 0, got " + limit);
            if (maxOvershoot != null) {
                check(maxOvershoot >= 0, "--max-overshoot", "must be >= 0, got " + maxOvershoot);
                check(limit != null, "--max-overshoot", "needs --limit (the configured namespace limit)");
                check(!invokers.isEmpty(), "--max-overshoot", "needs --invoker (overshoot is measured at the invokers)");
            }
            Mix m = mix;
            if (actions != null) {
                Mix listed = Mix.of(actions.stream().map(String::trim).toList());
                if (m == null) {
                    m = listed;
                } else if (!m.weights().keySet().equals(listed.weights().keySet())) {
                    throw new BadArgumentException("--mix", "names " + m.weights().keySet()
                            + " differ from --actions " + listed.weights().keySet() + " (give one, or the same names)");
                }
            }
            if (m == null) {
                m = Mix.of(List.of("echo"));
            }
            List<Credential> all = Credential.readFile(authFile);
            if (all.isEmpty()) {
                throw new BadArgumentException("--auth-file", "no credentials in '" + authFile + "'");
            }
            if (namespaces != null) {
                check(namespaces > 0, "--namespaces", "must be > 0, got " + namespaces);
                check(namespaces <= all.size(), "--namespaces",
                        namespaces + " requested but '" + authFile + "' has only " + all.size());
            }
            List<Credential> used = namespaces == null ? all : all.subList(0, namespaces);
            return new Options(this, used, m);
        }

        private static void check(boolean ok, String option, String message) {
            if (!ok) {
                throw new BadArgumentException(option, message);
            }
        }
    }
}
