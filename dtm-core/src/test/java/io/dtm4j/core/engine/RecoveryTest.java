package io.dtm4j.core.engine;

import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.RecoveryScenarios;

/** The recovery scenarios on {@link InMemoryTransactionStore}; the other stores run the same suite. */
class RecoveryTest extends RecoveryScenarios {

    @Override
    protected TransactionStore newStore() {
        return new InMemoryTransactionStore();
    }
}
