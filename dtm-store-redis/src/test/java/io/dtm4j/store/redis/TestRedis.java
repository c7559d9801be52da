package io.dtm4j.store.redis;

import io.dtm4j.core.testing.ItEnvironment;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;

import java.time.Duration;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A plain Lettuce connection to a test Redis for looking behind the store's back: key types, TTLs, script
 * cache, command statistics, and deleting a test's keys. Not thread-safe.
 */
final class TestRedis implements AutoCloseable {
    private static final Pattern EVALSHA_CALLS = Pattern.compile("cmdstat_evalsha:calls=(\\d+)");

    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;

    TestRedis(String host, int port) {
        this.client = RedisClient.create(RedisURI.Builder.redis(host, port).withTimeout(Duration.ofSeconds(5)).build());
        this.connection = client.connect();
    }

    /** The Redis of {@link ItEnvironment} (skips or fails the test when it is not configured). */
    static TestRedis shared() {
        return new TestRedis(ItEnvironment.redisHost(), ItEnvironment.redisPort());
    }

    /** A fresh prefix with a hash tag, e.g. {@code {t3f09c2a1b7de}}, so parallel runs never share keys. */
    static String randomPrefix() {
        return "{t" + UUID.randomUUID().toString().replace("-", "").substring(0, 12) + "}";
    }

    RedisCommands<String, String> sync() {
        return connection.sync();
    }

    /** How many EVALSHA calls the server has run since its start (or the last CONFIG RESETSTAT). */
    long evalshaCalls() {
        Matcher m = EVALSHA_CALLS.matcher(sync().info("commandstats"));
        return m.find() ? Long.parseLong(m.group(1)) : 0;
    }

    /** Runs {@code CLIENT <args>} (PAUSE, UNPAUSE, KILL, ...) and returns the reply as text. */
    String client(String... args) {
        CommandArgs<String, String> a = new CommandArgs<>(StringCodec.UTF8);
        for (String arg : args) {
            a.add(arg);
        }
        Object reply = sync().dispatch(CommandType.CLIENT, new NestedMultiOutput<>(StringCodec.UTF8), a);
        return String.valueOf(reply);
    }

    /** Deletes every key that starts with {@code prefix}. */
    void deleteKeys(String prefix) {
        String pattern = prefix.replaceAll("([*?\\[\\]\\\\])", "\\\\$1") + "*";
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            KeyScanCursor<String> page = sync().scan(cursor, ScanArgs.Builder.matches(pattern).limit(500));
            if (!page.getKeys().isEmpty()) {
                sync().del(page.getKeys().toArray(String[]::new));
            }
            cursor = page;
        } while (!cursor.isFinished());
    }

    @Override
    public void close() {
        connection.close();
        client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
}
