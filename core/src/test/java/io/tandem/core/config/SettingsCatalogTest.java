package io.tandem.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class SettingsCatalogTest {
    static {
        SettingsCatalog.registerAll(new Setting("TEST_MINUTE_LIMIT", "60", "a setting of this test"),
                new Setting("TEST_CLUSTER_SECRET", null, "a secret of this test"));
    }

    @Test
    void shouldStopAStartWithAMisspeltSettingNamingItAndTheSettingItResembles() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SettingsCatalog.rejectMisspellings(Map.of("TEST_MINUTE_LIMT", "5")));
        assertEquals("TEST_MINUTE_LIMT", e.variable());
        assertTrue(e.getMessage().contains("'5'") && e.getMessage().contains("did you mean TEST_MINUTE_LIMIT"),
                e.getMessage());
    }

    @Test
    void shouldNotRepeatTheValueOfWhatLooksLikeASecret() {
        ConfigException e = assertThrows(ConfigException.class,
                () -> SettingsCatalog.rejectMisspellings(Map.of("TEST_CLUSTER_SECRT", "hunter2")));
        assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
    }

    @Test
    void shouldLeaveKnownSettingsAndUnrelatedVariablesAlone() {
        SettingsCatalog.rejectMisspellings(Map.of("TEST_MINUTE_LIMIT", "5", "PATH", "/bin", "HOSTNAME", "h",
                "KUBERNETES_PORT_443_TCP", "tcp://10.0.0.1:443", "TANDEM_CONTROLLER_SERVICE_HOST", "10.0.0.2",
                "JAVA_HOME", "/opt/java"));
    }

    @Test
    void shouldMeasureEditDistance() {
        assertEquals(0, SettingsCatalog.distance("ABC", "ABC"));
        assertEquals(1, SettingsCatalog.distance("LIMT", "LIMIT"));
        assertEquals(2, SettingsCatalog.distance("LMIT", "LIMITS"));
        assertEquals(3, SettingsCatalog.distance("", "ABC"));
    }
}
