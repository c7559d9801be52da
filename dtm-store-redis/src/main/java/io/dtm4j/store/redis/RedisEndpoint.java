package io.dtm4j.store.redis;

import io.lettuce.core.RedisURI;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Where Redis is: one node, a Sentinel-watched master, or a Cluster, with the credentials and database to use.
 * Immutable; {@link #toString()} and {@link #describe(String)} never show the password.
 *
 * @param kind     standalone, sentinel or cluster
 * @param nodes    the node (standalone), the sentinels, or the cluster seed nodes; at least one
 * @param masterId the Sentinel master name; empty otherwise
 * @param user     ACL user; empty for none
 * @param password password; empty for none
 * @param database database number (0 for a Cluster)
 */
record RedisEndpoint(Kind kind, List<HostPort> nodes, String masterId, String user, String password, int database) {

    /** The connection name set with {@code CLIENT SETNAME}. */
    static final String CLIENT_NAME = "dtm4j";

    /** How the nodes are used. */
    enum Kind { STANDALONE, SENTINEL, CLUSTER }

    RedisEndpoint {
        nodes = List.copyOf(nodes);
        if (nodes.isEmpty()) {
            throw new IllegalArgumentException("at least one Redis node is needed");
        }
    }

    /**
     * A node address.
     *
     * @param host host name or IP (IPv6 without brackets)
     * @param port 1 to 65535
     */
    record HostPort(String host, int port) {
        HostPort {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("port must be 1 to 65535, got " + port);
            }
        }

        /**
         * Parses {@code host:port} or {@code [ipv6]:port}.
         *
         * @throws IllegalArgumentException naming the text when it is not one of those
         */
        static HostPort parse(String text) {
            String t = text == null ? "" : text.trim();
            int colon = t.lastIndexOf(':');
            if (colon <= 0 || colon == t.length() - 1) {
                throw new IllegalArgumentException("expected host:port, got '" + text + "'");
            }
            String host = t.substring(0, colon);
            if (host.startsWith("[") && host.endsWith("]")) {
                host = host.substring(1, host.length() - 1);
            }
            try {
                return new HostPort(host, Integer.parseInt(t.substring(colon + 1)));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("expected host:port with a numeric port, got '" + text + "'", e);
            }
        }

        @Override
        public String toString() {
            return host.indexOf(':') >= 0 ? "[" + host + "]:" + port : host + ":" + port;
        }
    }

    /** The node addresses as an operator would type them, e.g. {@code 127.0.0.1:6379} or {@code a:7000,b:7001}. */
    String address() {
        return nodes.stream().map(HostPort::toString).collect(Collectors.joining(","));
    }

    /**
     * A short, secret-free name: {@code redis://host:port/db?prefix=P}, {@code redis-sentinel://s1:p1,s2:p2/db
     * ?master=M&prefix=P} or {@code redis-cluster://n1:p1,n2:p2?prefix=P}.
     */
    String describe(String prefix) {
        return switch (kind) {
            case STANDALONE -> "redis://" + address() + "/" + database + "?prefix=" + prefix;
            case SENTINEL -> "redis-sentinel://" + address() + "/" + database + "?master=" + masterId + "&prefix="
                    + prefix;
            case CLUSTER -> "redis-cluster://" + address() + "?prefix=" + prefix;
        };
    }

    /** Lettuce URIs: one for standalone and Sentinel (all sentinels in it), one per seed node for a Cluster. */
    List<RedisURI> uris(Duration timeout) {
        List<RedisURI> out = new ArrayList<>();
        switch (kind) {
            case STANDALONE -> out.add(withCredentials(RedisURI.Builder.redis(nodes.get(0).host(), nodes.get(0).port()),
                    timeout));
            case SENTINEL -> {
                RedisURI.Builder b = RedisURI.Builder.sentinel(nodes.get(0).host(), nodes.get(0).port(), masterId);
                for (HostPort n : nodes.subList(1, nodes.size())) {
                    b.withSentinel(n.host(), n.port());
                }
                out.add(withCredentials(b, timeout));
            }
            case CLUSTER -> {
                for (HostPort n : nodes) {
                    out.add(withCredentials(RedisURI.Builder.redis(n.host(), n.port()), timeout));
                }
            }
        }
        return out;
    }

    private RedisURI withCredentials(RedisURI.Builder b, Duration timeout) {
        // CLIENT LIST then shows which connections are the store's
        b.withTimeout(timeout).withDatabase(database).withClientName(CLIENT_NAME);
        if (!user.isEmpty()) {
            b.withAuthentication(user, password);
        } else if (!password.isEmpty()) {
            b.withPassword(password.toCharArray());
        }
        return b.build();
    }

    @Override
    public String toString() {
        return "RedisEndpoint[" + kind + " " + address() + (user.isEmpty() ? "" : " user=" + user) + "]";
    }
}
