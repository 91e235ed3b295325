package io.tandem.http.controller;

import io.tandem.core.activation.ActionSpec;

/**
 * What the controller keeps about an activation in flight, beside its ticket: who asked, for what, and the caller
 * waiting for it when the invoke was blocking. Attached to its {@code ActivationTable} entry. Immutable (the wait
 * has its own thread-safety).
 *
 * @param requestId   the caller's {@code x-request-id} (or the one generated for it)
 * @param namespace   the namespace the activation runs in (never {@code _})
 * @param subject     who invoked it (the namespace of the API key)
 * @param path        {@code namespace/[package/]action}
 * @param name        the action name without its package
 * @param spec        the catalog entry
 * @param admittedMs  when it was admitted (controller clock), for {@code waitTime} and system-error records
 * @param waiter      the blocked caller, or null for a non-blocking invoke
 */
record Flight(String requestId, String namespace, String subject, String path, String name, ActionSpec spec,
              long admittedMs, BlockingWait waiter) {
}
