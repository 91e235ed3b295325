package io.tandem.http.invoker;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Decodes {@code POST /v1/run} bodies into {@link RunRequest}s. Every rejection is a {@link BadRequestException}
 * whose message says which field is wrong and why. Stateless and thread-safe.
 */
final class RunRequestAdapter {
    /** Activation ids embed controller ids; this bounds them without guessing their exact format. */
    static final int MAX_ID_LENGTH = 256;
    static final int MAX_NAME_LENGTH = 1024;

    private RunRequestAdapter() {
    }

    static RunRequest decode(byte[] body) {
        JsonObject o = parseObject(body);
        String activationId = name(o, "activationId", MAX_ID_LENGTH);
        String namespace = name(o, "namespace", MAX_NAME_LENGTH);
        String action = name(o, "action", MAX_NAME_LENGTH);
        String kindName = string(o, "kind", true);
        ActionKind kind = ActionKind.fromWire(kindName);
        if (kind == null) {
            throw new BadRequestException("kind '" + kindName + "' is not a built-in action (echo, sleep, fail, error, cpu)");
        }
        long memoryMb = wholeNumber(o, "memoryMb", 1, Integer.MAX_VALUE);
        long timeLimitMs = wholeNumber(o, "timeLimitMs", 1, Long.MAX_VALUE / 1_000_000);
        JsonObject params = new JsonObject();
        JsonElement p = o.get("params");
        if (p != null && !p.isJsonNull()) {
            if (!p.isJsonObject()) {
                throw new BadRequestException("params must be a JSON object");
            }
            params = p.getAsJsonObject();
        }
        String controllerId = string(o, "controllerId", false);
        URI callback = callback(string(o, "callback", true));
        return new RunRequest(activationId, namespace, action, kind, (int) memoryMb, timeLimitMs, params,
                controllerId, callback);
    }

    private static JsonObject parseObject(byte[] body) {
        if (body.length == 0) {
            throw new BadRequestException("the body is empty; expected a JSON object");
        }
        // Gson parses leniently unless told otherwise; a strict reader rejects what other clients would reject.
        try (Reader r = new InputStreamReader(new ByteArrayInputStream(body), StandardCharsets.UTF_8);
             JsonReader reader = new JsonReader(r)) {
            reader.setStrictness(Strictness.STRICT);
            JsonElement e = JsonParser.parseReader(reader);
            if (reader.peek() != JsonToken.END_DOCUMENT) {
                throw new BadRequestException("the body has content after the JSON object");
            }
            if (!e.isJsonObject()) {
                throw new BadRequestException("the body must be a JSON object");
            }
            return e.getAsJsonObject();
        } catch (JsonParseException | IOException | IllegalStateException e) {
            throw new BadRequestException("the body is not valid JSON: " + rootMessage(e));
        }
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    private static String string(JsonObject o, String field, boolean required) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            if (required) {
                throw new BadRequestException(field + " is required");
            }
            return null;
        }
        if (!e.isJsonPrimitive() || !e.getAsJsonPrimitive().isString()) {
            throw new BadRequestException(field + " must be a string");
        }
        return e.getAsString();
    }

    private static String name(JsonObject o, String field, int maxLength) {
        String s = string(o, field, true);
        if (s.isBlank() || s.length() > maxLength) {
            throw new BadRequestException(field + " must be a non-blank string of at most " + maxLength + " characters");
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isISOControl(s.charAt(i))) {
                throw new BadRequestException(field + " must not contain control characters");
            }
        }
        return s;
    }

    private static long wholeNumber(JsonObject o, String field, long min, long max) {
        JsonElement e = o.get(field);
        if (e == null || e.isJsonNull()) {
            throw new BadRequestException(field + " is required");
        }
        if (!e.isJsonPrimitive() || !((JsonPrimitive) e).isNumber()) {
            throw new BadRequestException(field + " must be a number");
        }
        BigDecimal d = e.getAsBigDecimal();
        try {
            long n = d.longValueExact();
            if (n < min || n > max) {
                throw new BadRequestException(field + " must be between " + min + " and " + max + ", was " + n);
            }
            return n;
        } catch (ArithmeticException ex) {
            throw new BadRequestException(field + " must be a whole number between " + min + " and " + max);
        }
    }

    private static URI callback(String s) {
        URI u;
        try {
            u = new URI(s);
        } catch (URISyntaxException e) {
            throw new BadRequestException("callback is not a valid URL: " + e.getMessage());
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https") || u.getHost() == null) {
            throw new BadRequestException("callback must be an absolute http or https URL");
        }
        return u;
    }
}
