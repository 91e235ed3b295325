package io.tandem.http.controller;

import static io.tandem.http.controller.ControllerFixture.LIMITED_KEY;
import static io.tandem.http.controller.ControllerFixture.LIMITED_UUID;
import static io.tandem.http.controller.ControllerFixture.basic;
import static io.tandem.http.controller.ControllerFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.core.admission.SharePolicy;
import io.tandem.http.invoker.InvokerSettings;
import io.tandem.http.invoker.ReferenceInvoker;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Pacing through the API of a controller that believes it is one of three in a view: near the namespace limit a
 * request within it waits for this controller's share of the headroom instead of being refused, and gets the 429
 * only when it waited {@code ADMISSION_PACE_MAX_WAIT}. Namespace "limited" has a concurrency limit of 3 here.
 */
@Timeout(30)
class PacingTest {
    private static final String SLEEP = "/api/v1/namespaces/_/actions/sleep";
    private static final String LONG = "{\"ms\":2000}";
    private final String limited = basic(LIMITED_UUID, LIMITED_KEY);
    private ReferenceInvoker invoker;
    private ControllerFixture fx;

    @BeforeEach
    void startInvoker() {
        invoker = ReferenceInvoker.start(new InvokerSettings("invoker0", "127.0.0.1", 0, 4096, 1000, 2, 10_000, null));
    }

    private void startController(String window, String maxWait) {
        Map<String, String> env = ControllerFixture.env("invoker0=http://127.0.0.1:" + invoker.port() + "=4096");
        env.put("ACTIONS", "*/sleep=sleep:256:60s");
        env.put("NAMESPACE_LIMITS", "limited=3/100000");
        env.put("ADMISSION_PACE_WINDOW", window);
        env.put("ADMISSION_PACE_MAX_WAIT", maxWait);
        fx = ControllerFixture.start(env, new StubReplicator(), SharePolicy.clustered(() -> 3, () -> 0, 3))
                .awaitReady();
    }

    @AfterEach
    void nothingIsLeft() {
        try {
            if (fx != null) {
                fx.assertNoLeak();
            }
        } finally {
            if (fx != null) {
                fx.close();
            }
            invoker.close();
        }
    }

    @Test
    void shouldAdmitEveryRequestWithinTheLimitAfterAShortWaitAndRefuseTheOneBeyondIt() {
        startController("20ms", "2s");
        for (int i = 0; i < 3; i++) {
            HttpResponse<String> ok = fx.send("POST", SLEEP, LONG, limited);
            assertEquals(202, ok.statusCode(), "request " + i + " is within the limit: " + ok.body());
        }

        HttpResponse<String> over = fx.send("POST", SLEEP, LONG, limited);

        assertEquals(429, over.statusCode(), over.body());
        assertEquals("Too many concurrent requests in flight (count: 3, allowed: 3).",
                json(over).get("error").getAsString());
        assertEquals(3, fx.bookkeeping().getAsJsonObject("totals").getAsJsonObject("namespaces").get("limited")
                .getAsLong());
        // a third of 3 per window: the second and third request were paced at least once
        assertTrue(metric("tandem_paced_total") >= 2, "paced: " + metric("tandem_paced_total"));
    }

    @Test
    void shouldAnswer429WithThePacingMessageWhenTheWaitIsUsedUpAndBookNothing() {
        // one window per second: the first request takes this controller's quota of 1 (a third of 3)
        startController("1s", "0ms");
        HttpResponse<String> first = fx.send("POST", SLEEP, LONG, limited);
        assertEquals(202, first.statusCode(), first.body());

        HttpResponse<String> second = fx.send("POST", SLEEP, LONG, limited);

        assertEquals(429, second.statusCode(), second.body());
        assertEquals("Too many concurrent requests in flight (count: 1, allowed: 3). The rest of the limit was being"
                + " taken through other controllers.", json(second).get("error").getAsString());
        assertEquals(1, fx.bookkeeping().getAsJsonObject("totals").getAsJsonObject("namespaces").get("limited")
                .getAsLong());
        assertTrue(metric("tandem_throttled_total{reason=\"concurrency\"}") >= 1);
    }

    private long metric(String name) {
        String body = fx.admin("/metrics", ControllerFixture.ADMIN_TOKEN).body();
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)").matcher(body);
        assertTrue(m.find(), name + " in /metrics");
        return Long.parseLong(m.group(1));
    }
}
