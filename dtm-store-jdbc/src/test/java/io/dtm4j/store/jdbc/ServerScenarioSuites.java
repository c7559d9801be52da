package io.dtm4j.store.jdbc;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.MsgScenarios;
import io.dtm4j.core.testing.RecoveryScenarios;
import io.dtm4j.core.testing.SagaScenarios;
import io.dtm4j.core.testing.TccXaScenarios;
import io.dtm4j.core.testing.WorkflowScenarios;
import org.junit.jupiter.api.Nested;

import java.sql.SQLException;

/**
 * The engine scenario suites of dtm-core's test-jar on a database server. Each test gets a schema (PostgreSQL) or
 * database (MySQL/MariaDB) of its own ({@link TestDatabases}: {@code it_scn_<suite>_0_<random>}, so runs of
 * several engineers on the shared server never meet), dropped after the test. Subclasses name the server.
 */
abstract class ServerScenarioSuites {

    /** The test databases of one suite on this server. */
    abstract TestDatabases databases(String suite);

    static TransactionStore freshStore(TestDatabases dbs) {
        dbs.fresh();
        return dbs.builder().build();
    }

    static void dropAll(TestDatabases dbs) {
        try {
            dbs.dropAll();
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop the test schema or database " + dbs.current(), e);
        }
    }

    @Nested
    class Saga extends SagaScenarios {
        private final TestDatabases dbs = databases("scn_saga");

        @Override
        protected TransactionStore newStore() {
            return freshStore(dbs);
        }

        @Override
        protected void cleanUp() {
            dropAll(dbs);
        }
    }

    @Nested
    class Msg extends MsgScenarios {
        private final TestDatabases dbs = databases("scn_msg");

        @Override
        protected TransactionStore newStore() {
            return freshStore(dbs);
        }

        @Override
        protected void cleanUp() {
            dropAll(dbs);
        }
    }

    @Nested
    class TccXa extends TccXaScenarios {
        private final TestDatabases dbs = databases("scn_tcc_xa");

        @Override
        protected TransactionStore newStore() {
            return freshStore(dbs);
        }

        @Override
        protected void cleanUp() {
            dropAll(dbs);
        }
    }

    @Nested
    class Workflow extends WorkflowScenarios {
        private final TestDatabases dbs = databases("scn_workflow");

        @Override
        protected TransactionStore newStore() {
            return freshStore(dbs);
        }

        @Override
        protected void cleanUp() {
            dropAll(dbs);
        }
    }

    @Nested
    class Recovery extends RecoveryScenarios {
        private final TestDatabases dbs = databases("scn_recovery");

        @Override
        protected TransactionStore newStore() {
            return freshStore(dbs);
        }

        @Override
        protected void cleanUp() {
            dropAll(dbs);
        }
    }
}
