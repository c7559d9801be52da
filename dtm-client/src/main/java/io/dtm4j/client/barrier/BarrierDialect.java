package io.dtm4j.client.barrier;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Locale;

/**
 * The SQL flavour of a barrier table: how "insert unless the row exists" is written. Each dialect binds
 * every value as a parameter; only the validated table name is part of the SQL text.
 */
public enum BarrierDialect {
    /**
     * MySQL and MariaDB: {@code insert ignore}. The unique key {@code (gid, branch_id, op, barrier_id)} makes
     * the second insert of a row affect 0 rows and locks the row until the first transaction ends.
     */
    MYSQL("barrier.mysql.sql") {
        @Override
        String insertIgnoreSql(String table) {
            return "insert ignore into " + table + "(" + COLUMNS + ") values(?,?,?,?,?,?)";
        }
    },
    /**
     * PostgreSQL: {@code on conflict on constraint uniq_barrier do nothing}. The table's unique constraint
     * must be named {@code uniq_barrier} (names are per schema, so one barrier table per schema).
     */
    POSTGRES("barrier.postgres.sql") {
        @Override
        String insertIgnoreSql(String table) {
            return "insert into " + table + "(" + COLUMNS + ") values(?,?,?,?,?,?)"
                    + " on conflict on constraint uniq_barrier do nothing";
        }
    };

    private static final String COLUMNS = "trans_type,gid,branch_id,op,barrier_id,reason";

    private final String ddlResource;

    BarrierDialect(String ddlResource) {
        this.ddlResource = ddlResource;
    }

    /**
     * The insert of one barrier row that affects 0 rows when the row exists; parameters trans_type, gid,
     * branch_id, op, barrier_id, reason.
     */
    abstract String insertIgnoreSql(String table);

    /** The select of the reason of one barrier row; parameters gid, branch_id, op, barrier_id. */
    String selectReasonSql(String table) {
        return "select reason from " + table + " where gid=? and branch_id=? and op=? and barrier_id=?";
    }

    /** Name of the DDL resource next to this class. */
    String ddlResource() {
        return ddlResource;
    }

    /**
     * Returns the dialect of the database behind {@code connection}, from its product name.
     *
     * @throws SQLException             when the metadata cannot be read
     * @throws IllegalArgumentException when the database is neither MySQL, MariaDB nor PostgreSQL
     */
    public static BarrierDialect detect(Connection connection) throws SQLException {
        return fromProductName(connection.getMetaData().getDatabaseProductName());
    }

    /**
     * Returns the dialect for a JDBC product name ({@code DatabaseMetaData.getDatabaseProductName()}):
     * {@code MySQL} and {@code MariaDB} give {@link #MYSQL}, {@code PostgreSQL} gives {@link #POSTGRES}.
     *
     * @throws IllegalArgumentException for any other product
     */
    public static BarrierDialect fromProductName(String productName) {
        String p = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        if (p.contains("mysql") || p.contains("mariadb")) {
            return MYSQL;
        }
        if (p.contains("postgres")) {
            return POSTGRES;
        }
        throw new IllegalArgumentException("the barrier supports MySQL, MariaDB and PostgreSQL, not '" + productName
                + "'; for a compatible database set BranchBarrier.builder().dialect(...) explicitly");
    }
}
