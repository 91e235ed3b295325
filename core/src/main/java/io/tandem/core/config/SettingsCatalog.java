package io.tandem.core.config;

import java.util.Collection;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every setting any module declares, by name. Settings classes call {@link #register} for their constants in a
 * static initializer, so the launcher can print the list (`tandem settings`) and deployment files can be checked
 * against it. Thread-safe.
 */
public final class SettingsCatalog {
    private static final Map<String, Setting> ALL = new TreeMap<>();

    private SettingsCatalog() {
    }

    public static synchronized Setting register(Setting s) {
        Setting old = ALL.putIfAbsent(s.name(), s);
        return old == null ? s : old;
    }

    public static synchronized void registerAll(Setting... settings) {
        for (Setting s : settings) {
            register(s);
        }
    }

    public static synchronized Collection<Setting> all() {
        return java.util.List.copyOf(ALL.values());
    }
}
