package io.dtm4j.store.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;

/**
 * The SQL condition of a gid-prefix filter: exact (case-sensitive, every character literal) on every database, and
 * served by the unique index on {@code gid} where the database can do that. Which form depends on how the gid
 * column's collation orders strings; see {@code docs/decisions/005-admin-queries.md}. Gids hold only ASCII
 * characters below {@code ~} ({@link io.dtm4j.core.Gids#SAFE}), so incrementing the last character of a prefix
 * never overflows. Thread-safe (immutable).
 */
enum GidPrefixSql {
    /**
     * {@code gid >= p AND gid < p'} with {@code p'} the prefix with its last character incremented: a range scan of
     * the index, exact when the collation orders like code points (SQLite's BINARY; PostgreSQL's C, POSIX and
     * C.UTF-8).
     */
    RANGE(" AND gid >= ? AND gid < ?"),
    /**
     * {@code gid LIKE 'p%'}: exact in every deterministic PostgreSQL collation; PostgreSQL turns it into an index
     * range only for a C-collated or {@code varchar_pattern_ops} index, so under a language collation it reads the
     * table.
     */
    LIKE(" AND gid LIKE ? ESCAPE '!'"),
    /**
     * MySQL and MariaDB: {@code LIKE 'p%'} is a range scan of the index in every collation, but the default
     * collations ignore case, so the bytes are compared again to keep it case-sensitive. Since schema version 2 the
     * gid column is {@code utf8mb4_bin}, where the second test is redundant; it costs little and keeps the filter
     * exact on a column that a DBA altered.
     */
    LIKE_THEN_BYTES(" AND gid LIKE ? ESCAPE '!' AND CAST(gid AS BINARY) LIKE ? ESCAPE '!'");

    /**
     * Strings that a code-point order sorts as Java does and a language collation does not: each kind of gid
     * character, the characters just after them, upper before lower case, punctuation that some collations skip.
     */
    private static final List<String> PROBE = List.of("-", ".", "/", "0", "9", ":", ";", "@", "A", "Z", "[", "_",
            "`", "a", "z", "{", "a-z", "a.", "aB", "ab", "a9", "a:");

    private final String condition;

    GidPrefixSql(String condition) {
        this.condition = condition;
    }

    /** The condition, starting with {@code " AND "}, to append to a {@code WHERE}. */
    String condition() {
        return condition;
    }

    /** The values to bind for the condition's parameters, in order. */
    List<Object> args(String prefix) {
        return switch (this) {
            case RANGE -> List.of(prefix, upperBound(prefix));
            case LIKE -> List.of(likePattern(prefix));
            case LIKE_THEN_BYTES -> List.of(likePattern(prefix), likePattern(prefix));
        };
    }

    /**
     * Chooses the form for the store's tables: SQLite's gid column has the BINARY collation, so {@link #RANGE};
     * MySQL {@link #LIKE_THEN_BYTES}; PostgreSQL {@link #RANGE} when the gid column's collation sorts
     * {@link #PROBE} in code-point order, else {@link #LIKE}.
     *
     * @param c a connection to the store's schema, whose {@code trans_global} exists
     */
    static GidPrefixSql choose(Connection c, SqlDialect dialect) throws SQLException {
        return switch (dialect) {
            case SQLITE -> RANGE;
            case MYSQL -> LIKE_THEN_BYTES;
            case POSTGRES -> sortsLikeCodePoints(c) ? RANGE : LIKE;
        };
    }

    /** True when PostgreSQL sorts {@link #PROBE} in the gid column's collation as Java sorts it. */
    private static boolean sortsLikeCodePoints(Connection c) throws SQLException {
        // COALESCE with an empty subquery of the column gives each value the column's collation, whatever it is.
        String values = PROBE.stream().map(v -> "('" + v + "')").collect(Collectors.joining(", "));
        String sql = "SELECT string_agg(v, ' ' ORDER BY COALESCE((SELECT gid FROM trans_global LIMIT 0), v))"
                + " FROM (VALUES " + values + ") AS probe (v)";
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return PROBE.stream().sorted().collect(Collectors.joining(" ")).equals(rs.getString(1));
        }
    }

    /** The first string after every string that starts with {@code prefix}, in code-point order. */
    static String upperBound(String prefix) {
        int last = prefix.length() - 1;
        return prefix.substring(0, last) + (char) (prefix.charAt(last) + 1);
    }

    /** The prefix with LIKE's wildcards and the escape character {@code !} escaped, then {@code %}. */
    static String likePattern(String prefix) {
        StringBuilder b = new StringBuilder(prefix.length() + 8);
        for (char ch : prefix.toCharArray()) {
            if (ch == '!' || ch == '%' || ch == '_') {
                b.append('!');
            }
            b.append(ch);
        }
        return b.append('%').toString();
    }
}
