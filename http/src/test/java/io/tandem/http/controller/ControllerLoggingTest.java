package io.tandem.http.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
