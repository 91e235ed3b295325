package io.tandem.core.config;

import io.tandem.core.TandemException;

/** A configuration value is missing or invalid. The message always names the variable and the value. */
public final class ConfigException extends TandemException {
    private static final long serialVersionUID = 1L;
    private final String variable;

    public ConfigException(String variable, String value, String problem) {
        super(variable + "=" + (value == null ? "<unset>" : "'" + value + "'") + ": " + problem);
        this.variable = variable;
    }

    /** The name of the offending environment variable. */
    public String variable() {
        return variable;
    }
}
