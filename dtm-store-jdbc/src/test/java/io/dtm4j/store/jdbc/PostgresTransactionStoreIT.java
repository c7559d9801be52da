package io.dtm4j.store.jdbc;

import org.junit.jupiter.api.AfterAll;

import java.sql.Connection;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store contract and the server-store checks on PostgreSQL ({@code scripts/services-up.sh}), a fresh schema
 * per test in the test database, dropped after the class.
 */
class PostgresTransactionStoreIT extends ServerStoreContract {

    private static final TestDatabases DBS = TestDatabases.postgres("pgstore");

    @AfterAll
    static void dropSchemas() throws SQLException {
        DBS.dropAll();
    }

    @Override
    TestDatabases dbs() {
        return DBS;
    }

    @Override
    void assertDtmLayout(Connection c) throws SQLException {
        assertThat(strings(c, "SELECT conname FROM pg_constraint WHERE connamespace = current_schema()::regnamespace"
                + " AND contype = 'u'")).containsExactlyInAnyOrder("gid", "gid_branch_uniq", "uniq_k");
        assertThat(strings(c, "SELECT indexname FROM pg_indexes WHERE schemaname = current_schema()"))
                .contains("owner", "status_next_cron_time");
        assertThat(strings(c, "SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()"))
                .containsExactlyInAnyOrder("trans_global_seq", "trans_branch_op_seq", "kv_seq");
        assertThat(strings(c, "SELECT DISTINCT data_type || '(' || datetime_precision || ')' FROM"
                + " information_schema.columns WHERE table_schema = current_schema() AND column_name LIKE '%_time'"
                + " AND table_name IN ('trans_global', 'trans_branch_op', 'kv')"))
                .containsExactly("timestamp with time zone(3)");
        assertThat(strings(c, "SELECT data_type FROM information_schema.columns WHERE table_schema ="
                + " current_schema() AND table_name = 'trans_global' AND column_name = 'next_cron_interval'"))
                .containsExactly("integer");
        assertThat(strings(c, "SELECT data_type FROM information_schema.columns WHERE table_schema ="
                + " current_schema() AND table_name = 'trans_branch_op' AND column_name = 'bin_data'"))
                .containsExactly("bytea");
    }

    @Override
    int createTimePrecision(Connection c) throws SQLException {
        return Integer.parseInt(strings(c, "SELECT datetime_precision FROM information_schema.columns WHERE"
                + " table_schema = current_schema() AND table_name = 'trans_global' AND column_name = 'create_time'")
                .get(0));
    }
}
