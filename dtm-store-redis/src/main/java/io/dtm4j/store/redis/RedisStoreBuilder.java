package io.dtm4j.store.redis;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * Builds a {@link RedisTransactionStore}; get one from {@link RedisTransactionStore#builder()}. Choose exactly one
 * of {@link #standalone}, {@link #sentinel} and {@link #cluster}; everything else has a default (the
 * {@code DEFAULT_*} constants of {@link RedisTransactionStore}). Setters validate at once. Building does no I/O:
 * the connection opens on the first call, so a store can be built while Redis is down. Not thread-safe.
 */
public final class RedisStoreBuilder {
    private RedisEndpoint.Kind kind;
    private List<RedisEndpoint.HostPort> nodes = List.of();
    private String masterId = "";
    private String user = "";
    private String password = "";
    private int database;
    private String prefix = RedisTransactionStore.DEFAULT_PREFIX;
    private Duration dataExpire = RedisTransactionStore.DEFAULT_DATA_EXPIRE;
    private Duration finishedDataExpire = RedisTransactionStore.DEFAULT_FINISHED_DATA_EXPIRE;
    private Duration commandTimeout = RedisTransactionStore.DEFAULT_COMMAND_TIMEOUT;

    RedisStoreBuilder() {
    }

    /** One Redis node at {@code host:port}. */
    public RedisStoreBuilder standalone(String host, int port) {
        return topology(RedisEndpoint.Kind.STANDALONE, List.of(new RedisEndpoint.HostPort(host, port)), "");
    }

    /**
     * A master watched by Sentinels: {@code masterId} is the Sentinel master name, {@code hostPorts} the
     * sentinels as {@code host:port}. The user and password apply to the data nodes; the sentinels are
     * reached without.
     */
    public RedisStoreBuilder sentinel(String masterId, List<String> hostPorts) {
        if (masterId == null || masterId.isBlank()) {
            throw new IllegalArgumentException("the Sentinel master name must not be blank");
        }
        return topology(RedisEndpoint.Kind.SENTINEL, parse(hostPorts), masterId);
    }

    /**
     * A Redis Cluster reached through the seed nodes {@code hostPorts} ({@code host:port}). The prefix must
     * hold a hash tag such as {@code {a}}, so that the store's keys share one slot; the database must be 0.
     */
    public RedisStoreBuilder cluster(List<String> hostPorts) {
        return topology(RedisEndpoint.Kind.CLUSTER, parse(hostPorts), "");
    }

    /** The ACL user; empty (the default) for none. */
    public RedisStoreBuilder user(String value) {
        this.user = requireNonNull(value, "user");
        return this;
    }

    /** The password; empty (the default) for none. Never shown in messages or {@code describe()}. */
    public RedisStoreBuilder password(String value) {
        this.password = requireNonNull(value, "password");
        return this;
    }

    /** The database number; default 0. */
    public RedisStoreBuilder database(int value) {
        if (value < 0) {
            throw new IllegalArgumentException("database must not be negative, got " + value);
        }
        this.database = value;
        return this;
    }

    /** The key prefix (DTM's {@code Store.RedisPrefix}); default {@code {a}}. */
    public RedisStoreBuilder prefix(String value) {
        requireNonNull(value, "prefix");
        if (value.isEmpty() || value.chars().anyMatch(ch -> Character.isWhitespace(ch) || ch < 0x20)) {
            throw new IllegalArgumentException("prefix must be non-empty without spaces or control characters, "
                    + "got '" + value + "'");
        }
        this.prefix = value;
        return this;
    }

    /** TTL of a running transaction's keys, renewed by each write (DTM's DataExpire); default 7 days. */
    public RedisStoreBuilder dataExpire(Duration value) {
        this.dataExpire = positiveMillis("dataExpire", value);
        return this;
    }

    /** TTL of a transaction's keys once finished (DTM's FinishedDataExpire); default 1 day. */
    public RedisStoreBuilder finishedDataExpire(Duration value) {
        this.finishedDataExpire = positiveMillis("finishedDataExpire", value);
        return this;
    }

    /** How long a command (and a connect) may take before the call fails; default 3 s. */
    public RedisStoreBuilder commandTimeout(Duration value) {
        this.commandTimeout = positiveMillis("commandTimeout", value);
        return this;
    }

    /**
     * Builds the store.
     *
     * @throws IllegalStateException when no topology was chosen, or a Cluster is combined with a database
     *                               other than 0 or a prefix without a hash tag
     */
    public RedisTransactionStore build() {
        return new RedisTransactionStore(endpoint(), prefix, password, dataExpire, finishedDataExpire, commandTimeout);
    }

    private RedisEndpoint endpoint() {
        if (kind == null) {
            throw new IllegalStateException("choose where Redis is: standalone, sentinel or cluster");
        }
        if (kind == RedisEndpoint.Kind.CLUSTER) {
            if (database != 0) {
                throw new IllegalStateException("a Redis Cluster has only database 0, got " + database);
            }
            int open = prefix.indexOf('{');
            int close = open < 0 ? -1 : prefix.indexOf('}', open + 1);
            if (close < open + 2) {
                throw new IllegalStateException("on a Redis Cluster the prefix needs a hash tag such as {a}, so "
                        + "that the store's keys share one slot; got '" + prefix + "'");
            }
        }
        return new RedisEndpoint(kind, nodes, masterId, user, password, database);
    }

    private RedisStoreBuilder topology(RedisEndpoint.Kind k, List<RedisEndpoint.HostPort> n, String master) {
        if (kind != null) {
            throw new IllegalStateException("Redis is already set to " + kind.name().toLowerCase(Locale.ROOT)
                    + "; choose one of standalone, sentinel and cluster");
        }
        this.kind = k;
        this.nodes = n;
        this.masterId = master;
        return this;
    }

    private static List<RedisEndpoint.HostPort> parse(List<String> hostPorts) {
        requireNonNull(hostPorts, "hostPorts");
        if (hostPorts.isEmpty()) {
            throw new IllegalArgumentException("at least one host:port is needed");
        }
        return hostPorts.stream().map(RedisEndpoint.HostPort::parse).toList();
    }

    private static <T> T requireNonNull(T value, String name) {
        if (value == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        return value;
    }

    private static Duration positiveMillis(String name, Duration value) {
        requireNonNull(value, name);
        if (value.toMillis() < 1) {
            throw new IllegalArgumentException(name + " must be at least 1 ms, got " + value);
        }
        return value;
    }
}
