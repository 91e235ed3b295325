package io.tandem.load;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Objects;

/**
 * One namespace and its {@code uuid:key}, as read from the auth file the controller also reads
 * ({@code --auth-file}): one {@code namespace uuid:key} per line, {@code #} comments and blank lines ignored.
 */
public record Credential(String namespace, String uuidKey) {
    public Credential {
        Objects.requireNonNull(namespace, "namespace");
        Objects.requireNonNull(uuidKey, "uuidKey");
    }

    /** The value of the {@code Authorization} header. */
    public String basicAuthorization() {
        return "Basic " + Base64.getEncoder().encodeToString(uuidKey.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads an auth file in file order; a missing file or a malformed line throws, naming the line. */
    public static List<Credential> readFile(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new BadArgumentException("--auth-file", "cannot read '" + file + "': " + e);
        }
        List<Credential> out = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            int hash = line.indexOf('#');
            String s = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (s.isEmpty()) {
                continue;
            }
            String[] parts = s.split("\\s+");
            if (parts.length != 2 || parts[1].indexOf(':') <= 0 || parts[1].endsWith(":")) {
                throw new BadArgumentException("--auth-file",
                        file + " line " + (i + 1) + ": expected 'namespace uuid:key', got '" + s + "'");
            }
            out.add(new Credential(parts[0], parts[1]));
        }
        return out;
    }

    @Override
    public String toString() {
        int colon = uuidKey.indexOf(':');
        return namespace + " " + (colon < 0 ? "" : uuidKey.substring(0, colon)) + ":***";
    }
}
