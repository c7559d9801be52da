package io.dtm4j.server;

import io.dtm4j.core.StoreIncompatibleException;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.store.jdbc.JdbcStoreBuilder;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import io.dtm4j.store.jdbc.SchemaStatus;
import io.dtm4j.store.redis.RedisTransactionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Opens the configured store. A networked store (PostgreSQL, MySQL/MariaDB, Redis) is waited for as DTM does
 * ({@code WaitStoreUp}: an attempt every 3 s), but only for {@code Store.StartupTimeout}, with one WARN line per
 * failed attempt that says what to check. Messages never hold the password. Not thread-safe.
 */
final class StoreOpener {
    private static final Logger LOG = LoggerFactory.getLogger(StoreOpener.class);
    /** DTM's pause between attempts. */
    static final Duration RETRY_EVERY = Duration.ofSeconds(3);
    /** Longest store message kept on the one line (the remedy comes last, so keep it long). */
    private static final int MAX_CAUSE = 1000;

    /** Waits between attempts; tests pass one that only advances a fake clock. */
    @FunctionalInterface
    interface Sleeper {
        void sleep(Duration d) throws InterruptedException;
    }

    private final StoreConfig cfg;
    private final Function<StoreConfig, TransactionStore> factory;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private final Consumer<String> warn;

    StoreOpener(StoreConfig cfg, Function<StoreConfig, TransactionStore> factory, LongSupplier nanoTime,
                Sleeper sleeper, Consumer<String> warn) {
        this.cfg = cfg;
        this.factory = factory;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.warn = warn;
    }

    /** An opener of the real stores on the real clock, logging its attempts. */
    static StoreOpener forConfig(StoreConfig cfg) {
        return new StoreOpener(cfg, StoreOpener::build, System::nanoTime, d -> Thread.sleep(d.toMillis()),
                LOG::warn);
    }

    /**
     * Opens the store and checks that it answers, waiting up to {@code Store.StartupTimeout} for a networked one.
     *
     * @throws StoreUnavailableException with one line for the operator: what to check, how long it waited and
     *                                   the store's own message
     * @throws IllegalArgumentException  when the store refuses a setting
     */
    TransactionStore openWaiting() {
        if (!cfg.networked()) {
            return openOnce();
        }
        long deadline = nanoTime.getAsLong() + cfg.startupTimeout().toNanos();
        for (int attempt = 1; ; attempt++) {
            try {
                TransactionStore store = attempt();
                if (attempt > 1) {
                    LOG.info("{} at {} answered (attempt {})", cfg.product(), cfg.address(), attempt);
                }
                return store;
            } catch (StoreIncompatibleException e) {
                throw oneLine(e); // the store answered: waiting does not change its data
            } catch (StoreUnavailableException e) {
                if (nanoTime.getAsLong() + RETRY_EVERY.toNanos() > deadline) {
                    throw new StoreUnavailableException("store not reachable: " + hint() + " gave up after "
                            + attempt + (attempt == 1 ? " attempt" : " attempts") + " (Store.StartupTimeout "
                            + cfg.startupTimeout().toSeconds() + " s): " + cause(e), e);
                }
                warn.accept("store not reachable: " + hint() + " retrying in " + RETRY_EVERY.toSeconds()
                        + " s (attempt " + attempt + ", giving up after " + cfg.startupTimeout().toSeconds()
                        + " s): " + cause(e));
                pause();
            }
        }
    }

    /**
     * One attempt: opens the store and pings it.
     *
     * @throws StoreUnavailableException with one line for the operator
     */
    TransactionStore openOnce() {
        try {
            return attempt();
        } catch (StoreUnavailableException e) {
            throw oneLine(e);
        }
    }

    /**
     * What a SQL store holds, read over one connection without changing anything (for {@code check}); empty for
     * Redis and mem.
     *
     * @throws StoreUnavailableException with one line for the operator
     * @throws IllegalArgumentException  when the store refuses a setting
     */
    Optional<SchemaStatus> inspect() {
        try {
            return jdbc(cfg).map(JdbcStoreBuilder::inspect);
        } catch (StoreUnavailableException e) {
            throw oneLine(e);
        }
    }

    private StoreUnavailableException oneLine(StoreUnavailableException e) {
        if (e instanceof StoreIncompatibleException) {
            return new StoreIncompatibleException("cannot use the store: " + cause(e));
        }
        String front = cfg.networked() ? "store not reachable: " + hint() + " " : "cannot open the store: ";
        return new StoreUnavailableException(front + cause(e), e);
    }

    /** "is PostgreSQL running at 127.0.0.1:5432?" */
    String hint() {
        return "is " + cfg.product() + " running at " + cfg.address() + "?";
    }

    private TransactionStore attempt() {
        TransactionStore store = factory.apply(cfg);
        try {
            store.ping();
            return store;
        } catch (RuntimeException e) {
            try {
                store.close();
            } catch (RuntimeException closing) {
                e.addSuppressed(closing);
            }
            throw e;
        }
    }

    private void pause() {
        try {
            sleeper.sleep(RETRY_EVERY);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreUnavailableException("interrupted while waiting for " + cfg.product() + " at "
                    + cfg.address());
        }
    }

    /**
     * The store's message on one line, without the password, and without a repeat of {@link #hint()} (the
     * stores end their messages with the same question, which leads our line).
     */
    private String cause(RuntimeException e) {
        String line = cfg.redact(Objects.requireNonNullElse(e.getMessage(), e.getClass().getSimpleName()))
                .replaceAll("\\s+", " ").trim();
        int repeat = line.indexOf(hint());
        if (repeat > 0) {
            line = line.substring(0, repeat).replaceAll("[\\s;,:]+$", "");
        } else {
            // the same question in the store's words (e.g. "is Redis running at" for a Sentinel node)
            line = line.replaceAll("[\\s;,:]+is [A-Za-z ]{1,40} running at \\S+\\?$", "");
        }
        return line.length() > MAX_CAUSE ? line.substring(0, MAX_CAUSE) + "..." : line;
    }

    /**
     * Builds the store of {@code cfg} (without waiting).
     *
     * @throws StoreUnavailableException when it cannot be reached or opened
     * @throws IllegalArgumentException  when the store refuses a setting
     * @throws UncheckedIOException      when the SQLite directory cannot be created
     */
    static TransactionStore build(StoreConfig cfg) {
        return switch (cfg.driver()) {
            case StoreConfig.MEM -> new InMemoryTransactionStore();
            case StoreConfig.REDIS -> redis(cfg);
            default -> {
                if (StoreConfig.SQLITE.equals(cfg.driver())) {
                    createDataDir(cfg);
                }
                yield jdbc(cfg).orElseThrow().build();
            }
        };
    }

    private static void createDataDir(StoreConfig cfg) {
        try {
            Files.createDirectories(cfg.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Store.DataDir " + cfg.dataDir().toAbsolutePath() + ": "
                    + e.getMessage(), e);
        }
    }

    /** The builder of a SQL store with every setting of {@code cfg}; empty for Redis and mem. */
    private static Optional<JdbcStoreBuilder> jdbc(StoreConfig cfg) {
        JdbcStoreBuilder b = JdbcTransactionStore.builder();
        switch (cfg.driver()) {
            case StoreConfig.SQLITE -> {
                return Optional.of(b.sqlite(cfg.dataDir()));
            }
            case StoreConfig.POSTGRES -> b.postgres(cfg.host(), cfg.port(), cfg.database(), cfg.schema());
            case StoreConfig.MYSQL, StoreConfig.MARIADB -> b.mysql(cfg.host(), cfg.port(), cfg.database());
            case StoreConfig.MEM, StoreConfig.REDIS -> {
                return Optional.empty();
            }
            default -> throw new IllegalArgumentException("Store.Driver '" + cfg.driver() + "' has no store");
        }
        b.user(cfg.user()).connMaxLifetime(cfg.connMaxLifetime()).connectTimeout(cfg.connectTimeout());
        if (!cfg.password().isEmpty()) {
            b.password(cfg.password());
        }
        if (cfg.maxOpenConns() != StoreConfig.NOT_SET) {
            b.maxOpenConns(cfg.maxOpenConns());
        }
        if (cfg.maxIdleConns() != StoreConfig.NOT_SET) {
            b.maxIdleConns(cfg.maxIdleConns());
        }
        return Optional.of(b);
    }

    private static TransactionStore redis(StoreConfig cfg) {
        var b = RedisTransactionStore.builder();
        if (cfg.sentinel()) {
            b = b.sentinel(cfg.redisSentinelMaster(), cfg.redisNodes());
        } else if (cfg.cluster()) {
            b = b.cluster(cfg.redisNodes());
        } else {
            String node = cfg.redisNodes().get(0);
            int colon = node.lastIndexOf(':');
            b = b.standalone(node.substring(0, colon), Integer.parseInt(node.substring(colon + 1)));
        }
        if (!cfg.user().isEmpty()) {
            b = b.user(cfg.user());
        }
        if (!cfg.password().isEmpty()) {
            b = b.password(cfg.password());
        }
        if (cfg.redisDatabase() > 0) {
            b = b.database(cfg.redisDatabase());
        }
        return b.prefix(cfg.redisPrefix()).dataExpire(cfg.dataExpire()).finishedDataExpire(cfg.finishedDataExpire())
                .commandTimeout(cfg.connectTimeout()).build();
    }
}
