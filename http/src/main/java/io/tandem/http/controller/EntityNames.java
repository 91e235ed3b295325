package io.tandem.http.controller;

import java.util.regex.Pattern;

/**
 * OpenWhisk's rule for entity names (namespaces, packages, actions): {@code [\w]|[\w][\w@ .-]*[\w@.-]+}, at most
 * 256 characters, checked on the URL-decoded name. Stateless.
 */
final class EntityNames {
    static final int MAX_LENGTH = 256;
    private static final Pattern NAME = Pattern.compile("[\\w]|[\\w][\\w@ .-]*[\\w@.-]+");

    private EntityNames() {
    }

    static boolean isValid(String name) {
        return name != null && !name.isEmpty() && name.length() <= MAX_LENGTH && NAME.matcher(name).matches();
    }
}
