package io.tandem.http.controller;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class InvokeParamsTest {
    private static String parse(String body) {
        return InvokeParams.parse(body.getBytes(StandardCharsets.UTF_8), 3, 3).toString();
    }

    @Test
    void shouldTakeAnEmptyOrBlankBodyAsNoParameters() {
        assertEquals("{}", parse(""));
        assertEquals("{}", parse("  \n"));
    }

    @Test
    void shouldKeepNumbersAndNullsExactlyAsSent() {
        assertEquals("{\"a\":1.50,\"b\":1e400,\"c\":[null,true,\"x\",-0.0]}",
                parse("{\"a\":1.50,\"b\":1e400,\"c\":[null,true,\"x\",-0.0]}"));
    }

    @Test
    void shouldAcceptTheLimitsExactly() {
        assertEquals("{\"a\":{\"b\":[]},\"b\":2,\"c\":3}", parse("{\"a\":{\"b\":[]},\"b\":2,\"c\":3}"));
        assertEquals("{\"a\":2}", parse("{\"a\":1,\"a\":2}"), "a repeated name counts once; the last wins");
    }

    @ParameterizedTest
    @ValueSource(strings = {"{", "{\"a\":}", "[]", "1", "\"s\"", "null", "{} {}", "{'a':1}", "{\"a\":NaN}",
        "{\"a\":1,\"b\":2,\"c\":3,\"d\":4}", "{\"a\":{\"b\":{\"c\":{}}}}", "{\"a\":[[[1]]]}"})
    void shouldRefuseABadBodyWith400(String body) {
        ApiException e = assertThrows(ApiException.class, () -> parse(body));
        assertEquals(400, e.status());
    }

    @ParameterizedTest
    @ValueSource(strings = {"{'a':1}", "{\"a\":NaN}", "{\"a\":1} x", "{/* c */}", "{\"a\":\"x}"})
    void shouldSayWhatIsWrongWithoutTheParsersAdviceToProgrammers(String body) {
        ApiException e = assertThrows(ApiException.class,
                () -> InvokeParams.parse(body.getBytes(StandardCharsets.UTF_8), 10, 10));
        assertEquals(400, e.status());
        assertTrue(e.getMessage().startsWith(InvokeParams.MALFORMED), e.getMessage());
        assertFalse(e.getMessage().contains("JsonReader") || e.getMessage().contains("http"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), e.getMessage());
    }

    @Test
    void shouldRefuseInvalidUtf8() {
        ApiException e = assertThrows(ApiException.class,
                () -> InvokeParams.parse(new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'}, 3, 3));
        assertTrue(e.getMessage().contains("UTF-8"));
    }

    @Test
    void shouldNotRecurseIntoAHostileNesting() {
        String deep = "{\"a\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}";
        ApiException e = assertThrows(ApiException.class,
                () -> InvokeParams.parse(deep.getBytes(StandardCharsets.UTF_8), 10, 32));
        assertTrue(e.getMessage().contains("nested deeper than 32"), e.getMessage());
    }
}
