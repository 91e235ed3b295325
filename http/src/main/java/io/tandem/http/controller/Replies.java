package io.tandem.http.controller;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import io.undertow.util.HttpString;
import io.undertow.util.SameThreadExecutor;
import java.lang.System.Logger.Level;

/**
 * How the controller's HTTP answers are written: JSON bodies, OpenWhisk's error shape {@code {"error", "code"}},
 * and the rule for answering later. An exchange that is answered after its handler returned (a blocking invoke, a
 * forwarded GET) is first marked dispatched with {@link #keepOpen}, and the answer is then written on the exchange's
 * own IO thread with {@link #later}, whatever thread the event arrived on.
 *
 * <p>Stateless and thread-safe.
 */
final class Replies {
    static final HttpString ACTIVATION_ID = new HttpString("x-openwhisk-activation-id");
    static final HttpString REQUEST_ID = new HttpString("x-request-id");
    static final String JSON = "application/json";
    static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();
    private static final System.Logger LOG = System.getLogger(Replies.class.getName());
    private static final Runnable NOTHING = () -> { };

    private Replies() {
    }

    static void json(HttpServerExchange ex, int status, String body) {
        if (ex.isResponseStarted()) {
            ex.endExchange();
            return;
        }
        ex.setStatusCode(status);
        ex.getResponseHeaders().put(Headers.CONTENT_TYPE, JSON);
        ex.getResponseSender().send(body);
    }

    static void json(HttpServerExchange ex, int status, JsonElement body) {
        json(ex, status, GSON.toJson(body));
    }

    static String errorBody(String message, String code) {
        JsonObject o = new JsonObject();
        o.addProperty("error", message);
        o.addProperty("code", code);
        return GSON.toJson(o);
    }

    static void error(HttpServerExchange ex, int status, String message, String requestId) {
        json(ex, status, errorBody(message, requestId));
    }

    /** Keeps the exchange open after the current handler returns, so that it can be answered from another thread. */
    static void keepOpen(HttpServerExchange ex) {
        ex.dispatch(SameThreadExecutor.INSTANCE, NOTHING);
    }

    /** Runs {@code answer} on the exchange's IO thread; a failure ends the exchange instead of losing it. */
    static void later(HttpServerExchange ex, String controllerId, Runnable answer) {
        ex.getIoThread().execute(() -> {
            try {
                answer.run();
            } catch (RuntimeException e) {
                LOG.log(Level.WARNING, () -> controllerId + " could not write an answer: " + e);
                ex.endExchange();
            }
        });
    }
}
