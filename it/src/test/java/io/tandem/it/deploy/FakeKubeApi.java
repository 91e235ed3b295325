package io.tandem.it.deploy;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The part of a Kubernetes API server that KUBE_PING uses: {@code GET /api/v1/namespaces/{ns}/pods?labelSelector=...}
 * over HTTPS with a service-account bearer token, answering the pods of that namespace whose labels match.
 *
 * <p>Like a pod's own view of its API server: a self-signed certificate for the server's address (the "cluster CA"
 * file KUBE_PING verifies it with), a service-account token file, and the address in KUBERNETES_SERVICE_HOST /
 * _PORT ({@link #podEnvironment()}). A request without the token gets 401, as from a real API server.
 *
 * <p>Thread-safe: pods may be added while it serves.
 */
final class FakeKubeApi implements AutoCloseable {
    /** One request as received: path, decoded label selector (null when none), Authorization header. */
    record Request(String path, String labelSelector, String authorization) {
    }

    /** A pod: name, namespace, IP and labels; every pod is Running and not (yet) Ready, as at start-up. */
    record Pod(String name, String namespace, String ip, Map<String, String> labels) {
    }

    private final HttpsServer server;
    private final String token;
    private final List<Pod> pods = new CopyOnWriteArrayList<>();
    private final List<Request> requests = new CopyOnWriteArrayList<>();

    private FakeKubeApi(HttpsServer server, String token) {
        this.server = server;
        this.token = token;
    }

    /** Starts on {@code address} (an ephemeral port), with a fresh certificate and token written under {@code dir}. */
    static FakeKubeApi start(String address, Path dir, Path logDir) throws Exception {
        Path keystore = dir.resolve("api-server.p12");
        Path ca = dir.resolve("ca.crt");
        Files.deleteIfExists(keystore);
        Files.deleteIfExists(ca);
        String pass = "changeit";
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Tools.Result gen = Tools.run(List.of(keytool, "-genkeypair", "-alias", "api", "-keyalg", "EC", "-groupname",
                "secp256r1", "-dname", "CN=kube-apiserver", "-ext", "SAN=ip:" + address, "-validity", "2",
                "-keystore", keystore.toString(), "-storetype", "PKCS12", "-storepass", pass, "-keypass", pass),
                Map.of(), Duration.ofSeconds(30), logDir.resolve("keytool-gen.log"));
        if (gen.exit() != 0) {
            throw new IllegalStateException("keytool failed: " + gen.output());
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(keystore)) {
            ks.load(in, pass.toCharArray());
        }
        // the self-signed certificate is the cluster CA a pod trusts
        Files.writeString(ca, "-----BEGIN CERTIFICATE-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                        .encodeToString(ks.getCertificate("api").getEncoded())
                + "\n-----END CERTIFICATE-----\n");
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pass.toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);

        String token = "test-sa-token-" + Long.toHexString(System.nanoTime());
        Path tokenFile = dir.resolve("token");
        Files.writeString(tokenFile, token + "\n");

        HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getByName(address), 0), 16);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        FakeKubeApi api = new FakeKubeApi(server, token);
        server.createContext("/", api::handle);
        server.start();
        return api;
    }

    FakeKubeApi addPod(Pod pod) {
        pods.add(pod);
        return this;
    }

    List<Request> requests() {
        return List.copyOf(requests);
    }

    /**
     * What the kubelet puts in every pod's environment about its API server: its address and port. The CA
     * certificate and the token are not named anywhere: a pod has them at /var/run/secrets/kubernetes.io/
     * serviceaccount/, where {@link Launched.Sandbox} puts the ca.crt and token this server wrote in its directory.
     */
    Map<String, String> podEnvironment() {
        Map<String, String> env = new LinkedHashMap<>();
        env.put("KUBERNETES_SERVICE_HOST", server.getAddress().getAddress().getHostAddress());
        env.put("KUBERNETES_SERVICE_PORT", Integer.toString(server.getAddress().getPort()));
        return env;
    }


    @Override
    public void close() {
        server.stop(0);
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String path = ex.getRequestURI().getPath();
            String selector = null;
            String query = ex.getRequestURI().getRawQuery();
            if (query != null) {
                for (String kv : query.split("&")) {
                    if (kv.startsWith("labelSelector=")) {
                        selector = URLDecoder.decode(kv.substring("labelSelector=".length()), StandardCharsets.UTF_8);
                    }
                }
            }
            String auth = ex.getRequestHeaders().getFirst("Authorization");
            requests.add(new Request(path, selector, auth));
            if (!("Bearer " + token).equals(auth)) {
                send(ex, 401, "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Unauthorized\",\"code\":401}");
                return;
            }
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("/api/v1/namespaces/([^/]+)/pods").matcher(path);
            if (!ex.getRequestMethod().equals("GET") || !m.matches()) {
                send(ex, 404, "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"code\":404}");
                return;
            }
            Map<String, String> wanted = new LinkedHashMap<>();
            if (selector != null && !selector.isBlank()) {
                for (String term : selector.split(",")) {
                    String[] kv = term.split("=", 2);
                    if (kv.length != 2 || kv[1].startsWith("=") || kv[0].endsWith("!")) {
                        send(ex, 400, "{\"kind\":\"Status\",\"message\":\"only k=v selectors are served here\",\"code\":400}");
                        return;
                    }
                    wanted.put(kv[0].trim(), kv[1].trim());
                }
            }
            JsonArray items = new JsonArray();
            for (Pod p : pods) {
                if (p.namespace().equals(m.group(1)) && p.labels().entrySet().containsAll(wanted.entrySet())) {
                    items.add(podJson(p));
                }
            }
            JsonObject list = new JsonObject();
            list.addProperty("kind", "PodList");
            list.addProperty("apiVersion", "v1");
            list.add("items", items);
            send(ex, 200, list.toString());
        }
    }

    private static JsonObject podJson(Pod p) {
        JsonObject labels = new JsonObject();
        p.labels().forEach(labels::addProperty);
        JsonObject meta = new JsonObject();
        meta.addProperty("name", p.name());
        meta.addProperty("namespace", p.namespace());
        meta.add("labels", labels);
        JsonObject ready = new JsonObject();
        ready.addProperty("type", "Ready");
        ready.addProperty("status", "False");
        JsonArray conditions = new JsonArray();
        conditions.add(ready);
        JsonObject status = new JsonObject();
        status.addProperty("phase", "Running");
        status.addProperty("podIP", p.ip());
        status.add("conditions", conditions);
        JsonObject pod = new JsonObject();
        pod.add("metadata", meta);
        pod.add("status", status);
        return pod;
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }
}
