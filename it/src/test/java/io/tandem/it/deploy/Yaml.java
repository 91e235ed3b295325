package io.tandem.it.deploy;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads YAML (the compose file as docker-compose resolves it, the Kubernetes manifests) as JSON trees, through
 * python3's PyYAML, which Debian's docker-compose depends on: the it module needs no YAML library of its own.
 * Stateless.
 */
final class Yaml {
    private static final String TO_JSON =
            "import sys, json, yaml\njson.dump([d for d in yaml.safe_load_all(sys.stdin) if d is not None], sys.stdout)\n";

    private Yaml() {
    }

    /** Every document of a YAML text, in order. */
    static List<JsonObject> documents(String yaml) {
        Tools.require("python3", "python3-yaml");
        ProcessBuilder pb = new ProcessBuilder("python3", "-c", TO_JSON);
        Process p = null;
        try {
            p = pb.start();
            try (OutputStream in = p.getOutputStream()) {
                in.write(yaml.getBytes(StandardCharsets.UTF_8));
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("python3 could not read the YAML: " + err);
            }
            List<JsonObject> docs = new ArrayList<>();
            for (JsonElement e : JsonParser.parseString(out).getAsJsonArray()) {
                docs.add(e.getAsJsonObject());
            }
            return docs;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run python3", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }

    /** Every document of every YAML file directly in {@code dir}. */
    static List<JsonObject> directory(Path dir) {
        List<JsonObject> docs = new ArrayList<>();
        try (var files = Files.list(dir)) {
            for (Path f : files.sorted().toList()) {
                String name = f.getFileName().toString();
                if (name.endsWith(".yaml") && !name.equals("kustomization.yaml")) {
                    docs.addAll(documents(Files.readString(f)));
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + dir, e);
        }
        return docs;
    }

    /** The resource of that kind and name. */
    static JsonObject find(List<JsonObject> docs, String kind, String name) {
        return docs.stream()
                .filter(d -> kind.equals(str(d, "kind")) && name.equals(str(d.getAsJsonObject("metadata"), "name")))
                .findFirst().orElseThrow(() -> new IllegalStateException("no " + kind + " " + name));
    }

    /** The container of that name in a workload's pod template. */
    static JsonObject container(JsonObject workload, String name) {
        for (JsonElement c : podSpec(workload).getAsJsonArray("containers")) {
            if (name.equals(str(c.getAsJsonObject(), "name"))) {
                return c.getAsJsonObject();
            }
        }
        throw new IllegalStateException("no container " + name);
    }

    static JsonObject podSpec(JsonObject workload) {
        return workload.getAsJsonObject("spec").getAsJsonObject("template").getAsJsonObject("spec");
    }

    /** The pod template's labels. */
    static Map<String, String> podLabels(JsonObject workload) {
        Map<String, String> out = new LinkedHashMap<>();
        workload.getAsJsonObject("spec").getAsJsonObject("template").getAsJsonObject("metadata")
                .getAsJsonObject("labels").entrySet().forEach(e -> out.put(e.getKey(), e.getValue().getAsString()));
        return out;
    }

    /**
     * A container's environment as its pod would get it: plain values; fieldRefs to the pod's name, namespace and
     * IP; secretKeyRefs from {@code secrets} (an optional key that is absent is left out, as Kubernetes does);
     * values under a secret volume's mount path moved to {@code secretDir}, where the test wrote those files.
     */
    static Map<String, String> podEnv(JsonObject workload, JsonObject container, String podName, String namespace,
                                      String podIp, Map<String, String> secrets, Path secretDir) {
        List<String> secretMounts = new ArrayList<>();
        JsonArray mounts = container.getAsJsonArray("volumeMounts");
        JsonArray volumes = podSpec(workload).getAsJsonArray("volumes");
        if (mounts != null && volumes != null) {
            for (JsonElement m : mounts) {
                String vol = str(m.getAsJsonObject(), "name");
                for (JsonElement v : volumes) {
                    if (vol.equals(str(v.getAsJsonObject(), "name")) && v.getAsJsonObject().has("secret")) {
                        secretMounts.add(str(m.getAsJsonObject(), "mountPath"));
                    }
                }
            }
        }
        Map<String, String> env = new LinkedHashMap<>();
        JsonArray entries = container.getAsJsonArray("env");
        if (entries == null) {
            return env;
        }
        for (JsonElement el : entries) {
            JsonObject e = el.getAsJsonObject();
            String name = str(e, "name");
            String value;
            if (e.has("value")) {
                value = e.get("value").getAsString();
            } else if (e.getAsJsonObject("valueFrom").has("fieldRef")) {
                String path = str(e.getAsJsonObject("valueFrom").getAsJsonObject("fieldRef"), "fieldPath");
                value = switch (path) {
                    case "metadata.name" -> podName;
                    case "metadata.namespace" -> namespace;
                    case "status.podIP" -> podIp;
                    default -> throw new IllegalStateException("fieldRef " + path + " is not simulated here");
                };
            } else {
                JsonObject ref = e.getAsJsonObject("valueFrom").getAsJsonObject("secretKeyRef");
                value = secrets.get(str(ref, "key"));
                if (value == null) {
                    if (ref.has("optional") && ref.get("optional").getAsBoolean()) {
                        continue;
                    }
                    throw new IllegalStateException(name + " needs secret key " + str(ref, "key"));
                }
            }
            for (String mount : secretMounts) {
                if (value.equals(mount) || value.startsWith(mount + "/")) {
                    value = secretDir.resolve(value.substring(mount.length()).replaceFirst("^/", "")).toString();
                }
            }
            env.put(name, value);
        }
        return env;
    }

    /** Applies a strategic-merge patch's container env (by variable name) onto {@code env}, as kustomize does. */
    static void patchEnv(Map<String, String> env, JsonObject patch, String container) {
        for (JsonElement c : podSpec(patch).getAsJsonArray("containers")) {
            if (container.equals(str(c.getAsJsonObject(), "name")) && c.getAsJsonObject().has("env")) {
                for (JsonElement e : c.getAsJsonObject().getAsJsonArray("env")) {
                    env.put(str(e.getAsJsonObject(), "name"), e.getAsJsonObject().get("value").getAsString());
                }
            }
        }
    }

    /** `docker-compose config` of the compose file with these variables set, as JSON. */
    static JsonObject composeConfig(Path composeFile, Map<String, String> vars, Path log) {
        Path tool = Tools.require("docker-compose", "docker-compose");
        Tools.Result r = Tools.run(List.of(tool.toString(), "-f", composeFile.toString(), "config"), vars,
                Duration.ofSeconds(60), log);
        if (r.exit() != 0) {
            throw new IllegalStateException("docker-compose config failed: " + r.output());
        }
        // the log holds stdout and stderr together; 1.29 prints warnings on stderr before the YAML, if any
        String yaml = r.output().substring(Math.max(0, r.output().indexOf("services:")));
        return documents(yaml).get(0);
    }

    static String str(JsonObject o, String key) {
        JsonElement e = o == null ? null : o.get(key);
        return e == null || e.isJsonNull() ? null : e.getAsString();
    }
}
