package io.tandem.http.controller;

import java.time.Instant;
import java.util.logging.Filter;
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

    /**
     * Formats every root handler's output as one line per record, starting with {@code processId} (a controller's
     * or an invoker's id), and lowers JGroups' reports of connections that a peer's fault broke to WARN
     * ({@link #JGROUPS_BROKEN_CONNECTION}).
     */
    public static void install(String processId) {
        for (Handler h : Logger.getLogger("").getHandlers()) {
            h.setFormatter(new OneLineFormatter(processId));
            Filter previous = h.getFilter();
            h.setFilter(previous == null ? JGROUPS_BROKEN_CONNECTION
                    : r -> JGROUPS_BROKEN_CONNECTION.isLoggable(r) && previous.isLoggable(r));
        }
    }

    /**
     * JGroups logs at ERROR when it cannot send a graceful close on a connection that is already broken
     * ({@code failed sending graceful close to ...: Broken pipe}) and when a peer's connection ends in the middle of
     * a message ({@code JGRP000030: ... failed handling incoming message} caused by an {@link java.io.EOFException} or a
     * {@link java.net.SocketException}).
     * Both report a fault of the peer or of the network that failure detection already handles (the peer is
     * suspected, removed or merged back), not a failure of this process; operators alert on ERROR, so these are
     * lowered to WARN with their text unchanged. Every other record passes as it is.
     */
    static final Filter JGROUPS_BROKEN_CONNECTION = r -> {
        if (r.getLevel().intValue() >= Level.SEVERE.intValue() && r.getLoggerName() != null
                && r.getLoggerName().startsWith("org.jgroups") && isBrokenConnection(r)) {
            r.setLevel(Level.WARNING);
        }
        return true;
    };

    private static boolean isBrokenConnection(LogRecord r) {
        String msg = String.valueOf(r.getMessage());
        if (msg.contains("failed sending graceful close")) {
            return true;
        }
        if (!msg.contains("JGRP000030") && !msg.contains("failed handling incoming message")) {
            return false;
        }
        // a connection that ended or broke mid-message; not any IOException (a StreamCorruptedException from
        // corrupt input stays an ERROR). The walk is bounded: a cause chain can be a cycle.
        Throwable t = r.getThrown();
        for (int depth = 0; t != null && depth < 8; depth++, t = t.getCause()) {
            if (t instanceof java.io.EOFException || t instanceof java.net.SocketException) {
                return true;
            }
        }
        return false;
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
