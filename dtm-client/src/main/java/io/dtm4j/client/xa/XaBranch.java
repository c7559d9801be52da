package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The branch side of DTM's XA mode (Go's {@code XaLocalTransaction}): a business service calls
 * {@link #handle} from the HTTP handler of its XA branch URL with the request's query parameters, and it runs
 * the right phase on the service's database:
 * <ul>
 *   <li>{@code op=action} (phase one, called by {@link io.dtm4j.client.Xa#callBranch}): on a connection of its
 *       own, {@code XA START '<gid>-<branch_id>'} (PostgreSQL: {@code BEGIN}); insert the barrier row
 *       {@code (xa, gid, branch, action, 01, reason action)}; run the work; register the branch with the
 *       coordinator ({@code {gid, trans_type:xa, branch_id, url:phase2_url}}); then {@code XA END} +
 *       {@code XA PREPARE} (PostgreSQL: {@code PREPARE TRANSACTION}). Any error rolls the local transaction
 *       back and is rethrown; so does a refused registration (the global transaction was aborted or timed out
 *       meanwhile), so a late action never leaves a prepared branch behind.</li>
 *   <li>{@code op=commit} / {@code op=rollback} (phase two, called by the coordinator on the same URL):
 *       {@code XA COMMIT} / {@code XA ROLLBACK} (PostgreSQL: {@code COMMIT PREPARED} / {@code ROLLBACK
 *       PREPARED}). An unknown xid counts as done (a repeated phase two). After a rollback the barrier row
 *       {@code (xa, gid, branch, action, 01, reason rollback)} is inserted, so an action arriving after its
 *       rollback does nothing (spec 10.5).</li>
 * </ul>
 *
 * <pre>{@code
 * XaBranch xa = XaBranch.builder().client(dtm).dataSource(unpooledDataSource).build();
 * // in the handler of POST /api/busi/TransInXa:
 * xa.handle(queryParams, conn -> {
 *     try (PreparedStatement ps = conn.prepareStatement("update account set balance = balance + ? where id = ?")) {
 *         ...
 *     }
 * });
 * // then answer 200 {"dtm_result":"SUCCESS"}; DtmFailureException → 409; anything else → 500
 * }</pre>
 *
 * <p>The handler answers 200 when {@code handle} returns, 409 for {@link DtmFailureException} and 500 for
 * anything else ({@link InvalidRequestException} for a bad query, {@link DtmException} for a database error),
 * so the coordinator retries phase two until it succeeds. The {@code dtm} query parameter is ignored: the
 * branch registers through the client given here. Thread-safe; each call uses its own connection.
 */
public final class XaBranch {
    private static final Logger LOG = LoggerFactory.getLogger(XaBranch.class);

    /** DTM's barrier table, which also holds the XA branches' rows. */
    public static final String DEFAULT_BARRIER_TABLE = "dtm_barrier.barrier";
    /** The barrier id of an XA branch's rows, as DTM writes it. */
    static final String BARRIER_ID = "01";
    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    private final DtmClient client;
    private final DataSource dataSource;
    private final String barrierTable;
    private volatile XaDialect dialect;

    private XaBranch(Builder b) {
        this.client = b.client;
        this.dataSource = b.dataSource;
        this.barrierTable = b.barrierTable;
        this.dialect = b.dialect;
    }

    /** Returns a builder; {@link Builder#client} and {@link Builder#dataSource} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs phase one ({@code op=action}: {@code work} in a local XA transaction, then register and prepare it)
     * or phase two ({@code op=commit|rollback}: {@code work} is not run) of this branch, as described above.
     *
     * @param query the request's query parameters, one value per name: {@code gid}, {@code branch_id},
     *              {@code op}, and {@code phase2_url} for the action
     * @param work  the business work of the action, on the connection of the local XA transaction
     * @throws E                       whatever the work threw, after the local transaction was rolled back
     * @throws InvalidRequestException a parameter is missing or not acceptable (gid and branch_id must be made of
     *                                 {@code A-Z a-z 0-9 _ - . : @}), or the xid is too long for the database
     * @throws DtmFailureException     the coordinator refused the registration (the global transaction is no
     *                                 longer prepared), or the branch was already rolled back; nothing was done
     * @throws DtmException            a database error (the local transaction was rolled back), or another
     *                                 error of the coordinator
     */
    public <E extends Exception> void handle(Map<String, String> query, XaWork<E> work) throws E {
        Objects.requireNonNull(query, "query");
        Objects.requireNonNull(work, "work");
        XaRequest r = XaRequest.parse(query);
        XaDialect known = dialect;
        if (known != null) {
            xid(r, known); // refuse a too long xid before taking a connection
        }
        if (XaRequest.ACTION.equals(r.op())) {
            phaseOne(r, work);
        } else {
            phaseTwo(r);
        }
    }

    private <E extends Exception> void phaseOne(XaRequest r, XaWork<E> work) throws E {
        long started = System.nanoTime();
        Connection c = connect(r);
        Boolean autoCommit = null;
        try {
            XaDialect d = dialect(c, r);
            String xid = xid(r, d);
            autoCommit = autoCommit(c, r, d.phaseOneAutoCommit());
            sql(r, "XA START", () -> {
                try (Statement s = c.createStatement()) {
                    d.start(s, xid);
                }
            });
            try {
                if (insertBarrier(c, d, r, XaRequest.ACTION) == 0) {
                    throw new DtmFailureException(r.where() + "the branch was rolled back before its action, or the "
                            + "action already ran (its barrier row exists); nothing done");
                }
                work.run(c);
                client.registerBranch(new BranchRegistration(r.gid(), TransType.XA, r.branchId(), new byte[0],
                        Map.of("url", r.phase2Url())));
                sql(r, "XA PREPARE", () -> {
                    try (Statement s = c.createStatement()) {
                        d.prepare(s, xid);
                    }
                });
            } catch (Throwable t) {
                rollbackAfter(c, d, xid, t);
                throw t;
            }
            LOG.debug("{}prepared in {} ms", r.where(), (System.nanoTime() - started) / 1_000_000);
        } finally {
            release(c, autoCommit);
        }
    }

    private void phaseTwo(XaRequest r) {
        Connection c = connect(r);
        Boolean autoCommit = null;
        try {
            XaDialect d = dialect(c, r);
            String xid = xid(r, d);
            autoCommit = autoCommit(c, r, true);
            try (Statement s = c.createStatement()) {
                s.execute(d.phaseTwo(r.op(), xid));
            } catch (SQLException e) {
                if (!d.unknownXid(e)) {
                    throw failure(r, "XA " + r.op(), e);
                }
                if (d == XaDialect.MYSQL && stillPrepared(c, xid)) {
                    throw new DtmException(r.where() + "MySQL answered XAER_NOTA but XA RECOVER lists the xid: the "
                            + "session that prepared it is still open, as when XaBranch's DataSource is a connection "
                            + "pool; give it a DataSource that opens a new connection each time");
                }
                LOG.debug("{}xid unknown: phase two already done", r.where());
            }
            if (XaRequest.ROLLBACK.equals(r.op())) {
                insertBarrier(c, d, r, XaRequest.ROLLBACK);
            }
        } finally {
            release(c, autoCommit);
        }
    }

    /** Inserts the barrier row {@code (xa, gid, branch, action, 01, reason)}; returns the rows inserted (0 or 1). */
    private int insertBarrier(Connection c, XaDialect d, XaRequest r, String reason) {
        try (PreparedStatement ps = c.prepareStatement(d.insertBarrier(barrierTable))) {
            ps.setString(1, TransType.XA.wireName());
            ps.setString(2, r.gid());
            ps.setString(3, r.branchId());
            ps.setString(4, XaRequest.ACTION);
            ps.setString(5, BARRIER_ID);
            ps.setString(6, reason);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw failure(r, "barrier insert into " + barrierTable, e);
        }
    }

    /** True when MySQL's XA RECOVER lists the xid as prepared. */
    private static boolean stillPrepared(Connection c, String xid) {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("XA RECOVER")) {
            while (rs.next()) {
                if (xid.equals(rs.getString("data"))) {
                    return true;
                }
            }
            return false;
        } catch (SQLException e) {
            return false; // cannot tell (e.g. no XA_RECOVER_ADMIN): trust the XAER_NOTA, as DTM does
        }
    }

    /** Rolls the local transaction back after phase one failed with {@code cause}; a failure is attached to it. */
    private static void rollbackAfter(Connection c, XaDialect d, String xid, Throwable cause) {
        try {
            d.rollbackActive(c, xid);
        } catch (SQLException e) {
            cause.addSuppressed(e);
        }
    }

    private Connection connect(XaRequest r) {
        try {
            return dataSource.getConnection();
        } catch (SQLException e) {
            throw failure(r, "getConnection", e);
        }
    }

    private XaDialect dialect(Connection c, XaRequest r) {
        XaDialect d = dialect;
        if (d == null) {
            String product;
            try {
                product = c.getMetaData().getDatabaseProductName();
            } catch (SQLException e) {
                throw failure(r, "reading the database product name", e);
            }
            Optional<XaDialect> detected = XaDialect.ofProductName(product);
            if (detected.isEmpty()) {
                throw new DtmException(r.where() + "XaBranch supports MySQL, MariaDB and PostgreSQL, not '" + product
                        + "'; set XaBranch.builder().dialect(...) if the database speaks one of them");
            }
            d = detected.get();
            dialect = d;
        }
        return d;
    }

    private static String xid(XaRequest r, XaDialect d) {
        String xid = r.xid();
        if (xid.length() > d.maxXidLength()) {
            throw new InvalidRequestException(r.where() + "the xid <gid>-<branch_id> is " + xid.length()
                    + " characters; " + d + " allows " + d.maxXidLength() + ": use shorter gids");
        }
        return xid;
    }

    /** Sets the auto-commit mode; returns the one to restore. */
    private static boolean autoCommit(Connection c, XaRequest r, boolean wanted) {
        try {
            boolean was = c.getAutoCommit();
            if (was != wanted) {
                c.setAutoCommit(wanted);
            }
            return was;
        } catch (SQLException e) {
            throw failure(r, "setAutoCommit", e);
        }
    }

    /** Restores the auto-commit mode and closes the connection, which ends a MySQL session's hold on its xid. */
    private static void release(Connection c, Boolean autoCommit) {
        try (c) {
            if (autoCommit != null && c.getAutoCommit() != autoCommit) {
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            LOG.debug("closing an XA connection failed: {}", e.toString());
        }
    }

    /** A JDBC call whose failure becomes a {@link DtmException} naming the branch and the step. */
    @FunctionalInterface
    private interface SqlStep {
        void run() throws SQLException;
    }

    private static void sql(XaRequest r, String step, SqlStep body) {
        try {
            body.run();
        } catch (SQLException e) {
            throw failure(r, step, e);
        }
    }

    private static DtmException failure(XaRequest r, String step, SQLException e) {
        return new DtmException(r.where() + step + " failed: " + e.getMessage() + " (SQLState " + e.getSQLState()
                + ", error " + e.getErrorCode() + ")", e);
    }

    @Override
    public String toString() {
        String d = dialect == null ? "dialect not detected yet" : dialect.toString();
        return "XaBranch[" + d + ", barrier=" + barrierTable + "]";
    }

    /** Builder of {@link XaBranch}; not thread-safe. */
    public static final class Builder {
        private DtmClient client;
        private DataSource dataSource;
        private XaDialect dialect;
        private String barrierTable = DEFAULT_BARRIER_TABLE;

        private Builder() {
        }

        /** The client the branch registers through (its coordinator runs the global transaction); required. */
        public Builder client(DtmClient value) {
            this.client = Objects.requireNonNull(value, "client");
            return this;
        }

        /**
         * Where the local XA transactions run; required. For MySQL and MariaDB each {@code getConnection()}
         * must open a new session (an unpooled DataSource such as {@code MariaDbDataSource} or
         * {@code MysqlDataSource}): MySQL keeps a prepared XA transaction attached to the session that prepared it
         * until that session ends, and phase two from another session cannot see it meanwhile. XaBranch closes
         * every connection it takes. A pool is fine for PostgreSQL.
         */
        public Builder dataSource(DataSource value) {
            this.dataSource = Objects.requireNonNull(value, "dataSource");
            return this;
        }

        /** The database's dialect; default detected from the first connection's product name. */
        public Builder dialect(XaDialect value) {
            this.dialect = Objects.requireNonNull(value, "dialect");
            return this;
        }

        /**
         * The barrier table ({@code table} or {@code schema.table}) with DTM's columns (spec 10.1); default
         * {@code dtm_barrier.barrier}. On PostgreSQL its unique key must be the constraint {@code uniq_barrier}.
         */
        public Builder barrierTable(String value) {
            Objects.requireNonNull(value, "barrierTable");
            if (!TABLE_NAME.matcher(value).matches()) {
                throw new IllegalArgumentException("barrierTable must be table or schema.table of A-Z a-z 0-9 _, got '"
                        + value + "'");
            }
            this.barrierTable = value;
            return this;
        }

        /**
         * Builds the XaBranch.
         *
         * @throws IllegalStateException when client or dataSource is missing
         */
        public XaBranch build() {
            if (client == null || dataSource == null) {
                throw new IllegalStateException("XaBranch.builder(): client(...) and dataSource(...) are required");
            }
            return new XaBranch(this);
        }
    }
}
