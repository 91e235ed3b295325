package io.tandem.http.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class ControllerLoggingTest {
    private final ControllerLogging.OneLineFormatter f = new ControllerLogging.OneLineFormatter("c1");

    @Test
    void shouldWriteOneLineStartingWithTheControllerIdWithoutRepeatingIt() {
        LogRecord r = new LogRecord(Level.WARNING, "c1 event=forced-completion activation=abc request=r1");
        r.setLoggerName("io.tandem.http.controller.ActivationLifecycle");

        String line = f.format(r);

        assertTrue(line.startsWith("c1 "), line);
        assertTrue(line.endsWith(" WARN event=forced-completion activation=abc request=r1\n"), line);
    }

    @Test
    void shouldKeepForeignMessagesAndExceptionsOnOneLine() {
        LogRecord r = new LogRecord(Level.SEVERE, "two\nlines");
        r.setLoggerName("io.undertow.request");
        r.setThrown(new IllegalStateException("bad\nstate"));

        String line = f.format(r);

        assertEquals(1, line.split("\n", -1).length - 1, line);
        assertTrue(line.contains(" ERROR [io.undertow.request] two\\nlines | java.lang.IllegalStateException: bad\\nstate"),
                line);
    }

    @Test
    void shouldLowerJGroupsReportsOfBrokenConnectionsToWarnAndKeepOtherErrors() {
        LogRecord close = new LogRecord(Level.SEVERE,
                "10.77.0.13:7800: failed sending graceful close to 10.77.0.11:7800: Broken pipe");
        close.setLoggerName("org.jgroups.blocks.cs.NioServer");
        LogRecord midMessage = new LogRecord(Level.SEVERE, "JGRP000030: c1: failed handling incoming message");
        midMessage.setLoggerName("org.jgroups.protocols.TCP_NIO2");
        midMessage.setThrown(new IllegalStateException("read", new EOFException()));
        LogRecord otherJGroups = new LogRecord(Level.SEVERE, "JGRP000030: c1: failed handling incoming message");
        otherJGroups.setLoggerName("org.jgroups.protocols.TCP_NIO2");
        otherJGroups.setThrown(new IllegalArgumentException("a bug"));
        LogRecord corrupt = new LogRecord(Level.SEVERE, "JGRP000030: c1: failed handling incoming message");
        corrupt.setLoggerName("org.jgroups.protocols.TCP_NIO2");
        corrupt.setThrown(new java.io.StreamCorruptedException("bad header"));
        LogRecord cycle = new LogRecord(Level.SEVERE, "JGRP000030: c1: failed handling incoming message");
        cycle.setLoggerName("org.jgroups.protocols.TCP_NIO2");
        IllegalStateException a = new IllegalStateException("a");
        IllegalArgumentException b = new IllegalArgumentException("b", a);
        a.initCause(b);
        cycle.setThrown(a);
        LogRecord ours = new LogRecord(Level.SEVERE, "failed sending graceful close (quoted by us)");
        ours.setLoggerName("io.tandem.transport.JGroupsReplicator");

        for (LogRecord r : new LogRecord[] {close, midMessage, otherJGroups, corrupt, cycle, ours}) {
            assertTrue(ControllerLogging.JGROUPS_BROKEN_CONNECTION.isLoggable(r), "never drops a record");
        }

        assertEquals(Level.WARNING, close.getLevel());
        assertEquals(Level.WARNING, midMessage.getLevel());
        assertTrue(f.format(close).contains(" WARN [org.jgroups.blocks.cs.NioServer] 10.77.0.13:7800: failed sending"),
                f.format(close));
        assertEquals(Level.SEVERE, otherJGroups.getLevel(), "an error JGroups did not get from the network stays");
        assertEquals(Level.SEVERE, ours.getLevel(), "our own errors stay");
        assertEquals(Level.SEVERE, corrupt.getLevel(), "corrupt input is not a broken connection");
        assertEquals(Level.SEVERE, cycle.getLevel(), "a cause cycle ends the walk without a match");
    }
}
