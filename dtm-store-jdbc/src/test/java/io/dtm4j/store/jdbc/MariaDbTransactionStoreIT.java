package io.dtm4j.store.jdbc;

import io.dtm4j.core.StoreUnavailableException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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

    @Test
    void aMigrationBlockedByAnotherSessionFailsWithAMessageAndRunsOnceItEnds() throws SQLException {
        store.close();
        dbs().fresh();
        try (Connection c = dbs().admin()) {
            createVersion1(c);
        }
        try (Connection holder = dbs().admin(); Statement st = holder.createStatement()) {
            holder.setAutoCommit(false);
            st.executeQuery("SELECT COUNT(*) FROM trans_global").close(); // holds the table's metadata lock

            assertThatThrownBy(() -> dbs().builder().build()).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining(dbs().current()).hasMessageContaining("schema version 2 waited 20 s for a"
                            + " table that another session holds");
            holder.commit();
        }

        store = dbs().builder().build();
        try (Connection c = dbs().admin()) {
            assertThat(versions(c)).containsExactly("1", "2");
            assertIdentifiersCompareBytes(c);
        }
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
    void assertIdentifiersCompareBytes(Connection c) throws SQLException {
        assertThat(strings(c, "SELECT CONCAT(table_name, '.', column_name, ' ', column_type, ' ', is_nullable, ' ',"
                + " character_set_name, ' ', collation_name) FROM information_schema.columns WHERE table_schema ="
                + " DATABASE() AND column_name IN ('gid', 'branch_id', 'k') ORDER BY table_name, column_name"))
                .containsExactly("kv.k varchar(128) NO utf8mb4 utf8mb4_bin",
                        "trans_branch_op.branch_id varchar(128) NO utf8mb4 utf8mb4_bin",
                        "trans_branch_op.gid varchar(128) NO utf8mb4 utf8mb4_bin",
                        "trans_global.gid varchar(128) NO utf8mb4 utf8mb4_bin");
        assertThat(strings(c, "SELECT CONCAT(table_name, '.', index_name, ' ', non_unique, ' ',"
                + " GROUP_CONCAT(column_name ORDER BY seq_in_index)) FROM information_schema.statistics WHERE"
                + " table_schema = DATABASE() AND index_name IN ('gid', 'gid_uniq', 'uniq_k')"
                + " GROUP BY table_name, index_name, non_unique ORDER BY table_name"))
                .containsExactly("kv.uniq_k 0 cat,k", "trans_branch_op.gid_uniq 0 gid,branch_id,op",
                        "trans_global.gid 0 gid");
        assertThat(strings(c, "SELECT CONCAT(table_name, '.', column_name, ' ', collation_name) FROM"
                + " information_schema.columns WHERE table_schema = DATABASE() AND column_name IN ('op', 'cat',"
                + " 'owner') ORDER BY table_name, column_name")).as("left in the table's collation")
                .noneMatch(column -> column.endsWith("_bin"));
    }

    @Override
    int createTimePrecision(Connection c) throws SQLException {
        return Integer.parseInt(strings(c, "SELECT datetime_precision FROM information_schema.columns WHERE"
                + " table_schema = DATABASE() AND table_name = 'trans_global' AND column_name = 'create_time'")
                .get(0));
    }
}
