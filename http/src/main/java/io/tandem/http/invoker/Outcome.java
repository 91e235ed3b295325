package io.tandem.http.invoker;

import com.google.gson.JsonObject;
import java.util.List;

/** What an action produced: its status, its result object and its log lines. Immutable once built. */
record Outcome(ActivationStatus status, JsonObject result, List<String> logs) {
    Outcome {
        logs = List.copyOf(logs);
    }

    static Outcome of(ActivationStatus status, JsonObject result, String logLine) {
        return new Outcome(status, result, List.of(logLine));
    }

    static Outcome error(ActivationStatus status, String message, String logLine) {
        JsonObject r = new JsonObject();
        r.addProperty("error", message);
        return of(status, r, logLine);
    }
}
