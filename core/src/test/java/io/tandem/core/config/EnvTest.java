package io.tandem.core.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.TandemException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class EnvTest {
    private static final Setting NUMBER = new Setting("TEST_NUMBER", "5", "a number for the tests");
    private static final Setting WAIT = new Setting("TEST_WAIT", "10s", "a duration for the tests");
    private static final Setting FLAG = new Setting("TEST_FLAG", "on", "a switch for the tests");
    private static final Setting MODE = new Setting("TEST_MODE", "dns", "an enum for the tests");
    private static final Setting NEEDED = new Setting("TEST_NEEDED", null, "a setting without default");

    private enum Mode { TCPPING, DNS, KUBE }

    private static Env env(String name, String value) {
        return new Env(Map.of(name, value));
    }

    /** Asserts the failure is a ConfigException whose message names the variable and the value. */
    private static ConfigException assertNames(Setting s, String value, Executable read) {
        ConfigException e = assertThrows(ConfigException.class, read);
        assertEquals(s.name(), e.variable());
        assertTrue(e.getMessage().contains(s.name()), e.getMessage());
        assertTrue(e.getMessage().contains("'" + value + "'"), e.getMessage());
        return e;
    }

    @Test
    void shouldUseDefaultWhenUnsetOrBlank() {
        assertEquals(5, new Env(Map.of()).longValue(NUMBER, 0, 10));
        assertEquals(5, env("TEST_NUMBER", "   ").longValue(NUMBER, 0, 10));
        assertFalse(env("TEST_NUMBER", " ").isSet(NUMBER));
        assertEquals(7, env("TEST_NUMBER", " 7 ").intValue(NUMBER, 0, 10), "values are trimmed");
    }

    @Test
    void shouldNameVariableAndValueOfBadNumber() {
        assertNames(NUMBER, "12x", () -> env("TEST_NUMBER", "12x").longValue(NUMBER, 0, 100));
        ConfigException range = assertNames(NUMBER, "101", () -> env("TEST_NUMBER", "101").intValue(NUMBER, 0, 100));
        assertTrue(range.getMessage().contains("between 0 and 100"), range.getMessage());
        assertNames(NUMBER, "70000", () -> env("TEST_NUMBER", "70000").port(NUMBER));
    }

    @Test
    void shouldNameMissingRequiredVariable() {
        ConfigException e = assertThrows(ConfigException.class, () -> new Env(Map.of()).required(NEEDED));
        assertEquals("TEST_NEEDED", e.variable());
        assertTrue(e.getMessage().startsWith("TEST_NEEDED=<unset>"), e.getMessage());
        assertThrows(ConfigException.class, () -> new Env(Map.of()).longValue(NEEDED, 0, 1));
        assertTrue(e instanceof TandemException);
    }

    @ParameterizedTest
    @CsvSource({"500ms, 500", "10s, 10000", "2m, 120000", "250, 250", "1.5s, 1500", "0ms, 0"})
    void shouldParseDurations(String text, long expectedMs) {
        assertEquals(Duration.ofMillis(expectedMs),
                env("TEST_WAIT", text).duration(WAIT, Duration.ZERO, Duration.ofHours(1)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"10h", "ten", "s", "ms", "1.5ms", "5 minutes", "NaNs", "1ds", "0x1p3s", "-1s"})
    void shouldNameVariableAndValueOfBadDuration(String text) {
        assertNames(WAIT, text, () -> env("TEST_WAIT", text).duration(WAIT, Duration.ZERO, Duration.ofHours(1)));
    }

    @Test
    void shouldNameVariableAndValueOfDurationOutOfRange() {
        assertNames(WAIT, "50ms",
                () -> env("TEST_WAIT", "50ms").duration(WAIT, Duration.ofMillis(100), Duration.ofHours(1)));
        assertNames(WAIT, "2m", () -> env("TEST_WAIT", "2m").duration(WAIT, Duration.ZERO, Duration.ofMinutes(1)));
    }

    @Test
    void shouldReadBooleans() {
        for (String on : new String[] {"on", "ON", "true", "yes", "1"}) {
            assertTrue(env("TEST_FLAG", on).bool(FLAG), on);
        }
        for (String off : new String[] {"off", "False", "no", "0"}) {
            assertFalse(env("TEST_FLAG", off).bool(FLAG), off);
        }
        assertTrue(new Env(Map.of()).bool(FLAG));
    }

    @Test
    void shouldNameVariableAndValueOfBadBoolean() {
        assertNames(FLAG, "maybe", () -> env("TEST_FLAG", "maybe").bool(FLAG));
    }

    @Test
    void shouldReadEnumsIgnoringCase() {
        assertEquals(Mode.KUBE, env("TEST_MODE", "Kube").enumValue(MODE, Mode.class));
        assertEquals(Mode.DNS, new Env(Map.of()).enumValue(MODE, Mode.class));
    }

    @Test
    void shouldNameVariableValueAndChoicesOfBadEnum() {
        ConfigException e = assertNames(MODE, "gossip", () -> env("TEST_MODE", "gossip").enumValue(MODE, Mode.class));
        assertTrue(e.getMessage().contains("tcpping"), e.getMessage());
    }

    @Test
    void shouldRecordSettingsReadAndRegisterThem() {
        Env env = new Env(Map.of());
        env.longValue(NUMBER, 0, 10);

        assertEquals(java.util.Set.of("TEST_NUMBER"), env.readNames());
        assertTrue(SettingsCatalog.all().stream().anyMatch(s -> s.name().equals("TEST_NUMBER")));
    }

    @Test
    void shouldRejectBadControllerIdNamingIt() {
        ConfigException e = assertNames(CommonSettings.CONTROLLER_ID, "bad id!",
                () -> CommonSettings.controllerId(env("CONTROLLER_ID", "bad id!")));
        assertTrue(e.getMessage().contains("CONTROLLER_ID"));
        assertEquals("controller-0", CommonSettings.controllerId(env("CONTROLLER_ID", "controller-0")));
    }

    @Test
    void shouldRejectBadControllerCountNamingIt() {
        assertNames(CommonSettings.CONTROLLER_COUNT, "0",
                () -> CommonSettings.controllerCount(env("CONTROLLER_COUNT", "0")));
        assertNames(CommonSettings.CLUSTERING, "of", () -> CommonSettings.clustering(env("CLUSTERING", "of")));
        assertEquals(1, CommonSettings.controllerCount(new Env(Map.of())));
        assertTrue(CommonSettings.clustering(new Env(Map.of())));
    }

    @Test
    void shouldRejectBadSettingNames() {
        assertThrows(IllegalArgumentException.class, () -> new Setting("lower", null, "doc"));
        assertThrows(IllegalArgumentException.class, () -> new Setting("1ABC", null, "doc"));
    }
}
