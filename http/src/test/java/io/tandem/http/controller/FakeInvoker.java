package io.tandem.http.controller;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.undertow.Undertow;
import io.undertow.server.HttpServerExchange;
import io.undertow.util.Headers;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * An invoker the test steers: it answers health checks with {@link #healthStatus} (after {@link #healthGate} opens),
 * acknowledges run requests with {@link #runStatus}, records them, and never completes one by itself — the test
 * posts completions with {@link #complete}. Thread-safe.
 */
final class FakeInvoker implements AutoCloseable {
    volatile int healthStatus = 200;
    volatile int runStatus = 202;
    volatile CountDownLatch healthGate = new CountDownLatch(0);
    /** Run requests are acknowledged only once this opens. */
    volatile CountDownLatch runGate = new CountDownLatch(0);
    final BlockingQueue<JsonObject> runs = new LinkedBlockingQueue<>();
    private final Undertow server;
    private final int port;
    private final HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    FakeInvoker() {
        server = Undertow.builder()
                .addHttpListener(0, "127.0.0.1")
                .setIoThreads(1)
                .setWorkerThreads(4)
                .setHandler(this::handle)
                .build();
        server.start();
        port = ((InetSocketAddress) server.getListenerInfo().get(0).getAddress()).getPort();
    }

    private void handle(HttpServerExchange ex) {
        if (ex.getRequestPath().equals("/v1/health")) {
            if (ex.isInIoThread()) {
                ex.dispatch(this::handle);
                return;
            }
            try {
                if (!healthGate.await(10, TimeUnit.SECONDS)) {
                    ex.setStatusCode(500);
                    ex.endExchange();
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.setStatusCode(healthStatus);
            ex.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
            ex.getResponseSender().send("{\"invokerId\":\"fake\",\"capacityMb\":2048,\"usedMb\":0,\"running\":0,"
                    + "\"queued\":0}");
        } else if (ex.getRequestPath().equals("/v1/run")) {
            if (ex.isInIoThread()) {
                ex.dispatch(this::handle);
                return;
            }
            try {
                if (!runGate.await(10, TimeUnit.SECONDS)) {
                    ex.setStatusCode(500);
                    ex.endExchange();
                    return;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            ex.getRequestReceiver().receiveFullBytes((e, body) -> {
                runs.add(JsonParser.parseString(new String(body, StandardCharsets.UTF_8)).getAsJsonObject());
                e.setStatusCode(runStatus);
                e.getResponseHeaders().put(Headers.CONTENT_TYPE, "application/json");
                e.getResponseSender().send(runStatus == 202 ? "{\"running\":1,\"queued\":0}"
                        : "{\"error\":\"the invoker's queue is full\"}");
            });
        } else {
            ex.setStatusCode(404);
            ex.endExchange();
        }
    }

    String url() {
        return "http://127.0.0.1:" + port;
    }

    /** The next run request, waiting up to 5 s. */
    JsonObject nextRun() throws InterruptedException {
        JsonObject r = runs.poll(5, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no run request arrived within 5 s");
        }
        return r;
    }

    /** Posts the completion of {@code run} to its callback; returns the controller's status code. */
    int complete(JsonObject run, String status, JsonObject result) throws Exception {
        JsonObject c = new JsonObject();
        c.addProperty("activationId", run.get("activationId").getAsString());
        c.addProperty("invokerId", "invoker0");
        c.addProperty("namespace", run.get("namespace").getAsString());
        c.addProperty("action", run.get("action").getAsString());
        c.addProperty("status", status);
        c.add("result", result);
        long now = System.currentTimeMillis();
        c.addProperty("start", now - 5);
        c.addProperty("end", now);
        c.add("logs", JsonParser.parseString("[\"stdout: hello\"]"));
        HttpRequest req = HttpRequest.newBuilder(URI.create(run.get("callback").getAsString()))
                .timeout(Duration.ofSeconds(5))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(c.toString()))
                .build();
        return client.send(req, HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Override
    public void close() {
        healthGate.countDown();
        runGate.countDown();
        server.stop();
    }
}
