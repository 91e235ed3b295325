package io.tandem.core.config;

/**
 * One environment variable the launcher reads: its name, its default (null when it has none) and one line of doc.
 * Every module's settings class lists its settings as constants of this type and registers them in
 * {@link SettingsCatalog}, so that deployment files can be checked against the variables actually read.
 */
public record Setting(String name, String defaultValue, String doc) {
    public Setting {
        if (name == null || !name.matches("[A-Z][A-Z0-9_]*")) {
            throw new IllegalArgumentException("bad setting name " + name);
        }
    }
}
