package io.dtm4j.client.barrier;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The barrier's SQL: the insert-ignore primitive, the reason lookup and the table DDL. Stateless. */
final class BarrierSql {
    /** Name the DDL resources are written for. */
    static final String RESOURCE_TABLE = "dtm_barrier.barrier";

    /**
     * What may be concatenated into SQL as a table name: an unquoted identifier, optionally qualified by a
     * schema (PostgreSQL) or database (MySQL), each part at most 64 characters.
     */
    private static final Pattern TABLE_NAME =
            Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}(\\.[A-Za-z_][A-Za-z0-9_]{0,63})?");
    private static final Pattern RESOURCE_NAMES = Pattern.compile("dtm_barrier\\.barrier(_seq)?\\b");
    private static final Pattern CREATE_SCHEMA = Pattern.compile(
            "(?is)\\s*create\\s+(database|schema)\\s+if\\s+not\\s+exists\\s+dtm_barrier\\b(.*)");

    private BarrierSql() {
    }

    /**
     * Returns {@code name} when it is a safe table name.
     *
     * @throws IllegalArgumentException naming the value, otherwise
     */
    static String requireTableName(String name) {
        if (name == null || !TABLE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("barrier table name must be [schema.]table made of letters, digits "
                    + "and _ (each part starting with a letter or _, at most 64 characters), got '" + name + "'");
        }
        return name;
    }

    /** Inserts one barrier row unless it exists; returns the rows affected, 0 or 1. */
    static int insertIgnore(Connection c, BarrierDialect dialect, String table, BarrierRow row, String reason)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(dialect.insertIgnoreSql(table))) {
            ps.setString(1, row.transType());
            ps.setString(2, row.gid());
            ps.setString(3, row.branchId());
            ps.setString(4, row.op());
            ps.setString(5, row.barrierId());
            ps.setString(6, reason);
            return ps.executeUpdate();
        }
    }

    /** Returns the reason column of one barrier row, if the row exists. */
    static Optional<String> reason(Connection c, BarrierDialect dialect, String table, BarrierRow row)
            throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(dialect.selectReasonSql(table))) {
            ps.setString(1, row.gid());
            ps.setString(2, row.branchId());
            ps.setString(3, row.op());
            ps.setString(4, row.barrierId());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getString(1)) : Optional.empty();
            }
        }
    }

    /** Runs the dialect's DDL for {@code table}, every statement "if not exists". */
    static void createTableIfAbsent(Connection c, BarrierDialect dialect, String table) throws SQLException {
        try (Statement st = c.createStatement()) {
            for (String sql : ddl(dialect, table)) {
                st.execute(sql);
            }
        }
    }

    /**
     * The DDL statements of the dialect's resource, renamed for {@code table}: {@code dtm_barrier.barrier}
     * becomes the table, {@code dtm_barrier.barrier_seq} becomes {@code <table>_seq}, and the schema statement
     * creates the table's schema (or is dropped when the name has none).
     */
    static List<String> ddl(BarrierDialect dialect, String table) {
        requireTableName(table);
        int dot = table.indexOf('.');
        String schema = dot < 0 ? "" : table.substring(0, dot);
        List<String> out = new ArrayList<>();
        for (String statement : statements(resource(dialect.ddlResource()))) {
            Matcher m = CREATE_SCHEMA.matcher(statement);
            if (m.matches()) {
                if (!schema.isEmpty()) {
                    out.add("create " + m.group(1).toLowerCase(Locale.ROOT) + " if not exists " + schema
                            + m.group(2));
                }
                continue;
            }
            out.add(RESOURCE_NAMES.matcher(statement).replaceAll(r -> Matcher.quoteReplacement(
                    r.group(1) == null ? table : table + "_seq")));
        }
        return out;
    }

    /** Splits a script on {@code ;}, dropping {@code --} comment lines and empty statements. */
    private static List<String> statements(String script) {
        StringBuilder body = new StringBuilder();
        for (String line : script.split("\n")) {
            if (!line.strip().startsWith("--")) {
                body.append(line).append('\n');
            }
        }
        List<String> out = new ArrayList<>();
        for (String s : body.toString().split(";")) {
            if (!s.isBlank()) {
                out.add(s.strip());
            }
        }
        return out;
    }

    /** Reads a DDL resource next to this class. */
    static String resource(String name) {
        try (InputStream in = BarrierSql.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource io/dtm4j/client/barrier/" + name + " is missing from the "
                        + "dtm-client jar; is the jar complete?");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read resource io/dtm4j/client/barrier/" + name, e);
        }
    }
}
