package io.dtm4j.store.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The versioned DDL of the PostgreSQL and MySQL stores, shipped as resources
 * ({@code io/dtm4j/store/jdbc/schema/<dialect>/V<n>.sql}), and the script a DBA can run instead of letting the
 * store create its tables. One version number names one layout on both servers: every version has a script per
 * dialect, possibly of comments only (a version that changes nothing there). A released version never changes; a
 * change is a new version. Every statement is idempotent ({@code IF NOT EXISTS}, or an {@code ALTER} that sets a
 * column to a definition), so running a version twice, or over tables DTM created, leaves the same layout.
 * Thread-safe (stateless).
 */
final class SchemaScripts {

    /** One schema version: its number, what it does, and its statements. */
    record Migration(int version, String description) {
        String resource(SqlDialect dialect) {
            return "schema/" + dialect.scheme() + "/V" + version + ".sql";
        }
    }

    /** Every version, oldest first (released ones never change); the last is the layout this code uses. */
    static final List<Migration> MIGRATIONS = List.of(
            new Migration(1, "DTM tables trans_global, trans_branch_op, kv"),
            new Migration(2, "gid, branch_id and kv.k compare case-sensitively (MySQL: utf8mb4_bin;"
                    + " PostgreSQL: no change)"));

    /** The newest version. */
    static final int LATEST = MIGRATIONS.get(MIGRATIONS.size() - 1).version();

    /** The table that records which versions were applied, and when. */
    static final String VERSION_TABLE = "dtm4j_schema_version";

    private SchemaScripts() {
    }

    /** The DDL of the version table. */
    static String versionTable(SqlDialect dialect) {
        String time = dialect == SqlDialect.POSTGRES
                ? "timestamp(3) with time zone NOT NULL DEFAULT CURRENT_TIMESTAMP"
                : "datetime(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)";
        return "CREATE TABLE IF NOT EXISTS " + VERSION_TABLE + " (\n"
                + "  version int NOT NULL,\n"
                + "  description varchar(200) NOT NULL,\n"
                + "  applied_time " + time + ",\n"
                + "  PRIMARY KEY (version)\n"
                + ")" + (dialect == SqlDialect.MYSQL ? " ENGINE = InnoDB DEFAULT CHARSET = utf8mb4" : "");
    }

    /** The statements of one version, without comments. */
    static List<String> statements(SqlDialect dialect, Migration m) {
        List<String> out = new ArrayList<>();
        StringBuilder current = new StringBuilder();
        for (String line : text(dialect, m).split("\n")) {
            if (line.isBlank() || line.stripLeading().startsWith("--")) {
                continue;
            }
            current.append(line).append('\n');
            if (line.stripTrailing().endsWith(";")) {
                String sql = current.toString().strip();
                out.add(sql.substring(0, sql.length() - 1));
                current.setLength(0);
            }
        }
        if (!current.toString().isBlank()) {
            out.add(current.toString().strip());
        }
        return out;
    }

    /** The whole script for a DBA: version table, every version, and the rows recording them. */
    static String fullScript(SqlDialect dialect) {
        StringBuilder sql = new StringBuilder();
        sql.append("-- dtm4j ").append(dialect.productName()).append(" schema, version ").append(LATEST).append('\n');
        sql.append(dialect == SqlDialect.POSTGRES
                ? "-- Run it in the store's schema: SET search_path TO <schema>; (the store's default is public)\n"
                : "-- Run it in the store's database: USE <database>; (the store's default is dtm). Times are UTC.\n");
        sql.append("-- The store then finds version ").append(LATEST).append(" and changes nothing.\n\n");
        sql.append(versionTable(dialect)).append(";\n\n");
        for (Migration m : MIGRATIONS) {
            sql.append(text(dialect, m).strip()).append("\n\n");
        }
        for (Migration m : MIGRATIONS) {
            sql.append("INSERT INTO ").append(VERSION_TABLE).append(" (version, description) VALUES (")
                    .append(m.version()).append(", '").append(m.description()).append("');\n");
        }
        return sql.toString();
    }

    private static String text(SqlDialect dialect, Migration m) {
        String resource = m.resource(dialect);
        try (InputStream in = SchemaScripts.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource + " in dtm-store-jdbc's jar");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }
}
