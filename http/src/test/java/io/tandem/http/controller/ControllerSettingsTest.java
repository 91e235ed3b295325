package io.tandem.http.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.activation.ActionSpec;
import io.tandem.core.admission.NamespaceLimits;
import io.tandem.core.config.ConfigException;
import io.tandem.core.config.Env;
import io.tandem.core.config.Setting;
import io.tandem.core.config.SettingsCatalog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ControllerSettingsTest {
    private static final String KEY = "123zO3xZCLrMN6v2BKK1dXYFpXlPkccOFqm12CdAsMgRU4VrNZ9lyGVCGuMDGIwP";
    private static final String AUTH = "guest 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + KEY;

    private static Map<String, String> minimal() {
        Map<String, String> env = new HashMap<>();
        env.put("CONTROLLER_ID", "c1");
        env.put("AUTH", AUTH);
        env.put("INVOKERS", "invoker0=http://127.0.0.1:8085=2048");
        return env;
    }

    private static ControllerSettings from(Map<String, String> env) {
        return ControllerSettings.from(new Env(env));
    }

    private static ConfigException refused(Map<String, String> env) {
        return assertThrows(ConfigException.class, () -> from(env));
    }

    @Test
    void shouldApplyTheDocumentedDefaults() {
        ControllerSettings s = from(minimal());

        assertEquals("c1", s.controllerId());
        assertEquals(3233, s.apiPort());
        assertEquals(3234, s.adminPort());
        assertNull(s.adminToken());
        assertEquals(new NamespaceLimits(30, 60), s.limits().defaults());
        assertEquals(100_000, s.limits().systemOverload());
        assertEquals(Duration.ofSeconds(1), s.invokerHealthInterval());
        assertEquals(Duration.ofSeconds(10), s.invokerOfflineAfter());
        assertEquals(32, s.invokerConnections());
        assertEquals(Duration.ofSeconds(10), s.forcedCompletionGrace());
        assertEquals(Duration.ofSeconds(60), s.blockingWaitMax());
        assertEquals(1_048_576, s.maxBodyBytes());
        assertEquals(16_384, s.maxHeaderBytes());
        assertEquals(1_000, s.maxParams());
        assertEquals(32, s.maxJsonDepth());
        assertEquals(100_000, s.activationStoreSize());
        assertEquals(64L << 20, s.activationStoreBytes());
        assertEquals(Duration.ofMinutes(10), s.activationStoreTtl());
        assertEquals(Duration.ofSeconds(5), s.deregistrationDelay());
        assertEquals(Duration.ofSeconds(30), s.drainTimeout());
        assertEquals(2, s.ioThreads());
        assertEquals(16, s.workerThreads());
        assertEquals(5, s.catalog().entries().size());
        for (String kind : new String[] {"echo", "sleep", "fail", "error", "cpu"}) {
            assertEquals(new ActionSpec(kind, kind, 256, 60_000), s.catalog().find("anyone", kind).orElseThrow());
        }
        assertEquals("http://127.0.0.1:3233/internal/v1/completions", s.callbackUrl(3233));
    }

    @Test
    void shouldRegisterEverySettingInTheCatalog() {
        assertTrue(ControllerSettings.API_PORT.name().equals("API_PORT"));
        var names = SettingsCatalog.all().stream().map(Setting::name).collect(Collectors.toSet());
        for (String n : new String[] {"API_PORT", "ADMIN_PORT", "ADMIN_TOKEN", "AUTH", "AUTH_FILE", "ACTIONS",
            "ACTIONS_FILE", "NAMESPACE_CONCURRENCY_LIMIT", "NAMESPACE_MINUTE_LIMIT", "NAMESPACE_LIMITS",
            "SYSTEM_OVERLOAD_LIMIT", "INVOKERS", "INVOKER_TOKEN", "INVOKER_HEALTH_INTERVAL", "INVOKER_OFFLINE_AFTER",
            "INVOKER_CONNECTIONS", "INVOKER_DISPATCH_QUEUE", "FORCED_COMPLETION_GRACE", "BLOCKING_WAIT_MAX",
            "ADMISSION_PACE_WINDOW", "ADMISSION_PACE_MAX_WAIT", "MAX_BODY_BYTES", "MAX_HEADER_BYTES", "MAX_PARAMS", "MAX_JSON_DEPTH", "ACTIVATION_STORE_SIZE",
            "ACTIVATION_STORE_TTL", "DEREGISTRATION_DELAY", "DRAIN_TIMEOUT", "IO_THREADS", "WORKER_THREADS"}) {
            assertTrue(names.contains(n), n);
        }
    }

    @Test
    void shouldReadInlineActionsLimitsAndInvokers() {
        Map<String, String> env = minimal();
        env.put("ACTIONS", "*/echo=echo:256:60s, guest/demo/sleep=sleep:128:5m,guest/fast=cpu:64:500ms");
        env.put("NAMESPACE_LIMITS", "guest=5/100, big=1000/60000");
        env.put("INVOKERS", "b=http://10.0.0.2:8085/=1024,a=https://inv-a:9000=4096");

        ControllerSettings s = from(env);

        assertEquals(new ActionSpec("demo/sleep", "sleep", 128, 300_000),
                s.catalog().find("guest", "demo/sleep").orElseThrow());
        assertTrue(s.catalog().find("other", "demo/sleep").isEmpty());
        assertEquals(500, s.catalog().find("guest", "fast").orElseThrow().timeLimitMs());
        assertEquals(new NamespaceLimits(5, 100), s.limits().of("guest"));
        assertEquals(new NamespaceLimits(30, 60), s.limits().of("other"));
        assertEquals("http://10.0.0.2:8085", s.invokers().get(0).url());
        assertEquals(4096, s.invokers().get(1).capacityMb());
    }

    @Test
    void shouldReadAuthAndActionFilesWithComments(@TempDir Path dir) throws Exception {
        Path auth = Files.writeString(dir.resolve("auth"), "# keys\n\n" + AUTH
                + "\nother 11111111-2222-3333-4444-555555555555:abc\n");
        Path actions = Files.writeString(dir.resolve("actions"), "# catalog\n*/echo echo 256 60s\n\n"
                + "guest/p/a sleep 512 2m\n");
        Map<String, String> env = minimal();
        env.remove("AUTH");
        env.put("AUTH_FILE", auth.toString());
        env.put("ACTIONS_FILE", actions.toString());

        ControllerSettings s = from(env);

        assertEquals(2, s.credentials().size());
        assertEquals("other", s.credentials().get(1).namespace());
        assertEquals(new ActionSpec("p/a", "sleep", 512, 120_000), s.catalog().find("guest", "p/a").orElseThrow());
        assertEquals(2, s.catalog().entries().size());
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', value = {
        "API_PORT|70000",
        "INVOKERS|invoker0=ftp://x=2048",
        "INVOKERS|invoker0=http://127.0.0.1:8085=0",
        "INVOKERS|invoker0=http://127.0.0.1:8085",
        "INVOKERS|a=http://h:1=10,a=http://h:2=10",
        "ACTIONS|*/echo=python:256:60s",
        "ACTIONS|*/echo=echo:4096:60s",
        "ACTIONS|*/echo=echo:256:forever",
        "ACTIONS|echo=echo:256:60s",
        "ACTIONS|*/-bad=echo:256:60s",
        "NAMESPACE_LIMITS|guest=0/10",
        "NAMESPACE_LIMITS|guest=10",
        "NAMESPACE_CONCURRENCY_LIMIT|many",
        "INVOKER_OFFLINE_AFTER|1s",
        "MAX_JSON_DEPTH|0",
        "BLOCKING_WAIT_MAX|1h",
    })
    void shouldRefuseABadValueNamingTheVariableAndTheValue(String variable, String value) {
        Map<String, String> env = minimal();
        env.put(variable, value);

        ConfigException e = refused(env);

        assertEquals(variable, e.variable());
        assertTrue(e.getMessage().startsWith(variable + "="), e.getMessage());
    }

    @Test
    void shouldRequireInvokersAndKeys() {
        Map<String, String> noInvokers = minimal();
        noInvokers.remove("INVOKERS");
        assertEquals("INVOKERS", refused(noInvokers).variable());

        Map<String, String> noAuth = minimal();
        noAuth.remove("AUTH");
        assertEquals("AUTH", refused(noAuth).variable());

        Map<String, String> both = minimal();
        both.put("AUTH_FILE", "/nowhere");
        assertEquals("AUTH_FILE", refused(both).variable());

        Map<String, String> samePorts = minimal();
        samePorts.put("API_PORT", "4000");
        samePorts.put("ADMIN_PORT", "4000");
        assertEquals("ADMIN_PORT", refused(samePorts).variable());
    }

    @Test
    void shouldNeverPutAKeyIntoAMessage() {
        for (String bad : new String[] {
            "guest not-a-uuid:" + KEY,
            "guest 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + KEY + " extra",
            "23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + KEY,
            "guest 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + KEY + "; other 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + KEY,
            "guest 23bc46b1-71f6-4ed5-8c54-816aa4f8c502:" + "k".repeat(257)}) {
            Map<String, String> env = minimal();
            env.put("AUTH", bad);

            ConfigException e = refused(env);

            assertEquals("AUTH", e.variable());
            assertFalse(e.getMessage().contains(KEY), e.getMessage());
            assertFalse(e.getMessage().contains("kkkk"), e.getMessage());
        }
        Map<String, String> env = minimal();
        env.put("ADMIN_TOKEN", "secret-admin");
        env.put("INVOKER_TOKEN", "secret-invoker");
        String text = from(env).toString();
        assertFalse(text.contains(KEY) || text.contains("secret-admin") || text.contains("secret-invoker"), text);
        assertFalse(from(env).credentials().toString().contains(KEY));
    }
}
