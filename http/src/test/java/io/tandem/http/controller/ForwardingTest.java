package io.tandem.http.controller;

import static io.tandem.http.controller.ControllerFixture.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.tandem.core.activation.ActivationIds;
import io.tandem.core.cluster.Member;
import io.tandem.http.invoker.InvokerSettings;
import io.tandem.http.invoker.ReferenceInvoker;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A GET for another controller's activation is forwarded to it; an owner that is gone gives 404. */
@Timeout(30)
class ForwardingTest {
    @Test
    void shouldForwardAGetToTheOwnerAndAnswer404WhenTheOwnerIsGone() {
        try (ReferenceInvoker inv = ReferenceInvoker.start(
                new InvokerSettings("invoker0", "127.0.0.1", 0, 2048, 100, 1, 1000, null))) {
            String invokers = "invoker0=http://127.0.0.1:" + inv.port() + "=2048";
            Map<String, String> env1 = ControllerFixture.env(invokers);
            Map<String, String> env2 = ControllerFixture.env(invokers);
            env2.put("CONTROLLER_ID", "c2");
            try (ControllerFixture c1 = ControllerFixture.start(env1).awaitReady();
                 ControllerFixture c2 = ControllerFixture.start(env2).awaitReady()) {
                c2.replicator.members = List.of(
                        new Member(c1.controller.ledger().self(), c1.apiUrl(), null, true, false),
                        new Member(c2.controller.ledger().self(), c2.apiUrl(), null, false, true));
                HttpResponse<String> r = c1.invoke("_/actions/echo", "blocking=true", "{\"via\":\"c1\"}");
                assertEquals(200, r.statusCode(), r.body());
                String id = json(r).get("activationId").getAsString();
                assertEquals(ActivationIds.controllerTag("c1"), ActivationIds.tagOf(id));
                assertNotEquals(ActivationIds.controllerTag("c1"), ActivationIds.controllerTag("c2"));

                HttpResponse<String> viaC2 = c2.get("/api/v1/namespaces/_/activations/" + id);
                HttpResponse<String> resultViaC2 = c2.get("/api/v1/namespaces/guest/activations/" + id + "/result");
                HttpResponse<String> otherNamespace = c2.send("GET", "/api/v1/namespaces/_/activations/" + id, null,
                        ControllerFixture.basic(ControllerFixture.OTHER_UUID, ControllerFixture.OTHER_KEY));

                assertEquals(200, viaC2.statusCode(), viaC2.body());
                assertEquals(json(r), json(viaC2));
                assertEquals(id, viaC2.headers().firstValue("x-openwhisk-activation-id").orElse(null),
                        "a fetched record carries its id, also when forwarded");
                assertEquals(id, c1.get("/api/v1/namespaces/_/activations/" + id).headers()
                        .firstValue("x-openwhisk-activation-id").orElse(null), "and on its owner");
                assertEquals(200, resultViaC2.statusCode(), resultViaC2.body());
                assertEquals("c1", json(resultViaC2).getAsJsonObject("result").get("via").getAsString());
                assertEquals(404, otherNamespace.statusCode(), otherNamespace.body());
                assertEquals(401, c2.send("GET", "/api/v1/namespaces/_/activations/" + id, null, null).statusCode());

                c2.replicator.members = List.of(new Member(c2.controller.ledger().self(), c2.apiUrl(), null, true,
                        true));
                assertEquals(404, c2.get("/api/v1/namespaces/_/activations/" + id).statusCode());
                c1.assertNoLeak();
                c2.assertNoLeak();
            }
        }
    }
}
