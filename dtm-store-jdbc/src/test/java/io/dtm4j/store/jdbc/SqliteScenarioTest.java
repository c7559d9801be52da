package io.dtm4j.store.jdbc;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.MsgScenarios;
import io.dtm4j.core.testing.RecoveryScenarios;
import io.dtm4j.core.testing.SagaScenarios;
import io.dtm4j.core.testing.TccXaScenarios;
import io.dtm4j.core.testing.WorkflowScenarios;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

/**
 * The engine scenario suites of dtm-core's test-jar on the SQLite store, a new temporary directory (and so a
 * new, empty database) per test. Embedded, so it runs with the unit tests.
 */
class SqliteScenarioTest {

    @Nested
    class Saga extends SagaScenarios {
        @TempDir
        Path dir;

        @Override
        protected TransactionStore newStore() {
            return JdbcTransactionStore.sqlite(dir);
        }
    }

    @Nested
    class Msg extends MsgScenarios {
        @TempDir
        Path dir;

        @Override
        protected TransactionStore newStore() {
            return JdbcTransactionStore.sqlite(dir);
        }
    }

    @Nested
    class TccXa extends TccXaScenarios {
        @TempDir
        Path dir;

        @Override
        protected TransactionStore newStore() {
            return JdbcTransactionStore.sqlite(dir);
        }
    }

    @Nested
    class Workflow extends WorkflowScenarios {
        @TempDir
        Path dir;

        @Override
        protected TransactionStore newStore() {
            return JdbcTransactionStore.sqlite(dir);
        }
    }

    @Nested
    class Recovery extends RecoveryScenarios {
        @TempDir
        Path dir;

        @Override
        protected TransactionStore newStore() {
            return JdbcTransactionStore.sqlite(dir);
        }
    }
}
