package io.dtm4j.store.jdbc;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.ClockSkewScenarios;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * The clock-skew scenarios of dtm-core's test-jar on the SQLite store: times go through its millisecond columns and
 * its claim and reset statements. A new directory (an empty database) for every store a scenario opens.
 */
class ClockSkewSqliteTest extends ClockSkewScenarios {
    @TempDir
    Path dir;
    private int stores;

    @Override
    protected TransactionStore newStore() {
        return JdbcTransactionStore.sqlite(dir.resolve("store-" + ++stores));
    }
}
