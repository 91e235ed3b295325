package io.tandem.http.controller;

import java.time.Instant;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * One line per event. The controller logs through {@link System.Logger} (backed by java.util.logging), every message
 * starting with the controller id and written as {@code key=value} pairs ({@code event=}, {@code activation=},
 * {@code request=}, ...); keys and tokens are never logged. {@link #install} puts {@link OneLineFormatter} on the
 * root handlers so that every line of the process, ours and the libraries', reads
 * {@code <controllerId> <ISO time> <LEVEL> <message>}.
 */
public final class ControllerLogging {
    private ControllerLogging() {
    }

    /** Formats every root handler's output as one line per record, starting with {@code controllerId}. */
    public static void install(String controllerId) {
        for (Handler h : Logger.getLogger("").getHandlers()) {
            h.setFormatter(new OneLineFormatter(controllerId));
        }
    }

    /**
     * {@code <controllerId> <time> <LEVEL> <message>}; line breaks inside a message are escaped, an exception is
     * appended as its class, message and top frames on the same line. Thread-safe (stateless apart from the id).
     */
    public static final class OneLineFormatter extends Formatter {
        private final String controllerId;

        public OneLineFormatter(String controllerId) {
            this.controllerId = controllerId;
        }

        @Override
        public String format(LogRecord r) {
            StringBuilder b = new StringBuilder(160);
            String msg = formatMessage(r);
            b.append(controllerId).append(' ').append(Instant.ofEpochMilli(r.getMillis())).append(' ')
                    .append(level(r.getLevel())).append(' ');
            if (msg != null && msg.startsWith(controllerId + " ")) {
                msg = msg.substring(controllerId.length() + 1);
            } else if (r.getLoggerName() != null && !r.getLoggerName().startsWith("io.tandem")) {
                b.append('[').append(r.getLoggerName()).append("] ");
            }
            b.append(oneLine(msg));
            Throwable t = r.getThrown();
            if (t != null) {
                b.append(" | ").append(oneLine(t.toString()));
                StackTraceElement[] st = t.getStackTrace();
                for (int i = 0; i < Math.min(5, st.length); i++) {
                    b.append(i == 0 ? " at " : " < ").append(st[i]);
                }
            }
            return b.append('\n').toString();
        }

        private static String level(Level l) {
            if (l.intValue() >= Level.SEVERE.intValue()) {
                return "ERROR";
            }
            if (l.intValue() >= Level.WARNING.intValue()) {
                return "WARN";
            }
            if (l.intValue() >= Level.INFO.intValue()) {
                return "INFO";
            }
            return "DEBUG";
        }

        private static String oneLine(String s) {
            return s == null ? "" : s.replace("\r", "\\r").replace("\n", "\\n");
        }
    }
}
