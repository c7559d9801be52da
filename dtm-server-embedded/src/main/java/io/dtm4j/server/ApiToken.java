package io.dtm4j.server;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;

/**
 * A bearer token of {@code Auth.Tokens}: a name (for the audit log), a role, and the SHA-256 of the secret. The
 * configuration holds {@code name:role:sha256:<64 hex digits>} (made by {@code dtm token NAME ROLE}), or, for a
 * quick start, {@code name:role:<the token itself>} of at least {@link #MIN_PLAIN_LENGTH} characters; only the
 * digest is kept in memory. Immutable.
 *
 * @param name   who holds it, e.g. {@code alice} or {@code order-service}
 * @param role   what it may do
 * @param sha256 the SHA-256 of the token
 */
record ApiToken(String name, Role role, byte[] sha256) {
    /** Shortest token accepted in plain text: 16 characters. */
    static final int MIN_PLAIN_LENGTH = 16;
    private static final String HASHED = "sha256:";
    private static final SecureRandom RANDOM = new SecureRandom();

    /** What a token may call; see {@link AccessGuard.Access} for the routes of each. */
    enum Role {
        /** The admin UI and the read routes (query, all, metrics). */
        VIEWER,
        /** A viewer that may also force stop and retry. */
        OPERATOR,
        /** The transaction routes that DTM clients call (prepare, submit, abort, registerBranch, query, ...). */
        API;

        String wireName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /**
     * Parses one {@code Auth.Tokens} entry.
     *
     * @throws IllegalArgumentException saying what is wrong, never echoing the secret
     */
    static ApiToken parse(String entry) {
        String[] parts = entry.strip().split(":", 3);
        if (parts.length != 3 || parts[0].isBlank() || parts[2].isEmpty()) {
            throw new IllegalArgumentException("a token entry must be name:role:sha256:<hex> or name:role:<token>");
        }
        String name = parts[0].strip();
        if (!name.matches("[A-Za-z0-9_.@-]{1,64}")) {
            throw new IllegalArgumentException("token name '" + name + "' must be 1-64 of A-Z a-z 0-9 _ . @ -");
        }
        Role role;
        try {
            role = Role.valueOf(parts[1].strip().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("token '" + name + "': role must be viewer, operator or api, got '"
                    + parts[1].strip() + "'");
        }
        String secret = parts[2];
        if (secret.startsWith(HASHED)) {
            String hex = secret.substring(HASHED.length());
            if (!hex.matches("[0-9a-fA-F]{64}")) {
                throw new IllegalArgumentException("token '" + name + "': sha256: must be followed by 64 hex digits");
            }
            return new ApiToken(name, role, HexFormat.of().parseHex(hex.toLowerCase(Locale.ROOT)));
        }
        if (secret.length() < MIN_PLAIN_LENGTH) {
            throw new IllegalArgumentException("token '" + name + "' is shorter than " + MIN_PLAIN_LENGTH
                    + " characters; make one with 'dtm token " + name + " " + role.wireName() + "'");
        }
        return new ApiToken(name, role, sha256(secret));
    }

    /** A new random token (32 bytes, URL-safe Base64). */
    static String newSecret() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    /** The {@code Auth.Tokens} entry for a token: {@code name:role:sha256:<hex>}. */
    static String entry(String name, Role role, String secret) {
        return name + ":" + role.wireName() + ":" + HASHED + HexFormat.of().formatHex(sha256(secret));
    }

    static byte[] sha256(String secret) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(secret.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JVM has no SHA-256", e);
        }
    }

    @Override
    public String toString() {
        return "ApiToken[" + name + " " + role.wireName() + "]";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ApiToken t && t.name.equals(name) && t.role == role && MessageDigest.isEqual(t.sha256, sha256);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + role.hashCode();
    }
}
