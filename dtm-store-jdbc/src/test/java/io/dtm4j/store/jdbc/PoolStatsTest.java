package io.dtm4j.store.jdbc;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dtm4j.core.spi.PoolStats;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** The connection-pool numbers a JDBC store reports for the server's {@code dtm4j_store_connections} gauges. */
class PoolStatsTest {
    private static final long WAIT_MILLIS = 10_000;

    @TempDir
    Path dir;

    @Test
    void sqliteStoreReportsItsReadPoolAndNothingOnceClosed() {
        JdbcTransactionStore store = JdbcTransactionStore.builder().sqlite(dir).readConnections(4).build();
        store.ping();

        PoolStats open = store.poolStats().orElseThrow();
        assertThat(open.open()).isBetween(1, 4);
        assertThat(open.idle()).isBetween(1, open.open());
        assertThat(open.waiting()).isZero();

        store.close();
        assertThat(store.poolStats()).contains(PoolStats.EMPTY);
    }

    @Test
    void aBusyPoolCountsItsConnectionInUseAndTheThreadWaitingForIt() throws Exception {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:sqlite:" + dir.resolve("pool.db"));
        config.setMaximumPoolSize(1);
        config.setConnectionTimeout(WAIT_MILLIS);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            CompletableFuture<Void> waiter;
            try (Connection held = pool.getConnection()) {
                assertThat(HikariStats.of(pool)).isEqualTo(new PoolStats(1, 0, 0));
                waiter = CompletableFuture.runAsync(() -> {
                    try (Connection c = pool.getConnection()) {
                        c.isValid(1);
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                awaitWaiting(pool);
                assertThat(HikariStats.of(pool)).isEqualTo(new PoolStats(1, 0, 1));
            }
            waiter.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
            assertThat(HikariStats.of(pool)).isEqualTo(new PoolStats(1, 1, 0));
        }
    }

    @Test
    void sumsPools() {
        assertThat(new PoolStats(2, 1, 0).plus(new PoolStats(5, 3, 4))).isEqualTo(new PoolStats(7, 4, 4));
    }

    private static void awaitWaiting(HikariDataSource pool) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofMillis(WAIT_MILLIS).toNanos();
        while (HikariStats.of(pool).waiting() == 0) {
            assertThat(System.nanoTime()).as("a second thread waits for the only connection").isLessThan(deadline);
            Thread.sleep(5);
        }
    }
}
