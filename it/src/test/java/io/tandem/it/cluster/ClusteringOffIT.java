package io.tandem.it.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.tandem.it.harness.Cluster;
import io.tandem.it.harness.Http;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * Three controllers with CLUSTERING=off: no channel at all, and each admits its 1/3 share of every namespace limit,
 * saying so in the 429 message.
 */
class ClusteringOffIT {
    private static final int LIMIT = 30;

    @Test
    void eachControllerAdmitsItsShareAndOpensNoChannel() throws Exception {
        try (Cluster cluster = Cluster.builder("ClusteringOffIT", 32).controllers(3).invokers(2, 8192)
                .clustering(false).concurrencyLimit(LIMIT).build().start().awaitReady(Duration.ofSeconds(60))) {
            for (Cluster.Node c : cluster.controllers()) {
                assertFalse(listening(c.addr(), 7800), c.name() + " has no JGroups transport port");
                assertFalse(listening(c.addr(), 7900), c.name() + " has no FD_SOCK2 port");
                assertEquals("off", c.clusterInfo().getAsJsonObject("replicator").get("clustering").getAsString());
            }
            // 20 long activations at controller1 alone: it admits exactly its share, 30 / 3 = 10.
            String auth = Http.basic(cluster.key("ns1"));
            List<CompletableFuture<Http.Response>> calls = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                calls.add(CompletableFuture.supplyAsync(() -> Http.post(cluster.controller(1).apiUrl()
                        + "/api/v1/namespaces/_/actions/sleep?blocking=false", auth, "{\"ms\": 3000}")));
            }
            int accepted = 0;
            int throttled = 0;
            for (CompletableFuture<Http.Response> f : calls) {
                Http.Response r = f.get();
                if (r.status() == 202) {
                    accepted++;
                } else {
                    assertEquals(429, r.status(), r.body());
                    throttled++;
                    assertEquals("Too many concurrent requests in flight (count: 10, allowed: 10). This controller"
                            + " admits 10, its 1/3 share of the configured limit of 30 (clustering is off).",
                            r.json().get("error").getAsString());
                }
            }
            assertEquals(10, accepted);
            assertEquals(10, throttled);
            // Another controller knows nothing of controller1's work and admits its own share.
            Http.Response other = Http.post(cluster.controller(2).apiUrl()
                    + "/api/v1/namespaces/_/actions/sleep?blocking=false", auth, "{\"ms\": 100}");
            assertEquals(202, other.status(), other.body());
            assertEquals(0, Cluster.inFlightSum(cluster.controller(3).bookkeeping()), "no shared rows");
            cluster.awaitNoLeak(Duration.ofSeconds(30));
            assertEquals(List.of(), cluster.errors());
        }
    }

    private static boolean listening(String addr, int port) {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(addr, port), 1000);
            return true;
        } catch (IOException e) {
            return false;
        }
    }
}
