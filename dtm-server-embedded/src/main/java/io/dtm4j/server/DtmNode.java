package io.dtm4j.server;

import io.dtm4j.client.BranchUrlPolicy;
import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.RecoveryScheduler;
import io.dtm4j.core.RetentionScheduler;
import io.dtm4j.core.spi.TransactionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * One running standalone server: store, branch invoker, coordinator, recovery and retention schedulers and HTTP
 * API, started in that order and closed in reverse. Thread-safe.
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
    private final RetentionScheduler retention;

    private DtmNode(TransactionStore store, OkHttpBranchInvoker invoker, Coordinator coordinator, DtmServer server,
                    RecoveryScheduler scheduler, RetentionScheduler retention) {
        this.store = store;
        this.invoker = invoker;
        this.coordinator = coordinator;
        this.server = server;
        this.scheduler = scheduler;
        this.retention = retention;
    }

    /**
     * Starts everything; on failure closes what was started. A networked store is waited for up to
     * {@code Store.StartupTimeout} ({@link StoreOpener}).
     *
     * @throws UncheckedIOException when the HTTP port cannot be bound (cause: the BindException) or the data
     *                              directory cannot be created
     * @throws io.dtm4j.core.StoreUnavailableException when the store cannot be opened or never answered; the
     *                                                 message is one line for the operator
     * @throws IllegalArgumentException when the store refuses a setting
     */
    static DtmNode start(ServerConfig cfg) {
        return start(cfg, StoreOpener.forConfig(cfg.store()));
    }

    static DtmNode start(ServerConfig cfg, StoreOpener opener) {
        TransactionStore store = opener.openWaiting();
        OkHttpBranchInvoker invoker = null;
        Coordinator coordinator = null;
        DtmServer server = null;
        RecoveryScheduler scheduler = null;
        try {
            SecuritySettings security = cfg.security();
            BranchUrlPolicy urlPolicy = security.urlPolicy();
            invoker = OkHttpBranchInvoker.builder().urlPolicy(urlPolicy).build();
            ServerMetrics metrics = new ServerMetrics();
            coordinator = Coordinator.builder().store(store).invoker(invoker).retryInterval(cfg.retryInterval())
                    .timeoutToFail(cfg.timeoutToFail()).requestTimeout(cfg.requestTimeout()).events(metrics).build();
            DtmServer.Builder serverBuilder = DtmServer.builder().coordinator(coordinator).host(cfg.host()).port(cfg.httpPort())
                    .timeoutToFail(cfg.timeoutToFail()).maxBodyBytes(cfg.maxBodyBytes()).metrics(metrics)
                    .readTimeout(cfg.readTimeout()).adminBasePath(security.adminBasePath()).allowRemoteAdmin(security.allowRemote())
                    .tokens(security.tokens()).urlPolicy(urlPolicy);
            if (security.adminHost() != null) {
                serverBuilder.adminListener(security.adminHost(), security.adminPort());
            }
            server = serverBuilder.build();
            server.start();
            scheduler = RecoveryScheduler.start(coordinator, RECOVERY_INTERVAL);
            return new DtmNode(store, invoker, coordinator, server, scheduler, startRetention(cfg, coordinator));
        } catch (RuntimeException e) {
            closeQuietly(server);
            closeQuietly(scheduler);
            closeQuietly(coordinator);
            closeQuietly(invoker);
            closeQuietly(store);
            throw e;
        }
    }

    private static RetentionScheduler startRetention(ServerConfig cfg, Coordinator coordinator) {
        Duration keep = cfg.store().finishedRetention();
        if (keep.isZero()) {
            LOG.info("retention off (Store.FinishedRetention 0): finished transactions are kept");
            return null;
        }
        LOG.info("retention: finished transactions are removed {} s after they finish (Store.FinishedRetention)",
                keep.toSeconds());
        return RetentionScheduler.start(coordinator, keep);
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
        closeQuietly(retention);
        closeQuietly(scheduler);
        closeQuietly(coordinator);
        closeQuietly(invoker);
        closeQuietly(store);
    }
}
