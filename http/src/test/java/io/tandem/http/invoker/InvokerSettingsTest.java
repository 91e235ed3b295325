package io.tandem.http.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.tandem.core.config.Setting;
import io.tandem.core.config.SettingsCatalog;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class InvokerSettingsTest {

    @Test
    void shouldUseTheDocumentedDefaults() {
        InvokerSettings s = InvokerSettings.from(new Env(Map.of("INVOKER_ID", "inv1")));

        assertEquals("inv1", s.invokerId());
        assertEquals("127.0.0.1", s.bindAddr());
        assertEquals(8085, s.port());
        assertEquals(2048, s.memoryMb());
        assertEquals(10_000, s.queueLimit());
        assertEquals(2, s.cpuThreads());
        assertEquals(1_000_000, s.runLogLimit());
        assertNull(s.token());
        assertTrue(s.requiredToken().isEmpty());
    }

    @Test
    void shouldDefaultTheIdToAUsableHostName() {
        InvokerSettings s = InvokerSettings.from(new Env(Map.of()));

        assertFalse(s.invokerId().isBlank());
    }

    @Test
    void shouldReadEverySetting() {
        InvokerSettings s = InvokerSettings.from(new Env(Map.of("INVOKER_ID", "inv-2", "BIND_ADDR", "0.0.0.0",
                "INVOKER_PORT", "0", "INVOKER_MEMORY_MB", "512", "INVOKER_QUEUE_LIMIT", "0", "INVOKER_CPU_THREADS", "4",
                "INVOKER_RUN_LOG_LIMIT", "10", "INVOKER_TOKEN", "t0k3n")));

        assertEquals(new InvokerSettings("inv-2", "0.0.0.0", 0, 512, 0, 4, 10, "t0k3n"), s);
    }

    @Test
    void shouldNameTheVariableOfABadValue() {
        Map<String, String> bad = Map.of("INVOKER_PORT", "http", "INVOKER_MEMORY_MB", "0", "INVOKER_QUEUE_LIMIT", "-1",
                "INVOKER_CPU_THREADS", "many", "INVOKER_RUN_LOG_LIMIT", "1e6", "INVOKER_ID", "no spaces please",
                "INVOKER_TOKEN", "has space");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            Map<String, String> vars = new HashMap<>(Map.of("INVOKER_ID", "x"));
            vars.put(e.getKey(), e.getValue());
            ConfigException ex = assertThrows(ConfigException.class, () -> InvokerSettings.from(new Env(vars)),
                    e.getKey());
            assertEquals(e.getKey(), ex.variable());
            assertTrue(ex.getMessage().startsWith(e.getKey() + "="), ex.getMessage());
        }
    }

    @Test
    void shouldNeverPrintTheToken() {
        InvokerSettings s = InvokerSettings.from(new Env(Map.of("INVOKER_ID", "x", "INVOKER_TOKEN", "s3cret")));

        assertFalse(s.toString().contains("s3cret"), s.toString());
        ConfigException ex = assertThrows(ConfigException.class,
                () -> InvokerSettings.from(new Env(Map.of("INVOKER_ID", "x", "INVOKER_TOKEN", "s3c\u0001ret"))));
        assertFalse(ex.getMessage().contains("s3c"), ex.getMessage());
    }

    @Test
    void shouldRegisterItsSettingsInTheCatalog() {
        assertEquals("INVOKER_ID", InvokerSettings.INVOKER_ID.name()); // initializes the class

        Set<String> names = SettingsCatalog.all().stream().map(Setting::name).collect(Collectors.toSet());
        assertTrue(names.containsAll(Set.of("INVOKER_ID", "BIND_ADDR", "INVOKER_PORT", "INVOKER_MEMORY_MB",
                "INVOKER_QUEUE_LIMIT", "INVOKER_CPU_THREADS", "INVOKER_RUN_LOG_LIMIT", "INVOKER_TOKEN")), names.toString());
    }
}
