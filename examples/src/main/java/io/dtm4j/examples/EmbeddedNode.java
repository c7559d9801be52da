package io.dtm4j.examples;

import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.RecoveryScheduler;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.store.jdbc.JdbcTransactionStore;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What a service needs to run transactions in-process, as every embedded example sets it up: a durable store
 * (SQLite in a directory), the HTTP invoker that calls the branches, the coordinator, and the scheduler that
 * re-drives unfinished transactions (after a crash, an ONGOING branch, an error). Close it to stop them all,
 * in reverse order.
 */
final class EmbeddedNode implements AutoCloseable {
    /** How often the coordinator re-drives unfinished transactions. */
    static final Duration RECOVERY_INTERVAL = Duration.ofSeconds(2);

    private final TransactionStore store;
    private final OkHttpBranchInvoker invoker;
    private final Coordinator coordinator;
    private final RecoveryScheduler recovery;

    private EmbeddedNode(Path storeDir) {
        this.store = JdbcTransactionStore.sqlite(storeDir);
        this.invoker = OkHttpBranchInvoker.builder().build();
        this.coordinator = Coordinator.builder().store(store).invoker(invoker).build();
        this.recovery = RecoveryScheduler.start(coordinator, RECOVERY_INTERVAL);
    }

    /** Opens the store in {@code storeDir} (creating it if needed) and starts a coordinator on it. */
    static EmbeddedNode open(Path storeDir) {
        return new EmbeddedNode(storeDir);
    }

    Coordinator coordinator() {
        return coordinator;
    }

    /** The status a transaction has reached, e.g. {@code succeed}. */
    String status(String gid) {
        return coordinator.query(gid).orElseThrow().global().status().wireName();
    }

    @Override
    public void close() {
        recovery.close();
        coordinator.close();
        invoker.close();
        store.close();
    }
}
