package io.dtm4j.client.xa;

import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The local XA transactions of DTM branches on one database (Go's {@code XaHandleLocalTrans} and
 * {@code XaHandlePhase2}); it never calls the coordinator. The xid of a branch is {@code <gid>-<branch_id>}.
 * {@link XaBranch} runs the branches of XA global transactions on it, and a workflow's XA steps
 * ({@link io.dtm4j.client.workflow.WorkflowBranch#doXa}) run on it too.
 * <ul>
 *   <li>{@link #prepare} (phase one): on a connection of its own, {@code XA START} (PostgreSQL: {@code BEGIN});
 *       insert the barrier row {@code (trans type, gid, branch, action, 01, reason action)}; run the work; run
 *       the before-prepare hook; {@code XA END} + {@code XA PREPARE} (PostgreSQL: {@code PREPARE TRANSACTION}).
 *       Anything thrown rolls the local transaction back and is rethrown, so nothing is left prepared.</li>
 *   <li>{@link #phaseTwo}: {@code XA COMMIT} / {@code XA ROLLBACK} (PostgreSQL: {@code COMMIT PREPARED} /
 *       {@code ROLLBACK PREPARED}). An unknown xid counts as done (a repeated phase two). After a rollback the
 *       barrier row {@code (trans type, gid, branch, action, 01, reason rollback)} is inserted, so a phase one
 *       arriving after its rollback does nothing (spec 10.5).</li>
 * </ul>
 *
 * <pre>{@code
 * XaDatabase db = XaDatabase.builder().dataSource(unpooledDataSource).barrierTable("busi.barrier").build();
 * wf.branch().doXa(db, conn -> debit(conn, 30));
 * }</pre>
 *
 * <p>Thread-safe; each call takes its own connection and closes it.
 */
public final class XaDatabase {
    private static final Logger LOG = LoggerFactory.getLogger(XaDatabase.class);

    /** DTM's barrier table, which also holds the XA branches' rows. */
    public static final String DEFAULT_BARRIER_TABLE = "dtm_barrier.barrier";
    /** The barrier id of an XA branch's rows, as DTM writes it. */
    static final String BARRIER_ID = "01";
    private static final Pattern TABLE_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)?");

    private final DataSource dataSource;
    private final String barrierTable;
    private volatile XaDialect dialect;

    private XaDatabase(Builder b) {
        this.dataSource = b.dataSource;
        this.barrierTable = b.barrierTable;
        this.dialect = b.dialect;
    }

    /** Returns an XaDatabase on {@code dataSource} with the default barrier table and a detected dialect. */
    public static XaDatabase of(DataSource dataSource) {
        return builder().dataSource(dataSource).build();
    }

    /** Returns a builder; {@link Builder#dataSource} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Runs phase one of branch {@code (gid, branchId)}: {@code work} in a local XA transaction, then
     * {@code beforePrepare}, then prepares it, as described above.
     *
     * @param transType     the trans type of the barrier rows: {@code xa} for an XA branch, {@code workflow} for
     *                      a workflow step
     * @param beforePrepare runs after the work, before the prepare; what it throws rolls back too (XaBranch
     *                      registers the branch here, a workflow records its step)
     * @throws E                       whatever the work threw, after the local transaction was rolled back
     * @throws InvalidRequestException the gid or branch id is not acceptable (gid and branch id must be made of
     *                                 {@code A-Z a-z 0-9 _ - . : @}), or the xid is too long for the database
     * @throws DtmFailureException     the branch was already rolled back, or its phase one already ran (the
     *                                 barrier row exists); the work did not run
     * @throws DtmException            a database error; the local transaction was rolled back
     */
    public <E extends Exception> void prepare(TransType transType, String gid, String branchId, XaWork<E> work,
                                              Runnable beforePrepare) throws E {
        Objects.requireNonNull(transType, "transType");
        Objects.requireNonNull(work, "work");
        Objects.requireNonNull(beforePrepare, "beforePrepare");
        XaRequest r = XaRequest.of(gid, branchId, XaRequest.ACTION);
        checkXidIfKnown(r);
        prepare(r, transType, work, beforePrepare);
    }

    /**
     * Runs phase two of branch {@code (gid, branchId)}: commits or rolls back its prepared xid, as described
     * above. Idempotent.
     *
     * @param transType the trans type of the barrier row written after a rollback (as for {@link #prepare})
     * @param op        {@link BranchOp#COMMIT} or {@link BranchOp#ROLLBACK}
     * @throws IllegalArgumentException another op
     * @throws InvalidRequestException  the gid or branch id is not acceptable, or the xid is too long
     * @throws DtmException             a database error; call it again later
     */
    public void phaseTwo(TransType transType, String gid, String branchId, BranchOp op) {
        Objects.requireNonNull(transType, "transType");
        if (op != BranchOp.COMMIT && op != BranchOp.ROLLBACK) {
            throw new IllegalArgumentException("phase two is commit or rollback, got " + op);
        }
        XaRequest r = XaRequest.of(gid, branchId, op.wireName());
        checkXidIfKnown(r);
        phaseTwo(r, transType);
    }

    /** Refuses a too long xid before taking a connection, when the dialect is known already. */
    void checkXidIfKnown(XaRequest r) {
        XaDialect known = dialect;
        if (known != null) {
            xid(r, known);
        }
    }

    <E extends Exception> void prepare(XaRequest r, TransType transType, XaWork<E> work, Runnable beforePrepare)
            throws E {
        long started = System.nanoTime();
        Connection c = connect(r);
        Boolean autoCommit = null;
        try {
            XaDialect d = dialect(c, r);
            String xid = xid(r, d);
            autoCommit = XaJdbc.autoCommit(c, r, d.phaseOneAutoCommit());
            XaJdbc.sql(r, "XA START", () -> {
                try (Statement s = c.createStatement()) {
                    d.start(s, xid);
                }
            });
            try {
                if (insertBarrier(c, d, r, transType, XaRequest.ACTION) == 0) {
                    throw new DtmFailureException(r.where() + "the branch was rolled back before its action, or the "
                            + "action already ran (its barrier row exists); nothing done");
                }
                work.run(c);
                beforePrepare.run();
                XaJdbc.sql(r, "XA PREPARE", () -> {
                    try (Statement s = c.createStatement()) {
                        d.prepare(s, xid);
                    }
                });
            } catch (Throwable t) {
                XaJdbc.rollbackAfter(c, d, xid, t);
                throw t;
            }
            LOG.debug("{}prepared in {} ms", r.where(), (System.nanoTime() - started) / 1_000_000);
        } finally {
            XaJdbc.release(c, autoCommit);
        }
    }

    void phaseTwo(XaRequest r, TransType transType) {
        Connection c = connect(r);
        Boolean autoCommit = null;
        try {
            XaDialect d = dialect(c, r);
            String xid = xid(r, d);
            autoCommit = XaJdbc.autoCommit(c, r, true);
            try (Statement s = c.createStatement()) {
                s.execute(d.phaseTwo(r.op(), xid));
            } catch (SQLException e) {
                if (!d.unknownXid(e)) {
                    throw XaJdbc.failure(r, "XA " + r.op(), e);
                }
                if (d == XaDialect.MYSQL && XaJdbc.stillPrepared(c, xid)) {
                    throw new DtmException(r.where() + "MySQL answered XAER_NOTA but XA RECOVER lists the xid: the "
                            + "session that prepared it is still open, as when the XA DataSource is a connection "
                            + "pool; give it a DataSource that opens a new connection each time");
                }
                LOG.debug("{}xid unknown: phase two already done", r.where());
            }
            if (XaRequest.ROLLBACK.equals(r.op())) {
                insertBarrier(c, d, r, transType, XaRequest.ROLLBACK);
            }
        } finally {
            XaJdbc.release(c, autoCommit);
        }
    }

    /** Inserts the barrier row {@code (type, gid, branch, action, 01, reason)}; returns the rows inserted (0 or 1). */
    private int insertBarrier(Connection c, XaDialect d, XaRequest r, TransType type, String reason) {
        try (PreparedStatement ps = c.prepareStatement(d.insertBarrier(barrierTable))) {
            ps.setString(1, type.wireName());
            ps.setString(2, r.gid());
            ps.setString(3, r.branchId());
            ps.setString(4, XaRequest.ACTION);
            ps.setString(5, BARRIER_ID);
            ps.setString(6, reason);
            return ps.executeUpdate();
        } catch (SQLException e) {
            throw XaJdbc.failure(r, "barrier insert into " + barrierTable, e);
        }
    }

    private Connection connect(XaRequest r) {
        try {
            return dataSource.getConnection();
        } catch (SQLException e) {
            throw XaJdbc.failure(r, "getConnection", e);
        }
    }

    private XaDialect dialect(Connection c, XaRequest r) {
        XaDialect d = dialect;
        if (d == null) {
            String product;
            try {
                product = c.getMetaData().getDatabaseProductName();
            } catch (SQLException e) {
                throw XaJdbc.failure(r, "reading the database product name", e);
            }
            Optional<XaDialect> detected = XaDialect.ofProductName(product);
            if (detected.isEmpty()) {
                throw new DtmException(r.where() + "XA branches support MySQL, MariaDB and PostgreSQL, not '"
                        + product + "'; set the dialect on the builder if the database speaks one of them");
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

    /** The dialect (or that it is not detected yet) and the barrier table, for toString. */
    String describe() {
        XaDialect d = dialect;
        return (d == null ? "dialect not detected yet" : d.toString()) + ", barrier=" + barrierTable;
    }

    @Override
    public String toString() {
        return "XaDatabase[" + describe() + "]";
    }

    /** Builder of {@link XaDatabase}; not thread-safe. */
    public static final class Builder {
        private DataSource dataSource;
        private XaDialect dialect;
        private String barrierTable = DEFAULT_BARRIER_TABLE;

        private Builder() {
        }

        /**
         * Where the local XA transactions run; required. For MySQL and MariaDB each {@code getConnection()}
         * must open a new session (an unpooled DataSource such as {@code MariaDbDataSource} or
         * {@code MysqlDataSource}): MySQL keeps a prepared XA transaction attached to the session that prepared it
         * until that session ends, and phase two from another session cannot see it meanwhile. Every connection
         * taken is closed. A pool is fine for PostgreSQL.
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
         *
         * @throws IllegalArgumentException when it is not {@code table} or {@code schema.table}
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
         * Builds the XaDatabase.
         *
         * @throws IllegalStateException when dataSource is missing
         */
        public XaDatabase build() {
            if (dataSource == null) {
                throw new IllegalStateException("XaDatabase.builder(): dataSource(...) is required");
            }
            return new XaDatabase(this);
        }
    }
}
