package io.dtm4j.client;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/**
 * Which branch URLs the coordinator may call, so that a transaction submitted by anyone who can reach the API
 * cannot make the server call cloud metadata endpoints, its own admin listener or hosts outside an allow-list
 * (server-side request forgery). Checked when a transaction is submitted (a clear 400) and again before every call
 * (DNS may have changed).
 *
 * <p>Rules, in order: the scheme is {@code http} or {@code https}; a host (by name or by any address it resolves
 * to) on the deny list is refused; when the allow list is not empty, the host must be on it by name or every
 * address it resolves to must be; a URL aimed at the server's own admin listener is refused. Entries are host names
 * ({@code busi.internal}, case-insensitive), wildcard domains ({@code *.svc.cluster.local}), IP addresses or CIDR
 * blocks ({@code 10.0.0.0/8}, {@code fd00::/8}). A host that does not resolve is judged by its name only.
 * Immutable and thread-safe.
 */
public final class BranchUrlPolicy {
    /** Denied unless configured otherwise: link-local addresses, where cloud metadata services live. */
    public static final List<String> DEFAULT_DENY = List.of("169.254.0.0/16", "fe80::/10");

    private final List<Entry> allow;
    private final List<Entry> deny;
    private final Optional<InetSocketAddress> adminListener;

    private BranchUrlPolicy(List<Entry> allow, List<Entry> deny, Optional<InetSocketAddress> adminListener) {
        this.allow = List.copyOf(allow);
        this.deny = List.copyOf(deny);
        this.adminListener = adminListener;
    }

    /** Only http(s) and the {@link #DEFAULT_DENY} list. */
    public static BranchUrlPolicy defaults() {
        return of(List.of(), DEFAULT_DENY, Optional.empty());
    }

    /**
     * A policy from configured lists.
     *
     * @param adminListener the server's admin listener, refused as a target; empty when there is none
     * @throws IllegalArgumentException naming an entry that is neither a host name, an address nor a CIDR block
     */
    public static BranchUrlPolicy of(List<String> allow, List<String> deny, Optional<InetSocketAddress> adminListener) {
        return new BranchUrlPolicy(parse(allow), parse(deny), Objects.requireNonNull(adminListener));
    }

    /** This policy, also refusing {@code listener} (a server's admin listener, as bound). */
    public BranchUrlPolicy withAdminListener(InetSocketAddress listener) {
        return new BranchUrlPolicy(allow, deny, Optional.of(listener));
    }

    /**
     * Why the URL may not be called, or empty when it may. Resolves the host (the JVM caches lookups).
     *
     * @param url a branch URL as submitted
     */
    public Optional<String> refusal(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            return Optional.of("not a valid URL (" + e.getReason() + ")");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return Optional.of("only http and https URLs are called" + (scheme.isEmpty() ? "" : ", not " + scheme));
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return Optional.of("the URL has no host");
        }
        host = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
        int port = uri.getPort() != -1 ? uri.getPort() : scheme.equals("https") ? 443 : 80;
        List<InetAddress> addresses = resolve(host);
        return refusal(host, addresses, port);
    }

    /**
     * Why {@code host}, resolved to {@code addresses}, may not be called on {@code port}; the check made at call
     * time on the addresses the client is about to connect to.
     */
    public Optional<String> refusal(String host, List<InetAddress> addresses, int port) {
        String name = host.toLowerCase(Locale.ROOT);
        for (Entry d : deny) {
            if (d.matchesName(name)) {
                return Optional.of("host " + host + " is on the deny list (" + d.text + ")");
            }
            for (InetAddress a : addresses) {
                if (d.matches(a)) {
                    return Optional.of("host " + host + " is " + a.getHostAddress() + ", on the deny list (" + d.text
                            + ")");
                }
            }
        }
        if (!allow.isEmpty() && allow.stream().noneMatch(e -> e.matchesName(name))) {
            if (addresses.isEmpty()) {
                return Optional.of("host " + host + " is not on the allow list");
            }
            for (InetAddress a : addresses) {
                if (allow.stream().noneMatch(e -> e.matches(a))) {
                    return Optional.of("host " + host + " (" + a.getHostAddress() + ") is not on the allow list");
                }
            }
        }
        if (adminListener.isPresent() && port == adminListener.get().getPort()) {
            for (InetAddress a : addresses) {
                if (isAdminListener(a)) {
                    return Optional.of(host + ":" + port + " is this server's admin listener");
                }
            }
        }
        return Optional.empty();
    }

    private boolean isAdminListener(InetAddress a) {
        InetAddress bound = adminListener.orElseThrow().getAddress();
        if (a.isLoopbackAddress() || a.isAnyLocalAddress() || a.equals(bound)) {
            return true;
        }
        try {
            return bound != null && bound.isAnyLocalAddress() && NetworkInterface.getByInetAddress(a) != null;
        } catch (SocketException e) {
            return true; // cannot tell: refuse rather than risk it
        }
    }

    private static List<InetAddress> resolve(String host) {
        try {
            return List.of(InetAddress.getAllByName(host));
        } catch (UnknownHostException | SecurityException e) {
            return List.of();
        }
    }

    @Override
    public String toString() {
        return "BranchUrlPolicy[allow=" + allow.stream().map(e -> e.text).toList() + " deny="
                + deny.stream().map(e -> e.text).toList()
                + adminListener.map(a -> " adminListener=" + a).orElse("") + "]";
    }

    private static List<Entry> parse(List<String> entries) {
        List<Entry> out = new ArrayList<>();
        for (String raw : entries) {
            String e = raw.strip();
            if (!e.isEmpty()) {
                out.add(Entry.parse(e));
            }
        }
        return out;
    }

    /** One entry: a host name, a wildcard domain, or an address block. */
    private static final class Entry {
        final String text;
        final String name;
        final String suffix;
        final byte[] network;
        final int prefix;

        private Entry(String text, String name, String suffix, byte[] network, int prefix) {
            this.text = text;
            this.name = name;
            this.suffix = suffix;
            this.network = network;
            this.prefix = prefix;
        }

        static Entry parse(String text) {
            String t = text.toLowerCase(Locale.ROOT);
            if (t.startsWith("*.")) {
                requireName(text, t.substring(2));
                return new Entry(text, null, t.substring(1), null, 0);
            }
            int slash = t.indexOf('/');
            String address = slash < 0 ? t : t.substring(0, slash);
            if (isAddressLiteral(address)) {
                byte[] bytes;
                try {
                    bytes = InetAddress.getByName(address).getAddress(); // a literal: no lookup
                } catch (UnknownHostException e) {
                    throw new IllegalArgumentException("'" + text + "' is not an IP address or CIDR block");
                }
                int bits = bytes.length * 8;
                int prefix = bits;
                if (slash >= 0) {
                    try {
                        prefix = Integer.parseInt(t.substring(slash + 1));
                    } catch (NumberFormatException e) {
                        prefix = -1;
                    }
                    if (prefix < 0 || prefix > bits) {
                        throw new IllegalArgumentException("'" + text + "': the prefix length must be 0 to " + bits);
                    }
                }
                return new Entry(text, null, null, bytes, prefix);
            }
            requireName(text, t);
            return new Entry(text, t, null, null, 0);
        }

        private static boolean isAddressLiteral(String s) {
            return s.contains(":") || s.matches("[0-9.]+");
        }

        private static void requireName(String text, String name) {
            if (!name.matches("[a-z0-9]([a-z0-9-]*[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*")) {
                throw new IllegalArgumentException("'" + text + "' is not a host name, *.domain, IP address or "
                        + "CIDR block");
            }
        }

        boolean matchesName(String host) {
            return name != null ? name.equals(host) : suffix != null && host.endsWith(suffix);
        }

        boolean matches(InetAddress a) {
            if (network == null) {
                return false;
            }
            byte[] b = a.getAddress();
            if (b.length != network.length) {
                return false;
            }
            int whole = prefix / 8;
            for (int i = 0; i < whole; i++) {
                if (b[i] != network[i]) {
                    return false;
                }
            }
            int rest = prefix % 8;
            int mask = (0xff << (8 - rest)) & 0xff;
            return rest == 0 || (b[whole] & mask) == (network[whole] & mask);
        }
    }
}
