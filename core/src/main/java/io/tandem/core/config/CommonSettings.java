package io.tandem.core.config;

/**
 * Settings that more than one module reads. Each module's own settings class holds the rest; all of them register
 * in {@link SettingsCatalog}.
 */
public final class CommonSettings {
    public static final Setting ROLE = new Setting("ROLE", "controller",
            "controller or invoker: which process this launcher starts");
    public static final Setting BIND_ADDR = new Setting("BIND_ADDR", "127.0.0.1",
            "address the HTTP servers (and, clustered, the JGroups transport) bind to");
    public static final Setting ADVERTISE_ADDR = new Setting("ADVERTISE_ADDR", null,
            "address peers and invokers use to reach this process (default: BIND_ADDR, or the host's address when BIND_ADDR is 0.0.0.0)");
    public static final Setting CONTROLLER_ID = new Setting("CONTROLLER_ID", null,
            "stable id of this controller (default: the host name); a restart keeps it and gets a new incarnation");
    public static final Setting CONTROLLER_COUNT = new Setting("CONTROLLER_COUNT", "1",
            "expected number of controllers: the 1/N share with CLUSTERING=off, the degraded threshold with it on");
    public static final Setting CLUSTERING = new Setting("CLUSTERING", "on",
            "on: share the bookkeeping over JGroups; off: local bookkeeping with a 1/CONTROLLER_COUNT share");

    static {
        SettingsCatalog.registerAll(ROLE, BIND_ADDR, ADVERTISE_ADDR, CONTROLLER_ID, CONTROLLER_COUNT, CLUSTERING);
    }

    private CommonSettings() {
    }

    /** The host name, for defaults; "localhost" when it cannot be found. */
    public static String hostName() {
        String h = System.getenv("HOSTNAME");
        if (h != null && !h.isBlank()) {
            return h.trim();
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }

    /** The controller id: CONTROLLER_ID or the host name; letters, digits, '.', '_' and '-' only. */
    public static String controllerId(Env env) {
        String id = env.isSet(CONTROLLER_ID) ? env.string(CONTROLLER_ID) : hostName();
        if (!id.matches("[A-Za-z0-9._-]{1,64}")) {
            throw new ConfigException(CONTROLLER_ID.name(), id, "must be 1-64 letters, digits, '.', '_' or '-'");
        }
        return id;
    }

    public static int controllerCount(Env env) {
        return env.intValue(CONTROLLER_COUNT, 1, 1000);
    }

    public static boolean clustering(Env env) {
        return env.bool(CLUSTERING);
    }

    public static String bindAddr(Env env) {
        return env.string(BIND_ADDR);
    }

    /** ADVERTISE_ADDR, else BIND_ADDR unless it is a wildcard, else this host's address. */
    public static String advertiseAddr(Env env) {
        if (env.isSet(ADVERTISE_ADDR)) {
            return env.string(ADVERTISE_ADDR);
        }
        String bind = bindAddr(env);
        if (!bind.equals("0.0.0.0") && !bind.equals("::")) {
            return bind;
        }
        try {
            return java.net.InetAddress.getLocalHost().getHostAddress();
        } catch (java.io.IOException e) {
            throw new ConfigException(ADVERTISE_ADDR.name(), null,
                    "must be set when BIND_ADDR is a wildcard and the host address cannot be found");
        }
    }
}
