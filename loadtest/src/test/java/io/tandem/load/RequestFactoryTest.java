package io.tandem.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RequestFactoryTest {
    @TempDir
    Path dir;

    private RequestFactory factory(String mix, boolean blocking) throws IOException {
        Path auth = dir.resolve("auth.txt");
        Files.writeString(auth, "guest u1:k1\nteam@x u2:k2\n");
        return new RequestFactory(Options.builder().url("http://h1:1,http://h2:2/").authFile(auth).rate(1).mix(mix)
                .blocking(blocking).sleepMs(new SleepMs(7, 7)).progress(null).build());
    }

    @Test
    void shouldCoverEveryUrlNamespaceActionCombinationInOneCycle() throws IOException {
        RequestFactory f = factory("echo:1,demo/sleep:1", true);
        Set<String> seen = new HashSet<>();
        for (int k = 0; k < 8; k++) {
            seen.add(f.request(k).uri().toString());
        }
        assertEquals(Set.of(
                "http://h1:1/api/v1/namespaces/guest/actions/echo?blocking=true",
                "http://h2:2/api/v1/namespaces/guest/actions/echo?blocking=true",
                "http://h1:1/api/v1/namespaces/team%40x/actions/echo?blocking=true",
                "http://h2:2/api/v1/namespaces/team%40x/actions/echo?blocking=true",
                "http://h1:1/api/v1/namespaces/guest/actions/demo/sleep?blocking=true",
                "http://h2:2/api/v1/namespaces/guest/actions/demo/sleep?blocking=true",
                "http://h1:1/api/v1/namespaces/team%40x/actions/demo/sleep?blocking=true",
                "http://h2:2/api/v1/namespaces/team%40x/actions/demo/sleep?blocking=true"), seen);
    }

    @Test
    void shouldSendBasicAuthOfTheNamespaceAndSleepParams() throws IOException {
        RequestFactory f = factory("demo/sleep", false);
        HttpRequest r = f.request(2); // url 0, namespace 1
        assertEquals("http://h1:1/api/v1/namespaces/team%40x/actions/demo/sleep?blocking=false", r.uri().toString());
        assertEquals(new Credential("team@x", "u2:k2").basicAuthorization(), r.headers().firstValue("Authorization")
                .orElseThrow());
        assertEquals("load-2", r.headers().firstValue("x-request-id").orElseThrow());
        assertEquals("{\"ms\":7}", f.body(0));
        assertTrue(r.timeout().isPresent());
        assertEquals(List.of("application/json"), r.headers().allValues("Content-Type"));
    }
}
