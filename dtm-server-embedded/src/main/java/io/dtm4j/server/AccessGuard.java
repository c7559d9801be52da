package io.dtm4j.server;

import io.dtm4j.server.ApiToken.Role;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.security.MessageDigest;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Who may call which route (all optional and off by default, so DTM clients keep working unchanged):
 * <ul>
 *   <li>With {@code Auth.Tokens} configured, every route but the health and version routes needs
 *       {@code Authorization: Bearer <token>} (else 401), and the token's role must cover the route (else 403).
 *       The admin UI's static files need none: they hold no data, and the page asks for a token.</li>
 *   <li>Without tokens, the client routes are open, while the admin surface (the UI, list, metrics, operator
 *       routes) answers only loopback clients on the public port, unless {@code Admin.AllowRemote} is true.</li>
 *   <li>With an admin listener ({@code Admin.Address}), the public port serves only the client, health and version
 *       routes; the admin surface is on the admin listener alone (404 on the public port), which answers whoever
 *       can reach the address the operator chose for it (add tokens to require them there too).</li>
 * </ul>
 * Tokens are compared by their SHA-256 in constant time, every configured token each time. Immutable and
 * thread-safe.
 */
final class AccessGuard {

    /** Which listener a request came in on. */
    enum Listener { PUBLIC, ADMIN }

    /** What a route is, for access: whether it belongs to the admin surface, and the roles that may call it. */
    enum Access {
        /** Liveness, readiness, versions: no token ever. */
        HEALTH(false, EnumSet.noneOf(Role.class)),
        /** What DTM clients call to run transactions. */
        CLIENT(false, EnumSet.of(Role.API)),
        /** {@code query}: clients (workflow, tests) and the UI. */
        READ(false, EnumSet.of(Role.API, Role.VIEWER, Role.OPERATOR)),
        /** The admin UI's static files. */
        UI(true, EnumSet.noneOf(Role.class)),
        /** The list, metrics and server info. */
        VIEW(true, EnumSet.of(Role.VIEWER, Role.OPERATOR)),
        /** Force stop, retry now, reset cron time: audited. */
        OPERATE(true, EnumSet.of(Role.OPERATOR));

        final boolean admin;
        final Set<Role> roles;

        Access(boolean admin, Set<Role> roles) {
            this.admin = admin;
            this.roles = roles;
        }
    }

    /**
     * The verdict on one request.
     *
     * @param status  0 when allowed, else 401, 403 or 404
     * @param message why not, and what to do; empty when allowed
     * @param who     for the audit log: the token's name, or {@code local} / {@code remote} without tokens
     */
    record Decision(int status, String message, String who) {
        boolean allowed() {
            return status == 0;
        }
    }

    private final List<ApiToken> tokens;
    private final boolean allowRemote;
    private final Optional<InetSocketAddress> adminListener;

    AccessGuard(List<ApiToken> tokens, boolean allowRemote, Optional<InetSocketAddress> adminListener) {
        this.tokens = List.copyOf(tokens);
        this.allowRemote = allowRemote;
        this.adminListener = adminListener;
    }

    /** No tokens, loopback-only admin surface, no admin listener: the default. */
    static AccessGuard defaults() {
        return new AccessGuard(List.of(), false, Optional.empty());
    }

    boolean hasAdminListener() {
        return adminListener.isPresent();
    }

    /**
     * Decides one request.
     *
     * @param authorization the {@code Authorization} header, or null
     */
    Decision decide(Listener listener, InetAddress remote, String authorization, Access access, String api) {
        if (adminListener.isPresent() && listener == Listener.PUBLIC && access.admin) {
            return new Decision(404, "not served on this port: the admin UI and operator routes are on the admin "
                    + "listener (Admin.Address)", "");
        }
        boolean local = remote != null && remote.isLoopbackAddress();
        if (access == Access.HEALTH) {
            return new Decision(0, "", local ? "local" : "remote");
        }
        if (!tokens.isEmpty()) {
            if (access == Access.UI) {
                return new Decision(0, "", "");
            }
            Optional<ApiToken> token = bearer(authorization);
            if (token.isEmpty()) {
                return new Decision(401, "a valid bearer token is required: send 'Authorization: Bearer <token>' "
                        + "(tokens are configured in Auth.Tokens)", "");
            }
            ApiToken t = token.get();
            if (!access.roles.contains(t.role())) {
                return new Decision(403, "token '" + t.name() + "' (" + t.role().wireName() + ") may not call " + api
                        + "; it needs a token with the role " + roles(access), t.name());
            }
            return new Decision(0, "", t.name());
        }
        if (access.admin && !allowRemote && !local && listener == Listener.PUBLIC) {
            return new Decision(403, "the admin UI and operator routes answer only local clients by default; to "
                    + "open them, configure Auth.Tokens, an admin listener (Admin.Address), or Admin.AllowRemote: "
                    + "true", "remote");
        }
        return new Decision(0, "", local ? "local" : "remote " + remote.getHostAddress());
    }

    private Optional<ApiToken> bearer(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return Optional.empty();
        }
        byte[] presented = ApiToken.sha256(authorization.substring(7).strip());
        ApiToken found = null;
        for (ApiToken t : tokens) { // every token, whichever matches, so the time does not tell which
            if (MessageDigest.isEqual(t.sha256(), presented)) {
                found = t;
            }
        }
        return Optional.ofNullable(found);
    }

    /** The roles that may call a route, in words: "api", "viewer or operator", "api, viewer or operator". */
    private static String roles(Access access) {
        List<String> names = access.roles.stream().map(Role::wireName).sorted().toList();
        return names.size() == 1 ? names.get(0)
                : String.join(", ", names.subList(0, names.size() - 1)) + " or " + names.get(names.size() - 1);
    }

    /**
     * One line per listener for the start-up log: what is exposed where, and to whom.
     *
     * @param publicAddress the public listener, as bound
     * @param adminAddress  the admin listener, as bound; ignored when there is none
     */
    String describe(String publicAddress, String adminAddress) {
        String clients = tokens.isEmpty() ? "open (no Auth.Tokens)" : "with an api token";
        String admin = !tokens.isEmpty() ? "with a viewer or operator token"
                : allowRemote ? "open to every client (Admin.AllowRemote: true)" : "to loopback clients only";
        if (adminListener.isPresent()) {
            return "client routes on " + publicAddress + ": " + clients + "; admin UI and operator routes on "
                    + adminAddress + " only: " + (tokens.isEmpty() ? "open to whoever reaches that address" : admin);
        }
        return "client routes on " + publicAddress + ": " + clients + "; admin UI and operator routes on "
                + publicAddress + ": " + admin;
    }
}
