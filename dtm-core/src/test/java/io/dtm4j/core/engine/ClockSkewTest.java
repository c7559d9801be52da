package io.dtm4j.core.engine;

import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.ClockSkewScenarios;

/** The clock-skew scenarios on {@link InMemoryTransactionStore}; SQLite runs the same suite in dtm-store-jdbc. */
class ClockSkewTest extends ClockSkewScenarios {

    @Override
    protected TransactionStore newStore() {
        return new InMemoryTransactionStore();
    }
}
