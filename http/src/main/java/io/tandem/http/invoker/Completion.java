package io.tandem.http.invoker;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import java.net.URI;
import java.nio.charset.StandardCharsets;

/**
 * One activation's completion, addressed to the controller that dispatched it. Immutable; the body is encoded
 * once, when the completion is made, so retries resend the same bytes.
 */
record Completion(String activationId, URI callback, byte[] body) {
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    static Completion of(String invokerId, Activation a, Outcome o, long endMs) {
        RunRequest r = a.request();
        JsonObject j = new JsonObject();
        j.addProperty("activationId", r.activationId());
        j.addProperty("invokerId", invokerId);
        j.addProperty("namespace", r.namespace());
        j.addProperty("action", r.action());
        j.addProperty("status", o.status().wire());
        j.add("result", o.result());
        j.addProperty("start", a.startMs());
        j.addProperty("end", endMs);
        JsonArray logs = new JsonArray();
        o.logs().forEach(logs::add);
        j.add("logs", logs);
        return new Completion(r.activationId(), r.callback(), GSON.toJson(j).getBytes(StandardCharsets.UTF_8));
    }
}
