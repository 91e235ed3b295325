package io.tandem.http.security;

import static io.tandem.http.security.SecurityFixture.GUEST;
import static io.tandem.http.security.SecurityFixture.OTHER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonParser;
import java.net.http.HttpResponse;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Issue 7: one tenant's key on another tenant's namespace and activations: 403 or 404, and nothing revealed. */
@Timeout(60)
class TenantIsolationTest {
    /** Something only guest's activation holds: it must never reach the other tenant. */
    private static final String PRIVATE = "guest-private-value-7f3a9c";
    private static SecurityFixture fx;
    private static String guestActivation;

    @BeforeAll
    static void start() {
        fx = SecurityFixture.start();
        HttpResponse<String> r = fx.invoke(GUEST, "_", "{\"secret\":\"" + PRIVATE + "\"}");
        assertEquals(200, r.statusCode(), r.body());
        assertTrue(r.body().contains(PRIVATE), "echo returns its parameters");
        guestActivation = JsonParser.parseString(r.body()).getAsJsonObject().get("activationId").getAsString();
        fx.awaitTotalsZero();
    }

    @AfterAll
    static void stop() {
        if (fx != null) {
            fx.close();
        }
    }

    @AfterEach
    void nothingCounted() {
        fx.awaitTotalsZero();
    }

    @Test
    void shouldAnswer403ToAnInvokeInAnotherTenantsNamespace() {
        for (String ns : List.of("guest", "GUEST", "%67uest", "guest%00", "guest/../guest")) {
            HttpResponse<String> r = fx.invoke(OTHER, ns, "{}");
            assertTrue(r.statusCode() == 403 || r.statusCode() == 400 || r.statusCode() == 404,
                    ns + ": " + r.statusCode() + " " + r.body());
            assertNothingRevealed(r);
        }
        assertEquals(403, fx.invoke(OTHER, "guest", "{}").statusCode());
        // and the other way round
        assertEquals(403, fx.invoke(GUEST, "other", "{}").statusCode());
    }

    @Test
    void shouldAnswer403ForAnotherTenantsNamespaceAnd404ForItsActivationsInOurOwn() {
        for (String suffix : List.of("", "/result", "/logs")) {
            HttpResponse<String> named = fx.get(OTHER, "/api/v1/namespaces/guest/activations/" + guestActivation
                    + suffix);
            assertEquals(403, named.statusCode(), named.body());
            assertNothingRevealed(named);
            for (String own : List.of("_", "other")) {
                HttpResponse<String> viaOwn = fx.get(OTHER, "/api/v1/namespaces/" + own + "/activations/"
                        + guestActivation + suffix);
                assertEquals(404, viaOwn.statusCode(), viaOwn.body());
                assertNothingRevealed(viaOwn);
            }
        }
        // guest still sees it: the record exists, the 404 above was the isolation, not a lookup miss
        assertEquals(200, fx.get(GUEST, "/api/v1/namespaces/_/activations/" + guestActivation).statusCode());
    }

    @Test
    void shouldAnswerTheSameForAnotherTenantsActivationAsForOneThatDoesNotExist() {
        // same controller tag, another sequence: a well-formed id that was never issued
        String missing = guestActivation.substring(0, 8) + "0".repeat(24);
        HttpResponse<String> foreign = fx.get(OTHER, "/api/v1/namespaces/_/activations/" + guestActivation);
        HttpResponse<String> absent = fx.get(OTHER, "/api/v1/namespaces/_/activations/" + missing);
        assertEquals(absent.statusCode(), foreign.statusCode());
        assertEquals(error(absent), error(foreign), "no oracle: the error text is the same");
    }

    @Test
    void shouldNotLetAnotherTenantsKeyActAsAdminOrInvoker() {
        HttpResponse<String> admin = fx.admin("/bookkeeping", SecurityFixture.OTHER_KEY);
        assertEquals(401, admin.statusCode(), admin.body());
        assertNothingRevealed(admin);
        HttpResponse<String> completion = fx.send("POST", fx.apiUrl() + "/internal/v1/completions",
                "{\"activationId\":\"" + guestActivation + "\",\"status\":\"success\",\"result\":{}}", OTHER);
        assertEquals(401, completion.statusCode(), completion.body());
        assertNothingRevealed(completion);
    }

    private static String error(HttpResponse<String> r) {
        return JsonParser.parseString(r.body()).getAsJsonObject().get("error").getAsString();
    }

    private static void assertNothingRevealed(HttpResponse<String> r) {
        assertTrue(SecurityFixture.isJsonError(r.body()), "a JSON error: " + r.body());
        assertFalse(r.body().contains(PRIVATE), r.body());
        assertFalse(r.body().contains(SecurityFixture.GUEST_KEY), r.body());
        assertFalse(r.body().contains(SecurityFixture.OTHER_KEY), r.body());
        assertFalse(r.body().contains(SecurityFixture.GUEST_UUID), r.body());
        assertFalse(r.body().contains("\"response\""), "no record: " + r.body());
        assertFalse(r.headers().firstValue("X-OpenWhisk-Activation-Id").isPresent(), "no activation id header");
    }
}
