package io.dtm4j.store.jdbc;

import io.dtm4j.core.Branch;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.spi.StatusCounts;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Every read of the store, as SQL on a pooled connection that only reads. Each method is one statement, so it
 * sees one committed snapshot. The SQL is the same for every dialect but for the gid-prefix condition
 * ({@link GidPrefixSql}); {@link Rows} maps the values. Thread-safe (immutable).
 */
final class ReadSql {
    private final Rows rows;
    private final GidPrefixSql gidPrefix;

    ReadSql(Rows rows, GidPrefixSql gidPrefix) {
        this.rows = rows;
        this.gidPrefix = gidPrefix;
    }

    Optional<GlobalTransaction> findGlobal(Connection c, String gid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + Rows.GLOBAL_COLUMNS
                + " FROM trans_global WHERE gid = ?")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rows.global(rs)) : Optional.empty();
            }
        }
    }

    List<Branch> findBranches(Connection c, String gid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT " + Rows.BRANCH_COLUMNS + " FROM trans_branch_op"
                + " WHERE gid = ? ORDER BY id")) {
            ps.setString(1, gid);
            List<Branch> out = new ArrayList<>();
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rows.branch(rs));
                }
            }
            return out;
        }
    }

    /** Newest first by id; one row more than the limit tells whether another page exists. */
    TransactionPage list(Connection c, ListQuery q, long beforeId) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT " + Rows.GLOBAL_COLUMNS
                + " FROM trans_global WHERE id < ?");
        List<Object> args = new ArrayList<>(List.of(beforeId));
        q.status().ifPresent(s -> {
            sql.append(" AND status = ?");
            args.add(s.wireName());
        });
        q.transType().ifPresent(t -> {
            sql.append(" AND trans_type = ?");
            args.add(t.wireName());
        });
        q.createdFrom().ifPresent(t -> {
            sql.append(" AND create_time >= ?");
            args.add(rows.boundParam(t));
        });
        q.createdTo().ifPresent(t -> {
            sql.append(" AND create_time <= ?");
            args.add(rows.boundParam(t));
        });
        q.gidPrefix().ifPresent(p -> {
            sql.append(gidPrefix.condition());
            args.addAll(gidPrefix.args(p));
        });
        sql.append(" ORDER BY id DESC LIMIT ?");
        args.add(q.limit() + 1);
        List<GlobalTransaction> found = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            for (int i = 0; i < args.size(); i++) {
                ps.setObject(i + 1, args.get(i));
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    found.add(rows.global(rs));
                }
            }
        }
        if (found.size() <= q.limit()) {
            return new TransactionPage(found, "");
        }
        List<GlobalTransaction> page = found.subList(0, q.limit());
        return new TransactionPage(page, Long.toString(page.get(page.size() - 1).id()));
    }

    /** Every row of {@code trans_global} counted by status: a scan of the table (or of an index holding status). */
    StatusCounts countByStatus(Connection c) throws SQLException {
        Map<GlobalStatus, Long> counts = new EnumMap<>(GlobalStatus.class);
        try (PreparedStatement ps = c.prepareStatement("SELECT status, COUNT(*) FROM trans_global GROUP BY status");
             ResultSet rs = ps.executeQuery()) {
            while (rs.next()) {
                counts.merge(GlobalStatus.fromWireName(rs.getString(1)), rs.getLong(2), Long::sum);
            }
        }
        return new StatusCounts(counts);
    }
}
