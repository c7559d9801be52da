package io.dtm4j.store.redis;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.Delay;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * One shared Lettuce connection (standalone, Sentinel or Cluster) and the calls made on it. Commands of
 * concurrent callers are pipelined on that connection by Lettuce; nothing opens a connection per call.
 *
 * <p>Failure behaviour, chosen so that an outage fails calls fast and a script never runs twice:
 * <ul>
 *   <li>The connection is opened on first use, not at construction, so a store can be built while Redis is
 *       down; a failed attempt is retried by the next call.</li>
 *   <li>While the connection is down, commands are rejected at once ({@code REJECT_COMMANDS}) instead of
 *       queueing until the command timeout; Lettuce reconnects in the background, at most 1 s apart.</li>
 *   <li>Commands in flight when a connection drops fail at once and are never replayed after the reconnect
 *       (at-most-once; {@code REJECT_COMMANDS} drains them, and the replay filter refuses every command in case
 *       that ever changes). Lettuce's default, at-least-once, would run a script a second time, and a replayed
 *       compare-and-set reports a lost race for a write that was in fact applied.</li>
 *   <li>Every command times out after the command timeout; the socket connect too.</li>
 * </ul>
 * Scripts are loaded when a connection opens and called by SHA; a {@code NOSCRIPT} answer (script cache
 * flushed, Redis restarted) loads the script again and repeats the call once. Thread-safe.
 */
final class RedisConnector implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RedisConnector.class);
    /** Extra wait beyond the command timeout, so Lettuce's own timeout normally fires first. */
    private static final long GRACE_MILLIS = 500;
    private static final Duration MAX_RECONNECT_DELAY = Duration.ofSeconds(1);
    private static final Duration CLUSTER_REFRESH_PERIOD = Duration.ofSeconds(60);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final List<RedisURI> uris;
    private final Duration timeout;
    private final RedisErrors errors;
    private final ClientResources resources;
    private final AbstractRedisClient client;
    private final Object lock = new Object();
    private CompletableFuture<Link> link;
    private boolean closed;

    private record Link(StatefulConnection<String, String> connection,
                        RedisClusterAsyncCommands<String, String> commands) {
    }

    RedisConnector(RedisEndpoint endpoint, Duration timeout, RedisErrors errors) {
        this.uris = endpoint.uris(timeout);
        this.timeout = timeout;
        this.errors = errors;
        this.resources = ClientResources.builder()
                .threadFactoryProvider(pool -> r -> {
                    Thread t = new Thread(r, "dtm-redis-" + THREADS.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                })
                .reconnectDelay(Delay.exponential(Duration.ofMillis(1), MAX_RECONNECT_DELAY, 2, TimeUnit.MILLISECONDS))
                .build();
        SocketOptions socket = SocketOptions.builder().connectTimeout(timeout).keepAlive(true).build();
        TimeoutOptions timeouts = TimeoutOptions.enabled(timeout);
        if (endpoint.kind() == RedisEndpoint.Kind.CLUSTER) {
            ClusterClientOptions.Builder b = ClusterClientOptions.builder();
            b.socketOptions(socket).timeoutOptions(timeouts)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    // Lettuce's adaptive refresh (on MOVED, ASK, reconnects) is on by default; add a periodic one
                    .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                            .enablePeriodicRefresh(CLUSTER_REFRESH_PERIOD).build());
            b.replayFilter(command -> true);
            RedisClusterClient c = RedisClusterClient.create(resources, uris);
            c.setOptions(b.build());
            this.client = c;
        } else {
            ClientOptions.Builder b = ClientOptions.builder().socketOptions(socket).timeoutOptions(timeouts)
                    .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                    .replayFilter(command -> true);
            RedisClient c = RedisClient.create(resources, uris.get(0));
            c.setOptions(b.build());
            this.client = c;
        }
    }

    /**
     * Runs {@code op} with the shared connection's commands and waits for its result, at most about the
     * command timeout.
     *
     * @param what names the call in error messages, e.g. {@code gid=g1: insert}
     * @throws io.dtm4j.core.StoreUnavailableException when Redis cannot be reached, does not answer in time or
     *                                                 answers an error
     */
    <T> T call(String what, Function<RedisClusterAsyncCommands<String, String>, CompletionStage<T>> op) {
        CompletableFuture<T> f = commands(what).thenCompose(op);
        try {
            return f.get(timeout.toMillis() + GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw errors.interrupted(what, e);
        } catch (ExecutionException | TimeoutException e) {
            throw errors.translate(what, e);
        }
    }

    /** Calls {@code script} by SHA; on {@code NOSCRIPT} loads it and calls it once more. */
    static CompletionStage<List<Object>> eval(RedisClusterAsyncCommands<String, String> c, Script script,
                                              String[] keys, String... args) {
        return c.<List<Object>>evalsha(script.sha(), ScriptOutputType.MULTI, keys, args).toCompletableFuture()
                .exceptionallyCompose(e -> {
                    Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (!(cause instanceof RedisNoScriptException)) {
                        return CompletableFuture.failedFuture(cause);
                    }
                    LOG.debug("script {} is not cached in Redis; loading it again", script.file());
                    return c.scriptLoad(script.text()).thenCompose(sha -> c.<List<Object>>evalsha(sha,
                            ScriptOutputType.MULTI, keys, args));
                });
    }

    private CompletableFuture<RedisClusterAsyncCommands<String, String>> commands(String what) {
        synchronized (lock) {
            if (closed) {
                return CompletableFuture.failedFuture(errors.closed(what));
            }
            if (link == null || link.isCompletedExceptionally()) {
                link = connect();
            }
            return link.thenApply(Link::commands);
        }
    }

    private CompletableFuture<Link> connect() {
        CompletableFuture<? extends StatefulConnection<String, String>> opening;
        if (client instanceof RedisClusterClient c) {
            // an asynchronous cluster connect needs the slot table first
            opening = c.refreshPartitionsAsync().toCompletableFuture()
                    .thenCompose(v -> c.connectAsync(StringCodec.UTF8));
        } else {
            opening = ((RedisClient) client).connectAsync(StringCodec.UTF8, uris.get(0)).toCompletableFuture();
        }
        return opening.thenCompose(connection -> {
            RedisClusterAsyncCommands<String, String> commands;
            if (connection instanceof StatefulRedisClusterConnection<String, String> cc) {
                commands = cc.async();
            } else if (connection instanceof StatefulRedisConnection<String, String> sc) {
                commands = sc.async();
            } else {
                throw new IllegalStateException("unexpected connection type " + connection.getClass().getName());
            }
            List<CompletableFuture<String>> loads = new ArrayList<>();
            for (Script s : Script.values()) {
                loads.add(commands.scriptLoad(s.text()).toCompletableFuture());
            }
            return CompletableFuture.allOf(loads.toArray(CompletableFuture[]::new))
                    .thenApply(v -> {
                        LOG.info("connected to {}", errors.name());
                        return new Link(connection, commands);
                    })
                    .whenComplete((l, e) -> {
                        if (e != null) {
                            connection.closeAsync();
                        }
                    });
        });
    }

    @Override
    public void close() {
        CompletableFuture<Link> open;
        synchronized (lock) {
            if (closed) {
                return;
            }
            closed = true;
            open = link;
        }
        if (open != null && open.isDone() && !open.isCompletedExceptionally()) {
            open.join().connection().close();
        }
        client.shutdown(Duration.ZERO, timeout);
        resources.shutdown(0, timeout.toMillis(), TimeUnit.MILLISECONDS).awaitUninterruptibly(timeout.toMillis());
    }
}
