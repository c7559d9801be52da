package io.dtm4j.store.jdbc;

import org.junit.jupiter.api.AfterAll;

import java.sql.Connection;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store contract and the server-store checks on MariaDB ({@code scripts/services-up.sh}) through the MySQL
 * dialect, a fresh database per test, dropped after the class.
 */
class MariaDbTransactionStoreIT extends ServerStoreContract {

    private static final TestDatabases DBS = TestDatabases.mariadb("mystore");

    @AfterAll
    static void dropDatabases() throws SQLException {
        DBS.dropAll();
    }

    @Override
    TestDatabases dbs() {
        return DBS;
    }

    @Override
    void assertDtmLayout(Connection c) throws SQLException {
        assertThat(strings(c, "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema ="
                + " DATABASE() AND table_name = 'trans_global' AND non_unique = 0"))
                .containsExactlyInAnyOrder("PRIMARY", "gid");
        assertThat(strings(c, "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema ="
                + " DATABASE() AND table_name = 'trans_global' AND non_unique = 1"))
                .containsExactlyInAnyOrder("owner", "status_next_cron_time");
        assertThat(strings(c, "SELECT DISTINCT index_name FROM information_schema.statistics WHERE table_schema ="
                + " DATABASE() AND table_name = 'trans_branch_op' AND non_unique = 0"))
                .containsExactlyInAnyOrder("PRIMARY", "gid_uniq");
        assertThat(strings(c, "SELECT DISTINCT column_type FROM information_schema.columns WHERE table_schema ="
                + " DATABASE() AND column_name LIKE '%_time' AND table_name IN ('trans_global', 'trans_branch_op',"
                + " 'kv')")).containsExactly("datetime(3)");
        assertThat(strings(c, "SELECT column_type FROM information_schema.columns WHERE table_schema = DATABASE()"
                + " AND table_name = 'trans_branch_op' AND column_name = 'bin_data'")).containsExactly("mediumblob");
        assertThat(strings(c, "SELECT DISTINCT engine FROM information_schema.tables WHERE table_schema ="
                + " DATABASE()")).containsExactly("InnoDB");
    }

    @Override
    int createTimePrecision(Connection c) throws SQLException {
        return Integer.parseInt(strings(c, "SELECT datetime_precision FROM information_schema.columns WHERE"
                + " table_schema = DATABASE() AND table_name = 'trans_global' AND column_name = 'create_time'")
                .get(0));
    }
}
