package io.dtm4j.store.jdbc;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.ListQuery;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

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

    @Test
    void aGidPrefixIsExactWhateverTheGidCollationAndARangeWhereItSortsLikeBytes() throws SQLException {
        try (Connection c = DBS.admin()) {
            assumeTrue(!strings(c, "SELECT 1 FROM pg_collation WHERE collname = 'en-x-icu'").isEmpty(),
                    "this PostgreSQL has no ICU collations");
        }
        Map<String, GidPrefixSql> expected = new LinkedHashMap<>();
        expected.put("en-x-icu", GidPrefixSql.LIKE);
        expected.put("C", GidPrefixSql.RANGE);
        for (Map.Entry<String, GidPrefixSql> e : expected.entrySet()) {
            store.close();
            try (Connection c = DBS.admin(); Statement st = c.createStatement()) {
                st.execute("TRUNCATE trans_global");
                st.execute("ALTER TABLE trans_global ALTER COLUMN gid TYPE varchar(128) COLLATE \"" + e.getKey()
                        + "\"");
                assertThat(GidPrefixSql.choose(c, SqlDialect.POSTGRES)).as(e.getKey()).isEqualTo(e.getValue());
            }
            store = DBS.builder().build();
            for (String suffix : List.of("p9", "p9z", "p:", "p@", "pA", "pa", "P9", "p-", "p.", "p_", "pX")) {
                store.insert(saga(gid(suffix), GlobalStatus.SUBMITTED), List.of());
            }

            assertThat(prefixed(gid("p9"))).as(e.getKey()).containsExactly(gid("p9z"), gid("p9"));
            assertThat(prefixed(gid("p@"))).as(e.getKey()).containsExactly(gid("p@"));
            assertThat(prefixed(gid("p-"))).as(e.getKey()).containsExactly(gid("p-"));
            assertThat(prefixed(gid("p_"))).as(e.getKey()).containsExactly(gid("p_"));
            assertThat(prefixed(gid("pa"))).as(e.getKey()).containsExactly(gid("pa"));
        }
    }

    private List<String> prefixed(String prefix) {
        return store.list(ListQuery.firstPage().withGidPrefix(prefix)).transactions().stream()
                .map(GlobalTransaction::gid).toList();
    }

    @Override
    void assertIdentifiersCompareBytes(Connection c) throws SQLException {
        // Version 2 changes nothing here: every collation of a database (not created with CREATE COLLATION) is
        // deterministic, so equal means the same bytes.
        assertThat(strings(c, "SELECT DISTINCT coll.collisdeterministic::text FROM pg_attribute a JOIN pg_collation"
                + " coll ON coll.oid = a.attcollation WHERE a.attrelid IN ('trans_global'::regclass,"
                + " 'trans_branch_op'::regclass, 'kv'::regclass) AND a.attname IN ('gid', 'branch_id', 'k')"))
                .containsExactly("true");
        assertThat(strings(c, "SELECT conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE"
                + " connamespace = current_schema()::regnamespace AND contype = 'u' ORDER BY conname"))
                .containsExactly("gid UNIQUE (gid)", "gid_branch_uniq UNIQUE (gid, branch_id, op)",
                        "uniq_k UNIQUE (cat, k)");
    }

    @Override
    int createTimePrecision(Connection c) throws SQLException {
        return Integer.parseInt(strings(c, "SELECT datetime_precision FROM information_schema.columns WHERE"
                + " table_schema = current_schema() AND table_name = 'trans_global' AND column_name = 'create_time'")
                .get(0));
    }
}
