package io.tandem.http.security;

import static io.tandem.http.security.SecurityFixture.ADMIN_TOKEN;
import static io.tandem.http.security.SecurityFixture.GUEST;
import static io.tandem.http.security.SecurityFixture.GUEST_KEY;
import static io.tandem.http.security.SecurityFixture.GUEST_UUID;
import static io.tandem.http.security.SecurityFixture.INVOKER_TOKEN;
import static io.tandem.http.security.SecurityFixture.OTHER;
import static io.tandem.http.security.SecurityFixture.OTHER_KEY;
import static io.tandem.http.security.SecurityFixture.basic;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.http.controller.ControllerLogging;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Issue 7: keys and tokens never appear in the log (every level, ours and the libraries', captured from
 * java.util.logging while authentication fails in every way), nor in /metrics, /cluster or /bookkeeping.
 */
@Timeout(60)
class SecretsNotLoggedTest {
    /** A wrong key that looks like a real one: it must not be logged either. */
    private static final String WRONG_KEY = "WrongKeyCanary31415926535897932384626433832795028841971693993751";
    private static final String WRONG_TOKEN = "WrongTokenCanary2718281828459045";

    @Test
    void shouldNeverLogOrExposeAKeyOrToken() {
        List<String> lines = new CopyOnWriteArrayList<>();
        ControllerLogging.OneLineFormatter formatter = new ControllerLogging.OneLineFormatter("c1");
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord r) {
                lines.add(formatter.format(r));
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        capture.setLevel(Level.ALL);
        Logger root = Logger.getLogger("");
        Level rootLevel = root.getLevel();
        List<Logger> raised = new ArrayList<>();
        for (String name : List.of("io.tandem", "io.undertow", "org.xnio")) {
            Logger l = Logger.getLogger(name);
            l.setLevel(Level.ALL);
            raised.add(l); // kept referenced so the level sticks
        }
        root.addHandler(capture);
        List<String> answers = new ArrayList<>();
        try (SecurityFixture fx = SecurityFixture.start()) {
            // every way authentication can fail
            answers.add(fx.invoke(basic(GUEST_UUID, WRONG_KEY), "_", "{}").body());
            answers.add(fx.invoke(basic(GUEST_UUID, GUEST_KEY + "x"), "_", "{}").body());
            answers.add(fx.invoke(basic("99999999-9999-9999-9999-999999999999", GUEST_KEY), "_", "{}").body());
            answers.add(fx.invoke("Basic " + GUEST_KEY, "_", "{}").body());
            answers.add(fx.invoke("Bearer " + GUEST_KEY, "_", "{}").body());
            answers.add(fx.invoke(OTHER, "guest", "{}").body());
            answers.add(fx.get(OTHER, "/api/v1/namespaces/guest/activations/" + "a".repeat(32)).body());
            answers.add(fx.admin("/metrics", WRONG_TOKEN).body());
            answers.add(fx.admin("/bookkeeping", GUEST_KEY).body());
            answers.add(fx.send("POST", fx.apiUrl() + "/internal/v1/completions", "{}", "Bearer " + WRONG_TOKEN)
                    .body());
            // and a success, whose request log must not carry the key either
            HttpResponse<String> ok = fx.invoke(GUEST, "_", "{}");
            assertEquals(200, ok.statusCode(), ok.body());
            fx.awaitTotalsZero();

            HttpResponse<String> metrics = fx.admin("/metrics", ADMIN_TOKEN);
            assertEquals(200, metrics.statusCode());
            answers.add(metrics.body());
            answers.add(fx.admin("/cluster", ADMIN_TOKEN).body());
            answers.add(fx.admin("/bookkeeping", ADMIN_TOKEN).body());
        } finally {
            root.removeHandler(capture);
            root.setLevel(rootLevel);
            for (Logger l : raised) {
                l.setLevel(null);
            }
        }
        assertTrue(lines.size() > 5, "the log was captured: " + lines.size() + " lines");
        for (String secret : List.of(GUEST_KEY, OTHER_KEY, WRONG_KEY, ADMIN_TOKEN, WRONG_TOKEN, INVOKER_TOKEN,
                // a key's distinctive middle, in case it were truncated or split
                GUEST_KEY.substring(20, 44), WRONG_KEY.substring(20, 44),
                // the Base64 of the credentials, as they travel in the header
                GUEST.substring(6, 40), basic(GUEST_UUID, WRONG_KEY).substring(6, 40))) {
            for (String line : lines) {
                assertFalse(line.contains(secret), "the log holds a secret: " + line);
            }
            for (String body : answers) {
                assertFalse(body.contains(secret), "an answer holds a secret: " + body);
            }
        }
    }
}
