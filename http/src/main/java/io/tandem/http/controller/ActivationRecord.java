package io.tandem.http.controller;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;

/**
 * Builds OpenWhisk activation records: {@code activationId, namespace, name, version, subject, start, end, duration,
 * logs, annotations [path, kind, limits, invoker, waitTime], response {status, statusCode, success, result},
 * publish}. Stateless.
 */
final class ActivationRecord {
    static final String VERSION = "0.0.1";

    private ActivationRecord() {
    }

    static JsonObject build(String activationId, Flight f, String invokerId, ResponseStatus status,
                            JsonElement result, long startMs, long endMs, JsonArray logs) {
        JsonObject r = new JsonObject();
        r.addProperty("activationId", activationId);
        r.addProperty("namespace", f.namespace());
        r.addProperty("name", f.name());
        r.addProperty("version", VERSION);
        r.addProperty("subject", f.subject());
        r.addProperty("start", startMs);
        r.addProperty("end", endMs);
        r.addProperty("duration", Math.max(0, endMs - startMs));
        r.add("logs", logs == null ? new JsonArray() : logs);
        JsonArray annotations = new JsonArray();
        annotations.add(annotation("path", f.path()));
        annotations.add(annotation("kind", f.spec().kind()));
        JsonObject limits = new JsonObject();
        limits.addProperty("memory", f.spec().memoryMb());
        limits.addProperty("timeout", f.spec().timeLimitMs());
        JsonObject lim = new JsonObject();
        lim.addProperty("key", "limits");
        lim.add("value", limits);
        annotations.add(lim);
        annotations.add(annotation("invoker", invokerId));
        JsonObject wait = new JsonObject();
        wait.addProperty("key", "waitTime");
        wait.addProperty("value", Math.max(0, startMs - f.admittedMs()));
        annotations.add(wait);
        r.add("annotations", annotations);
        JsonObject response = new JsonObject();
        response.addProperty("status", status.wire());
        response.addProperty("statusCode", status.code());
        response.addProperty("success", status == ResponseStatus.SUCCESS);
        response.add("result", result == null || result.isJsonNull() ? new JsonObject() : result);
        r.add("response", response);
        r.addProperty("publish", false);
        return r;
    }

    /** The result of an activation the platform ended: {@code {"error": message}}. */
    static JsonObject error(String message) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        return o;
    }

    /** The 202 body. */
    static String accepted(String activationId) {
        JsonObject o = new JsonObject();
        o.addProperty("activationId", activationId);
        return Replies.GSON.toJson(o);
    }

    private static JsonObject annotation(String key, String value) {
        JsonObject o = new JsonObject();
        o.addProperty("key", key);
        o.addProperty("value", value);
        return o;
    }
}
