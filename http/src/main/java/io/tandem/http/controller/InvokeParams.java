package io.tandem.http.controller;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonNull;
import com.google.gson.JsonObject;
import com.google.gson.JsonPrimitive;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import java.io.IOException;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Parses an invoke body into its parameters: an optional JSON object (an empty body is {@code {}}), strict JSON,
 * valid UTF-8, at most {@code maxParams} top-level parameters and at most {@code maxDepth} levels of nesting (the
 * top-level object is level 1). Every violation is an {@link ApiException} with status 400.
 *
 * <p>The tree is built here, not by Gson's binder, so that the depth is checked before a level is entered (a
 * hostile body cannot make us recurse deeper than {@code maxDepth}) and numbers keep their exact text. Stateless
 * and thread-safe.
 */
final class InvokeParams {
    static final String MALFORMED = "The request content was malformed: ";

    private InvokeParams() {
    }

    static JsonObject parse(byte[] body, int maxParams, int maxDepth) {
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw new ApiException(400, MALFORMED + "the body is not valid UTF-8.");
        }
        if (text.isBlank()) {
            return new JsonObject();
        }
        JsonReader r = new JsonReader(new StringReader(text));
        r.setStrictness(Strictness.STRICT);
        r.setNestingLimit(maxDepth + 1);
        try {
            if (r.peek() != JsonToken.BEGIN_OBJECT) {
                throw new ApiException(400, MALFORMED + "the body must be a JSON object of parameters.");
            }
            JsonObject params = new JsonObject();
            r.beginObject();
            int count = 0;
            while (r.hasNext()) {
                String name = r.nextName();
                if (!params.has(name) && ++count > maxParams) {
                    throw new ApiException(400, "The request has more than " + maxParams
                            + " parameters (the limit is MAX_PARAMS=" + maxParams + ").");
                }
                params.add(name, value(r, 2, maxDepth));
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new ApiException(400, MALFORMED + "unexpected content after the JSON object.");
            }
            return params;
        } catch (IOException | IllegalStateException | NumberFormatException e) {
            throw new ApiException(400, MALFORMED + describe(e) + ".");
        }
    }

    /**
     * Gson's reason without its advice to the programmer ("Use JsonReader.setStrictness(Strictness.LENIENT) ...",
     * "See https://github.com/..."): the client gets what is wrong and where.
     */
    static String describe(Exception e) {
        String m = String.valueOf(e.getMessage());
        int see = m.indexOf("\nSee ");
        if (see >= 0) {
            m = m.substring(0, see);
        }
        m = m.replace("Use JsonReader.setStrictness(Strictness.LENIENT) to accept malformed JSON", "not valid JSON");
        return m.strip();
    }

    /** Reads one value whose containers, if it is one, sit at {@code depth}. */
    private static JsonElement value(JsonReader r, int depth, int maxDepth) throws IOException {
        switch (r.peek()) {
            case BEGIN_OBJECT: {
                tooDeep(depth, maxDepth);
                JsonObject o = new JsonObject();
                r.beginObject();
                while (r.hasNext()) {
                    String name = r.nextName();
                    o.add(name, value(r, depth + 1, maxDepth));
                }
                r.endObject();
                return o;
            }
            case BEGIN_ARRAY: {
                tooDeep(depth, maxDepth);
                JsonArray a = new JsonArray();
                r.beginArray();
                while (r.hasNext()) {
                    a.add(value(r, depth + 1, maxDepth));
                }
                r.endArray();
                return a;
            }
            case STRING:
                return new JsonPrimitive(r.nextString());
            case NUMBER:
                return new JsonPrimitive(new JsonNumber(r.nextString()));
            case BOOLEAN:
                return new JsonPrimitive(r.nextBoolean());
            case NULL:
                r.nextNull();
                return JsonNull.INSTANCE;
            default:
                throw new ApiException(400, MALFORMED + "unexpected " + r.peek() + " at " + r.getPath());
        }
    }

    private static void tooDeep(int depth, int maxDepth) {
        if (depth > maxDepth) {
            throw new ApiException(400, "The request content is nested deeper than " + maxDepth
                    + " levels (the limit is MAX_JSON_DEPTH=" + maxDepth + ").");
        }
    }

    /** A JSON number kept as its literal text, so the parameters reach the invoker exactly as sent. Immutable. */
    static final class JsonNumber extends Number {
        private final String text;

        JsonNumber(String text) {
            this.text = text;
        }

        @Override
        public int intValue() {
            return (int) longValue();
        }

        @Override
        public long longValue() {
            try {
                return Long.parseLong(text);
            } catch (NumberFormatException e) {
                return new java.math.BigDecimal(text).longValue();
            }
        }

        @Override
        public float floatValue() {
            return Float.parseFloat(text);
        }

        @Override
        public double doubleValue() {
            return Double.parseDouble(text);
        }

        @Override
        public String toString() {
            return text;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof JsonNumber n && n.text.equals(text);
        }

        @Override
        public int hashCode() {
            return text.hashCode();
        }
    }
}
