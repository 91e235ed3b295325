/**
 * The controller: the OpenWhisk API and the admin endpoints over core's admission, invoker pool and activation
 * table. {@link io.tandem.http.controller.Controller} is the entry point; {@link
 * io.tandem.http.controller.ControllerSettings} reads its configuration.
 *
 * <h2>Decisions taken here where DESIGN.md and OPENWHISK.md are silent</h2>
 * <ul>
 *   <li><b>Request order.</b> Route (404/405) before authentication (401); then names and namespace (400/403), the
 *   query (400), the catalog (404, before the body is read), the body (413/400), readiness (503), and only then
 *   {@code Balancer.admit}. None of the steps before admission counts anywhere.</li>
 *   <li><b>Query flags</b> {@code blocking} and {@code result} accept true/yes/on/1 and false/no/off/0 (as
 *   OpenWhisk's parameter unmarshaller); anything else is 400. {@code result} is ignored without {@code blocking}.
 *   {@code timeout} is validated whenever it is present.</li>
 *   <li><b>Keys.</b> Any printable key of 1-256 characters is accepted (OpenWhisk generates 64). A UUID may appear
 *   once; two UUIDs may grant the same namespace (key rotation). A key never appears in a message or a log line.</li>
 *   <li><b>Catalog.</b> The kind must be one of the built-in kinds; an action's memory may not exceed the largest
 *   invoker's capacity. With {@code ACTIONS}/{@code ACTIONS_FILE} set, the default catalog is not added.</li>
 *   <li><b>Dispatch queue.</b> Beyond {@code INVOKER_CONNECTIONS} requests on the wire, run requests wait in a
 *   FIFO of at most {@code INVOKER_DISPATCH_QUEUE} (default 10,000) per invoker; beyond that, and for any answer
 *   other than 202 (or no answer within 10 s), the activation ends at once as a system error and is released.</li>
 *   <li><b>Invoker health.</b> A health check times out after the interval, at least 1 s and at most 5 s; a check
 *   still outstanding is not repeated. Forced completions and refused dispatches count as system errors in the
 *   invoker's window (as OpenWhisk's timeouts do); activations ended because the invoker went offline do not.</li>
 *   <li><b>Activation records.</b> {@code subject} is the namespace of the API key that invoked; the {@code kind}
 *   annotation is the built-in kind. Platform-ended activations have empty logs and {@code start} = admission time.
 *   {@code GET .../result} returns the {@code response} object (status, statusCode, success, result) and
 *   {@code .../logs} returns {@code {"logs": [...]}}, as OpenWhisk. A malformed id is 400, an unknown one or one of
 *   another namespace 404.</li>
 *   <li><b>Forwarding.</b> A GET for another controller's activation goes to that member's {@code apiUrl} with the
 *   caller's {@code Authorization} and {@code x-request-id} and a marker header; a forwarded request is never
 *   forwarded again. An owner not in the view is 404; an owner in the view that does not answer within 5 s is
 *   503.</li>
 *   <li><b>Completions.</b> Without {@code INVOKER_TOKEN} anyone who reaches the API port can post a completion
 *   for an id they know; production deployments should set it. A completion with an unknown status or without a
 *   valid id is 400 and changes nothing. Completion bodies may be up to max(4 MiB, 2 x MAX_BODY_BYTES + 64 KiB).</li>
 *   <li><b>Shutdown.</b> When the drain time runs out, the remaining activations end as system errors ("The
 *   controller shut down before the activation completed.") and are released before the replicator closes, so
 *   the last delta carries zeros. Blocked callers are answered before the servers stop (Undertow's graceful
 *   shutdown handler, up to 2 s).</li>
 *   <li><b>Request ids.</b> An {@code x-request-id} of 1-128 characters from {@code [A-Za-z0-9._:-]} is echoed and
 *   used as {@code code}; anything else is replaced by a generated one (it goes into logs).</li>
 *   <li><b>Logs.</b> Unusual events (dispatch failures, forced completions, offline invokers, shutdown) are logged
 *   at WARNING; per-activation events (admitted, completed, throttled, late completion) at DEBUG (FINE), so a busy
 *   controller does not log a line per request by default.</li>
 * </ul>
 */
package io.tandem.http.controller;
