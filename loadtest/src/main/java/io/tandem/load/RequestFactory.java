package io.tandem.load;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Builds the invoke request for request number {@code k}. The choices are nested so that every combination comes
 * up and none is tied to another: URL = {@code k mod U} (round robin), namespace = {@code (k / U) mod N},
 * action = {@code mix.pick(k / (U * N))}. Immutable and thread-safe.
 */
final class RequestFactory {
    private final List<URI> urls;
    private final List<Credential> credentials;
    private final String[] authorization;
    private final Mix mix;
    private final List<String> actions;
    private final SleepMs sleepMs;
    private final Duration timeout;
    /** [url][namespace][action] → the invoke URI, parsed once. */
    private final URI[][][] uris;
    private final boolean[] isSleep;

    RequestFactory(Options o) {
        this.urls = o.urls();
        this.credentials = o.credentials();
        this.mix = o.mix();
        this.actions = mix.actions();
        this.sleepMs = o.sleepMs();
        this.timeout = o.requestTimeout();
        this.authorization = credentials.stream().map(Credential::basicAuthorization).toArray(String[]::new);
        this.uris = new URI[urls.size()][credentials.size()][actions.size()];
        for (int u = 0; u < urls.size(); u++) {
            for (int n = 0; n < credentials.size(); n++) {
                for (int a = 0; a < actions.size(); a++) {
                    uris[u][n][a] = URI.create(urls.get(u) + "/api/v1/namespaces/"
                            + encode(credentials.get(n).namespace()) + "/actions/" + encodeAction(actions.get(a))
                            + "?blocking=" + o.blocking());
                }
            }
        }
        this.isSleep = new boolean[actions.size()];
        for (int a = 0; a < actions.size(); a++) {
            String name = actions.get(a);
            isSleep[a] = name.substring(name.lastIndexOf('/') + 1).toLowerCase(Locale.ROOT).contains("sleep");
        }
    }

    /** The URL path encoding of one name segment (OpenWhisk names may hold spaces and '@'). */
    static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }

    static String encodeAction(String action) {
        int slash = action.indexOf('/');
        return slash < 0 ? encode(action) : encode(action.substring(0, slash)) + "/" + encode(action.substring(slash + 1));
    }

    /** The parameters sent to action number {@code a}: {@code {"ms": n}} for sleep actions, {@code {}} otherwise. */
    String body(int a) {
        return isSleep[a] ? "{\"ms\":" + sleepMs.next() + "}" : "{}";
    }

    HttpRequest request(long k) {
        int u = (int) (k % urls.size());
        long rest = k / urls.size();
        int n = (int) (rest % credentials.size());
        int a = mix.pickIndex(rest / credentials.size());
        return HttpRequest.newBuilder(uris[u][n][a])
                .timeout(timeout)
                .header("Authorization", authorization[n])
                .header("Content-Type", "application/json")
                .header("User-Agent", "tandem-load")
                .header("x-request-id", "load-" + k)
                .POST(HttpRequest.BodyPublishers.ofString(body(a)))
                .build();
    }
}
