package io.tandem.http.invoker;

import com.google.gson.JsonObject;
import java.net.URI;

/**
 * One decoded {@code POST /v1/run} body (see docs/invoker-protocol.md). Treated as immutable once decoded: the
 * params object is owned by the request and never changed, so it may be read from any thread.
 *
 * @param controllerId the sending controller, for logs only; null when the request did not name one
 */
record RunRequest(String activationId, String namespace, String action, ActionKind kind, int memoryMb,
                  long timeLimitMs, JsonObject params, String controllerId, URI callback) {
}
