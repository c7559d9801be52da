package io.dtm4j.server;

import io.dtm4j.client.BranchUrlPolicy;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Optional;

/**
 * The {@code Admin.*}, {@code Auth.*}, {@code BranchUrl.*} and {@code AdminBasePath} settings: everything is open
 * to DTM clients as in DTM, the admin surface to loopback clients only, unless configured otherwise (see
 * {@link AccessGuard}). Immutable; {@link #summary()} names tokens, never their secrets.
 *
 * @param adminBasePath {@code AdminBasePath}: where the admin UI is served; empty for {@code /}
 * @param adminHost     {@code Admin.Address}'s host, or null for no admin listener
 * @param adminPort     {@code Admin.Address}'s port
 * @param allowRemote   {@code Admin.AllowRemote}: without tokens, the admin surface answers every client
 * @param tokens        {@code Auth.Tokens} entries ({@code name:role:sha256:<hex>} or {@code name:role:<token>})
 * @param branchAllow   {@code BranchUrl.Allow}: hosts, {@code *.domains} and CIDR blocks; empty = any
 * @param branchDeny    {@code BranchUrl.Deny}: the same; default {@link BranchUrlPolicy#DEFAULT_DENY}
 */
record SecuritySettings(String adminBasePath, String adminHost, int adminPort, boolean allowRemote,
                        List<String> tokens, List<String> branchAllow, List<String> branchDeny) {

    SecuritySettings {
        tokens = List.copyOf(tokens);
        branchAllow = List.copyOf(branchAllow);
        branchDeny = List.copyOf(branchDeny);
    }

    static SecuritySettings defaults() {
        return new SecuritySettings("", null, 0, false, List.of(), List.of(), BranchUrlPolicy.DEFAULT_DENY);
    }

    Optional<InetSocketAddress> adminListener() {
        return adminHost == null ? Optional.empty() : Optional.of(new InetSocketAddress(adminHost, adminPort));
    }

    /** The branch URL policy, refusing the admin listener too. */
    BranchUrlPolicy urlPolicy() {
        return BranchUrlPolicy.of(branchAllow, branchDeny, adminListener());
    }

    /** The token names and roles, for logs; never a secret. */
    List<String> tokenNames() {
        return tokens.stream().map(e -> ApiToken.parse(e).toString()).toList();
    }

    String summary() {
        return "AdminBasePath=" + (adminBasePath.isEmpty() ? "/" : adminBasePath)
                + " Admin.Address=" + (adminHost == null ? "(none)" : adminHost + ":" + adminPort)
                + " Admin.AllowRemote=" + allowRemote + " Auth.Tokens=" + tokenNames()
                + " BranchUrl.Allow=" + branchAllow + " BranchUrl.Deny=" + branchDeny;
    }
}
