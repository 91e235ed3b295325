package io.tandem.it.deploy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code .ci/check-deploy} (docker-compose config with CLUSTERING on and off, every variable the compose file and
 * the Kubernetes manifests set is one the launcher reads) on the repository's files, and on copies with one variable
 * misspelt, which must fail naming that variable; with kubectl on the PATH, on a copy whose overlay kustomize cannot
 * build, which must fail naming the overlay. Needs the packaged jar (failsafe runs after package).
 */
class DeployCheckIT {
    private static Path root;
    private static Path logs;

    @BeforeAll
    static void tools() {
        root = Tools.root();
        Tools.require("docker-compose", "docker-compose");
        Tools.require("python3", "python3-yaml");
        logs = Tools.logDir("DeployCheckIT");
    }

    private static Tools.Result check(String logName, String... args) {
        List<String> cmd = new java.util.ArrayList<>(List.of(root.resolve(".ci/check-deploy").toString()));
        cmd.addAll(List.of(args));
        return Tools.run(cmd, Map.of(), Duration.ofSeconds(90), logs.resolve(logName + ".log"));
    }

    @Test
    void shouldAcceptTheRepositoryDeploymentFiles() {
        Tools.Result r = check("repository");

        assertEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("CLUSTERING=off"), r.output());
        assertTrue(r.output().contains("check-deploy: OK"), r.output());
    }

    @Test
    void shouldNameAVariableMisspeltInTheComposeFile(@TempDir Path tmp) throws IOException {
        Path docker = Files.createDirectories(tmp.resolve("docker"));
        for (String f : List.of("docker-compose.yml", "haproxy.cfg", "auth.txt")) {
            Files.copy(root.resolve("docker").resolve(f), docker.resolve(f));
        }
        misspell(docker.resolve("docker-compose.yml"), "DRAIN_TIMEOUT:", "DRAIN_TIMOUT:");

        Tools.Result r = check("misspelt-compose", "--compose", docker.resolve("docker-compose.yml").toString());

        assertNotEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("sets DRAIN_TIMOUT, which the launcher does not read"), r.output());
        assertTrue(r.output().contains("did you mean DRAIN_TIMEOUT?"), r.output());
    }

    @Test
    void shouldNameAVariableMisspeltInAKubernetesManifest(@TempDir Path tmp) throws IOException {
        Path k8s = tmp.resolve("k8s");
        copyTree(root.resolve("docker/k8s"), k8s);
        misspell(k8s.resolve("base/invoker.yaml"), "name: INVOKER_MEMORY_MB", "name: INVOKER_MEMORY");

        Tools.Result r = check("misspelt-k8s", "--k8s", k8s.toString());

        assertNotEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("sets INVOKER_MEMORY, which the launcher does not read"), r.output());
    }

    @Test
    void shouldReportAnOverlayThatKustomizeCannotBuild(@TempDir Path tmp) throws IOException {
        Assumptions.assumeTrue(Tools.which("kubectl") != null, "kubectl is not installed: check-deploy skips kustomize");
        Path k8s = tmp.resolve("k8s");
        copyTree(root.resolve("docker/k8s"), k8s);
        // the layout that once shipped: an overlay inside its own base, which kustomize refuses as a cycle
        misspell(k8s.resolve("dns-ping/kustomization.yaml"), "- ../base", "- ..");
        Files.writeString(k8s.resolve("kustomization.yaml"), Files.readString(k8s.resolve("base/kustomization.yaml")));
        for (String f : List.of("rbac.yaml", "invoker.yaml", "controller.yaml")) {
            Files.move(k8s.resolve("base").resolve(f), k8s.resolve(f));
        }
        Files.delete(k8s.resolve("base/kustomization.yaml"));
        Files.delete(k8s.resolve("base"));

        Tools.Result r = check("kustomize-cycle", "--k8s", k8s.toString());

        assertNotEquals(0, r.exit(), r.output());
        assertTrue(r.output().contains("dns-ping: kubectl kustomize failed"), r.output());
        assertTrue(r.output().contains("kubectl kustomize builds 10 resources"), r.output());
    }

    private static void misspell(Path file, String from, String to) throws IOException {
        String text = Files.readString(file);
        assertTrue(text.contains(from), file + " no longer contains " + from + "; pick another variable to misspell");
        Files.writeString(file, text.replaceFirst(java.util.regex.Pattern.quote(from), to));
    }

    private static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        }
    }
}
