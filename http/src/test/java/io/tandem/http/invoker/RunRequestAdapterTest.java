package io.tandem.http.invoker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RunRequestAdapterTest {
    private static final String VALID = "{\"activationId\": \"0123456789abcdef\", \"namespace\": \"guest\","
            + " \"action\": \"guest/demo/sleep\", \"kind\": \"sleep\", \"memoryMb\": 256, \"timeLimitMs\": 60000,"
            + " \"params\": {\"ms\": 500}, \"controllerId\": \"c1\","
            + " \"callback\": \"http://127.0.0.1:3233/internal/v1/completions\"}";

    private static RunRequest decode(String s) {
        return RunRequestAdapter.decode(s.getBytes(StandardCharsets.UTF_8));
    }

    private static String with(String field, Object value) {
        JsonObject o = JsonParser.parseString(VALID).getAsJsonObject();
        if (value == null) {
            o.remove(field);
        } else if (value instanceof Number) {
            o.addProperty(field, (Number) value);
        } else if (value instanceof JsonObject) {
            o.add(field, (JsonObject) value);
        } else {
            o.addProperty(field, value.toString());
        }
        return o.toString();
    }

    private static String rejected(String body) {
        return assertThrows(BadRequestException.class, () -> decode(body), body).getMessage();
    }

    @Test
    void shouldDecodeTheDocumentedExample() {
        RunRequest r = decode(VALID);

        assertEquals("0123456789abcdef", r.activationId());
        assertEquals("guest", r.namespace());
        assertEquals("guest/demo/sleep", r.action());
        assertEquals(ActionKind.SLEEP, r.kind());
        assertEquals(256, r.memoryMb());
        assertEquals(60_000, r.timeLimitMs());
        assertEquals(500, r.params().get("ms").getAsInt());
        assertEquals("c1", r.controllerId());
        assertEquals(URI.create("http://127.0.0.1:3233/internal/v1/completions"), r.callback());
    }

    @Test
    void shouldTreatParamsAndControllerIdAsOptional() {
        JsonObject o = JsonParser.parseString(VALID).getAsJsonObject();
        o.remove("params");
        o.remove("controllerId");

        RunRequest r = decode(o.toString());

        assertEquals(new JsonObject(), r.params());
        assertNull(r.controllerId());
    }

    @Test
    void shouldRejectWhatIsNotStrictJson() {
        assertTrue(rejected("{activationId: 'x'}").contains("not valid JSON"));
        assertTrue(rejected(VALID + " {}").contains("JSON"));
        assertTrue(rejected("\"just a string\"").contains("JSON object"));
        assertTrue(rejected("").contains("empty"));
    }

    @Test
    void shouldNameTheFieldThatIsWrong() {
        assertTrue(rejected(with("activationId", null)).startsWith("activationId"));
        assertTrue(rejected(with("activationId", " ")).startsWith("activationId"));
        assertTrue(rejected(with("activationId", 7)).startsWith("activationId"));
        assertTrue(rejected(with("namespace", "a\nb")).startsWith("namespace"));
        assertTrue(rejected(with("kind", "python:3")).startsWith("kind"));
        assertTrue(rejected(with("memoryMb", 0)).startsWith("memoryMb"));
        assertTrue(rejected(with("memoryMb", 1.5)).startsWith("memoryMb"));
        assertTrue(rejected(with("memoryMb", "256")).startsWith("memoryMb"));
        assertTrue(rejected(with("timeLimitMs", -5)).startsWith("timeLimitMs"));
        assertTrue(rejected(with("params", "x")).startsWith("params"));
        assertTrue(rejected(with("callback", "not a url at all")).startsWith("callback"));
        assertTrue(rejected(with("callback", "/relative/path")).startsWith("callback"));
        assertTrue(rejected(with("callback", "file:///etc/passwd")).startsWith("callback"));
        assertTrue(rejected(with("activationId", "x".repeat(RunRequestAdapter.MAX_ID_LENGTH + 1)))
                .startsWith("activationId"));
    }

    @Test
    void shouldAcceptAWholeNumberWrittenWithAFraction() {
        assertEquals(256, decode(with("memoryMb", 256.0)).memoryMb());
    }
}
