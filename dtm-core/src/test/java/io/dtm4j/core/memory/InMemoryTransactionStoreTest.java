package io.dtm4j.core.memory;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.TransactionStoreContract;

/** Runs the store contract against {@link InMemoryTransactionStore}. */
class InMemoryTransactionStoreTest extends TransactionStoreContract {

    @Override
    protected TransactionStore newStore() {
        return new InMemoryTransactionStore();
    }
}
