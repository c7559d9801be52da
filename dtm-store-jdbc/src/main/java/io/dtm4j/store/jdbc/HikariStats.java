package io.dtm4j.store.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import com.zaxxer.hikari.HikariPoolMXBean;
import io.dtm4j.core.spi.PoolStats;

/** Reads a HikariCP pool's numbers from its MXBean object (no JMX server involved). Thread-safe (stateless). */
final class HikariStats {

    private HikariStats() {
    }

    /** The pool's open (total), idle and waiting numbers; all zero when it is closed or has not started. */
    static PoolStats of(HikariDataSource pool) {
        HikariPoolMXBean bean = pool.getHikariPoolMXBean();
        if (bean == null || pool.isClosed()) {
            return PoolStats.EMPTY;
        }
        return new PoolStats(bean.getTotalConnections(), bean.getIdleConnections(),
                bean.getThreadsAwaitingConnection());
    }
}
