package io.dtm4j.server;

import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.RecoveryScheduler;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.time.Duration;

/**
 * One running standalone server: store, branch invoker, coordinator, recovery scheduler and HTTP API, started
 * in that order and closed in reverse. Thread-safe.
 */
final class DtmNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DtmNode.class);
    /** How often recovery looks for due transactions (DTM's cron polls every 2-3 s). */
    static final Duration RECOVERY_INTERVAL = Duration.ofSeconds(2);

    private final TransactionStore store;
    private final OkHttpBranchInvoker invoker;
    private final Coordinator coordinator;
    private final DtmServer server;
    private final RecoveryScheduler scheduler;

    private DtmNode(TransactionStore store, OkHttpBranchInvoker invoker, Coordinator coordinator, DtmServer server,
                    RecoveryScheduler scheduler) {
        this.store = store;
        this.invoker = invoker;
        this.coordinator = coordinator;
        this.server = server;
        this.scheduler = scheduler;
    }

    /**
     * Starts everything; on failure closes what was started.
     *
     * @throws UncheckedIOException when the HTTP port cannot be bound (cause: the BindException) or the data
     *                              directory cannot be created
     * @throws io.dtm4j.core.StoreUnavailableException when the store cannot be opened
     */
    static DtmNode start(ServerConfig cfg) {
        TransactionStore store = openStore(cfg);
        OkHttpBranchInvoker invoker = null;
        Coordinator coordinator = null;
        DtmServer server = null;
        try {
            store.ping();
            invoker = OkHttpBranchInvoker.builder().build();
            coordinator = Coordinator.builder().store(store).invoker(invoker).retryInterval(cfg.retryInterval())
                    .timeoutToFail(cfg.timeoutToFail()).requestTimeout(cfg.requestTimeout()).build();
            server = DtmServer.builder().coordinator(coordinator).host(cfg.host()).port(cfg.httpPort())
                    .timeoutToFail(cfg.timeoutToFail()).maxBodyBytes(cfg.maxBodyBytes()).build();
            server.start();
            RecoveryScheduler scheduler = RecoveryScheduler.start(coordinator, RECOVERY_INTERVAL);
            return new DtmNode(store, invoker, coordinator, server, scheduler);
        } catch (RuntimeException e) {
            closeQuietly(server);
            closeQuietly(coordinator);
            closeQuietly(invoker);
            closeQuietly(store);
            throw e;
        }
    }

    private static TransactionStore openStore(ServerConfig cfg) {
        if (ServerConfig.DRIVER_MEM.equals(cfg.storeDriver())) {
            return new InMemoryTransactionStore();
        }
        try {
            Files.createDirectories(cfg.dataDir());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create Store.DataDir " + cfg.dataDir().toAbsolutePath() + ": "
                    + e.getMessage(), e);
        }
        return JdbcTransactionStore.sqlite(cfg.dataDir());
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c == null) {
            return;
        }
        try {
            c.close();
        } catch (Exception e) {
            LOG.warn("while stopping {}: {}", c.getClass().getSimpleName(), e.toString());
        }
    }

    int port() {
        return server.port();
    }

    String storeName() {
        return store.describe();
    }

    String version() {
        return server.version();
    }

    /** Stops accepting requests (running ones get up to 5 s), then recovery, processing and the store. */
    @Override
    public void close() {
        closeQuietly(server);
        closeQuietly(scheduler);
        closeQuietly(coordinator);
        closeQuietly(invoker);
        closeQuietly(store);
    }
}
