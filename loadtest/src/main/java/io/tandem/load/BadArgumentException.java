package io.tandem.load;

/**
 * A command-line option (or the matching {@link Options.Builder} setting) has a bad or missing value. The message
 * names the option and the value; {@link LoadTest#execute} turns it into exit code 2.
 */
public final class BadArgumentException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String option;

    public BadArgumentException(String option, String message) {
        super(option + ": " + message);
        this.option = option;
    }

    /** The option at fault, e.g. {@code --rate}, or {@code arguments} when no single option is. */
    public String option() {
        return option;
    }
}
