package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmDuplicatedException;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * The sub-transaction barrier of one branch request: makes a branch handler safe against repeated requests,
 * null compensation (a cancel or compensate whose forward op never took effect) and hanging (a forward op
 * that arrives after its compensation) with inserts into a barrier table, in the same local transaction as
 * the business change (DTM's {@code BranchBarrier}, {@code spec/clients-and-barrier.md} 10).
 *
 * <p>Build one per request from the query parameters DTM sends with every branch call ({@code trans_type},
 * {@code gid}, {@code branch_id}, {@code op}) and call {@code call} once per guarded change. Each call gets
 * the next barrier id ({@code 01}, {@code 02}...), so a handler that calls it N times needs a compensation
 * that calls it N times in the same order.
 *
 * <p>Three ways to supply the connection; in all of them the barrier rows and the business change commit
 * or roll back together:
 * <ul>
 *   <li><b>A {@link DataSource}</b>: the barrier opens a connection, begins, commits or rolls back, closes.
 *   <pre>{@code
 * BranchBarrier barrier = BranchBarrier.fromParameterMap(request.getParameterMap());
 * barrier.call(dataSource, c -> accounts.adjust(c, userId, -amount));
 * }</pre></li>
 *   <li><b>A {@link Connection}</b>: in auto-commit mode the barrier runs a transaction on it and restores
 *   auto-commit; with auto-commit off it joins the caller's open transaction and never commits nor rolls back:
 *   an exception from the work propagates so that the caller rolls back, and the caller must commit before the
 *   handler answers (the marker rows of a null compensation only protect once committed).
 *   <pre>{@code
 * connection.setAutoCommit(false);
 * try {
 *     barrier.call(connection, c -> accounts.adjust(c, userId, amount));
 *     connection.commit();
 * } catch (Exception e) {
 *     connection.rollback();
 *     throw e;
 * }
 * }</pre></li>
 *   <li><b>A {@code Supplier<Connection>}</b> for a transaction managed elsewhere, e.g. Spring: joins the
 *   transaction bound to the thread, never commits, rolls back nor closes. The supplied connection must have
 *   auto-commit off (an open transaction), otherwise the call is refused before anything is written.
 *   <pre>{@code
 * @Transactional
 * public void transIn(Map<String, String> query, Transfer t) throws SQLException {
 *     BranchBarrier.fromQuery(query).call(() -> DataSourceUtils.getConnection(dataSource),
 *             c -> accounts.adjust(c, t.userId(), t.amount()));
 * }
 * }</pre></li>
 * </ul>
 *
 * <p>The algorithm of one call: the origin op of a compensation ({@code cancel} → {@code try},
 * {@code compensate} → {@code action}, {@code rollback} → {@code action}) is inserted first with reason =
 * the current op, then the current op. A {@code msg} op whose row exists throws
 * {@link DtmDuplicatedException}; a compensation whose origin row was new is a null compensation; a current
 * row that existed is a duplicate or hanging request; only otherwise does the work run. See
 * {@link BarrierOutcome}. The unique key serialises a concurrent forward op and its compensation: the second
 * insert waits for the first transaction to end.
 *
 * <p>Not thread-safe: one object per branch request. Dialect detection needs one metadata call per object.
 */
public final class BranchBarrier {
    /** Table used unless {@link Builder#tableName} says otherwise. */
    public static final String DEFAULT_TABLE_NAME = "dtm_barrier.barrier";
    /** Branch id of the msg barrier and back-check. */
    static final String MSG_BRANCH_ID = "00";
    /** Barrier id of the msg barrier and back-check. */
    static final String MSG_BARRIER_ID = "01";
    /** Reason of the marker the back-check writes when the local transaction never committed. */
    static final String REASON_ROLLBACK = "rollback";

    private static final Logger LOG = LoggerFactory.getLogger(BranchBarrier.class);
    private static final int MAX_ID_LENGTH = 128;

    private final TransType transType;
    private final String gid;
    private final String branchId;
    private final BranchOp op;
    private final String tableName;
    private BarrierDialect dialect;
    private final AtomicInteger calls = new AtomicInteger();

    private BranchBarrier(TransType transType, String gid, String branchId, BranchOp op, String tableName,
                          BarrierDialect dialect) {
        this.transType = transType;
        this.gid = gid;
        this.branchId = branchId;
        this.op = op;
        this.tableName = tableName;
        this.dialect = dialect;
    }

    /**
     * Returns the barrier of a branch request from its query parameters, on the default table with the
     * dialect detected from the connection.
     *
     * @throws IllegalArgumentException when trans_type, gid, branch_id or op is missing or invalid
     */
    public static BranchBarrier fromQuery(Map<String, String> query) {
        return builder().query(query).build();
    }

    /**
     * Returns the barrier of a branch request from a servlet-style parameter map
     * ({@code HttpServletRequest.getParameterMap()}; the first value of each key counts).
     *
     * @throws IllegalArgumentException when trans_type, gid, branch_id or op is missing or invalid
     */
    public static BranchBarrier fromParameterMap(Map<String, String[]> parameters) {
        return builder().parameterMap(parameters).build();
    }

    /** Returns a builder, for explicit values, another table or a fixed dialect. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns the transaction type of the request. */
    public TransType transType() {
        return transType;
    }

    /** Returns the global id of the request. */
    public String gid() {
        return gid;
    }

    /** Returns the branch id of the request. */
    public String branchId() {
        return branchId;
    }

    /** Returns the op of the request. */
    public BranchOp op() {
        return op;
    }

    /** Returns the barrier table. */
    public String tableName() {
        return tableName;
    }

    /** Returns the dialect, once given or detected. */
    public Optional<BarrierDialect> dialect() {
        return Optional.ofNullable(dialect);
    }

    /**
     * Runs {@code work} behind the barrier in a local transaction of its own on a connection from
     * {@code dataSource}: begins, commits (or rolls back when anything throws) and closes.
     *
     * @return which path was taken; the work ran only for {@link BarrierOutcome#EXECUTED}
     * @throws E                     what the work threw; the barrier rows were rolled back with it
     * @throws DtmDuplicatedException for op {@code msg}, when the back-check already marked it rolled back
     * @throws SQLException          from the barrier's statements, the commit or the rollback
     */
    public <E extends Exception> BarrierOutcome call(DataSource dataSource, BarrierWork<E> work)
            throws E, SQLException {
        Objects.requireNonNull(dataSource, "dataSource");
        Objects.requireNonNull(work, "work");
        try (Connection c = dataSource.getConnection()) {
            return LocalTransactions.inOwnTransaction(c, conn -> guarded(conn, work));
        }
    }

    /**
     * Runs {@code work} behind the barrier on {@code connection}: in auto-commit mode inside a transaction the
     * barrier begins and ends (auto-commit is restored); otherwise inside the caller's open transaction, which
     * the caller commits or rolls back. The connection is never closed.
     *
     * @return which path was taken; the work ran only for {@link BarrierOutcome#EXECUTED}
     * @throws E                     what the work threw (in a joined transaction, roll it back)
     * @throws DtmDuplicatedException for op {@code msg}, when the back-check already marked it rolled back
     * @throws SQLException          from the barrier's statements, the commit or the rollback
     */
    public <E extends Exception> BarrierOutcome call(Connection connection, BarrierWork<E> work)
            throws E, SQLException {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(work, "work");
        if (connection.getAutoCommit()) {
            return LocalTransactions.inOwnTransaction(connection, conn -> guarded(conn, work));
        }
        return guarded(connection, work);
    }

    /**
     * Runs {@code work} behind the barrier in the transaction that owns the supplied connection, e.g.
     * {@code () -> DataSourceUtils.getConnection(dataSource)} in a Spring {@code @Transactional} method. Never
     * commits, rolls back nor closes: the transaction's owner does.
     *
     * @return which path was taken; the work ran only for {@link BarrierOutcome#EXECUTED}
     * @throws E                     what the work threw (the owner must roll back)
     * @throws DtmDuplicatedException for op {@code msg}, when the back-check already marked it rolled back
     * @throws IllegalStateException when the connection is in auto-commit mode (no open transaction)
     * @throws SQLException          from the barrier's statements
     */
    public <E extends Exception> BarrierOutcome call(Supplier<Connection> connection, BarrierWork<E> work)
            throws E, SQLException {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(work, "work");
        Connection c = Objects.requireNonNull(connection.get(), "the connection supplier returned null");
        if (c.getAutoCommit()) {
            throw new IllegalStateException(this + ": call(Supplier<Connection>, ...) joins the caller's transaction "
                    + "but the supplied connection is in auto-commit mode (no open transaction); run it inside a "
                    + "transaction (@Transactional, TransactionTemplate) or use call(DataSource, ...)");
        }
        return guarded(c, work);
    }

    /**
     * Answers a msg back-check from the barrier table (DTM's {@code QueryPrepared}): inserts the row
     * {@code (gid, 00, msg, 01)} with reason {@code rollback} unless it exists, in a transaction of its own,
     * then reads its reason. If the message's local transaction is still running, the insert waits for it.
     *
     * @return {@link BranchResult#SUCCESS} when the local transaction committed (answer 200),
     *         {@link BranchResult#FAILURE} when it did not and now never will (answer 409)
     * @throws SQLException from the statements; answer an error so that the coordinator asks again
     */
    public BranchResult queryPrepared(DataSource dataSource) throws SQLException {
        Objects.requireNonNull(dataSource, "dataSource");
        try (Connection c = dataSource.getConnection()) {
            return LocalTransactions.inOwnTransaction(c, this::queryPreparedOn);
        }
    }

    /**
     * Like {@link #queryPrepared(DataSource)} on the caller's connection: in auto-commit mode the barrier runs
     * its own transaction on it; with auto-commit off it joins the caller's transaction, which must commit
     * before the handler answers (an uncommitted rollback marker does not stop a late local transaction).
     *
     * @return {@link BranchResult#SUCCESS} or {@link BranchResult#FAILURE}, as above
     * @throws SQLException from the statements
     */
    public BranchResult queryPrepared(Connection connection) throws SQLException {
        Objects.requireNonNull(connection, "connection");
        if (connection.getAutoCommit()) {
            return LocalTransactions.inOwnTransaction(connection, this::queryPreparedOn);
        }
        return queryPreparedOn(connection);
    }

    /**
     * Creates the barrier table (and its schema, sequence and keys) when absent, from the DDL shipped in
     * {@code io/dtm4j/client/barrier/barrier.<dialect>.sql}; for tests and quick starts, production databases
     * usually get it from their migrations. In PostgreSQL the unique constraint is named {@code uniq_barrier},
     * so a schema holds one barrier table.
     *
     * @throws IllegalArgumentException when the table name is not a safe identifier
     * @throws SQLException             from the DDL
     */
    public static void createTableIfAbsent(DataSource dataSource, BarrierDialect dialect, String tableName)
            throws SQLException {
        Objects.requireNonNull(dataSource, "dataSource");
        try (Connection c = dataSource.getConnection()) {
            createTableIfAbsent(c, dialect, tableName);
            if (!c.getAutoCommit()) {
                c.commit();
            }
        }
    }

    /**
     * Like {@link #createTableIfAbsent(DataSource, BarrierDialect, String)} on the caller's connection; with
     * auto-commit off the caller commits (PostgreSQL DDL is transactional).
     *
     * @throws IllegalArgumentException when the table name is not a safe identifier
     * @throws SQLException             from the DDL
     */
    public static void createTableIfAbsent(Connection connection, BarrierDialect dialect, String tableName)
            throws SQLException {
        Objects.requireNonNull(connection, "connection");
        Objects.requireNonNull(dialect, "dialect");
        BarrierSql.createTableIfAbsent(connection, dialect, BarrierSql.requireTableName(tableName));
    }

    /** The next barrier id of this request: {@code 01}, {@code 02}... */
    String nextBarrierId() {
        return String.format("%02d", calls.incrementAndGet());
    }

    /** The op whose row a compensation claims first, or empty for a forward op. */
    static Optional<BranchOp> originOp(BranchOp op) {
        return switch (op) {
            case CANCEL -> Optional.of(BranchOp.TRY);
            case COMPENSATE, ROLLBACK -> Optional.of(BranchOp.ACTION);
            default -> Optional.empty();
        };
    }

    /** Spec 10.3 steps 1-8, on a connection whose transaction the caller manages. */
    private <E extends Exception> BarrierOutcome guarded(Connection c, BarrierWork<E> work) throws E, SQLException {
        BarrierDialect d = dialectOf(c);
        String bid = nextBarrierId();
        String reason = op.wireName();
        Optional<BranchOp> origin = originOp(op);
        int originAffected = 0;
        if (origin.isPresent()) {
            originAffected = BarrierSql.insertIgnore(c, d, tableName, row(origin.get().wireName(), bid), reason);
        }
        BarrierRow current = row(op.wireName(), bid);
        int currentAffected = BarrierSql.insertIgnore(c, d, tableName, current, reason);
        if (op == BranchOp.MSG && currentAffected == 0) {
            throw new DtmDuplicatedException(current + ": the back-check already marked this message rolled back; "
                    + "the local work did not run and the message will not be sent");
        }
        if (origin.isPresent() && originAffected > 0) {
            LOG.debug("{}: null compensation, the forward op never ran; business skipped", current);
            return BarrierOutcome.NULL_COMPENSATION;
        }
        if (currentAffected == 0) {
            LOG.debug("{}: duplicate or hanging request; business skipped", current);
            return BarrierOutcome.DUPLICATE_OR_HANGING;
        }
        work.run(c);
        return BarrierOutcome.EXECUTED;
    }

    /** Spec 10.4 on a connection whose transaction the caller manages. */
    private BranchResult queryPreparedOn(Connection c) throws SQLException {
        BarrierDialect d = dialectOf(c);
        BarrierRow marker = new BarrierRow(transType.wireName(), gid, MSG_BRANCH_ID, BranchOp.MSG.wireName(),
                MSG_BARRIER_ID);
        BarrierSql.insertIgnore(c, d, tableName, marker, REASON_ROLLBACK);
        Optional<String> reason = BarrierSql.reason(c, d, tableName, marker);
        if (reason.isEmpty()) {
            throw new SQLException(marker + ": the back-check row is missing right after its insert in " + tableName
                    + "; was the table truncated meanwhile?");
        }
        return REASON_ROLLBACK.equals(reason.get()) ? BranchResult.FAILURE : BranchResult.SUCCESS;
    }

    private BarrierRow row(String rowOp, String barrierId) {
        return new BarrierRow(transType.wireName(), gid, branchId, rowOp, barrierId);
    }

    private BarrierDialect dialectOf(Connection c) throws SQLException {
        if (dialect == null) {
            dialect = BarrierDialect.detect(c);
        }
        return dialect;
    }

    @Override
    public String toString() {
        return "gid=" + gid + " branch=" + branchId + " op=" + op.wireName();
    }

    /** Builder of {@link BranchBarrier}; not thread-safe. The request fields are checked by {@link #build()}. */
    public static final class Builder {
        private final Map<String, String> fields = new LinkedHashMap<>();
        private String tableName = DEFAULT_TABLE_NAME;
        private BarrierDialect dialect;

        private Builder() {
        }

        /** Takes trans_type, gid, branch_id and op from a branch request's query parameters; other keys are ignored. */
        public Builder query(Map<String, String> query) {
            Objects.requireNonNull(query, "query");
            for (String key : List.of("trans_type", "gid", "branch_id", "op")) {
                String v = query.get(key);
                if (v != null) {
                    fields.put(key, v);
                }
            }
            return this;
        }

        /** Like {@link #query(Map)} for a servlet-style map; the first value of each key counts. */
        public Builder parameterMap(Map<String, String[]> parameters) {
            Objects.requireNonNull(parameters, "parameters");
            Map<String, String> first = new LinkedHashMap<>();
            parameters.forEach((k, v) -> {
                if (v != null && v.length > 0) {
                    first.put(k, v[0]);
                }
            });
            return query(first);
        }

        /** Sets the transaction type. */
        public Builder transType(TransType value) {
            fields.put("trans_type", Objects.requireNonNull(value, "transType").wireName());
            return this;
        }

        /** Sets the global id (1 to 128 characters). */
        public Builder gid(String value) {
            fields.put("gid", Objects.requireNonNull(value, "gid"));
            return this;
        }

        /** Sets the branch id (1 to 128 characters). */
        public Builder branchId(String value) {
            fields.put("branch_id", Objects.requireNonNull(value, "branchId"));
            return this;
        }

        /** Sets the op. */
        public Builder op(BranchOp value) {
            fields.put("op", Objects.requireNonNull(value, "op").wireName());
            return this;
        }

        /**
         * Sets the barrier table, {@code [schema.]table} of letters, digits and {@code _}; default
         * {@value BranchBarrier#DEFAULT_TABLE_NAME}.
         *
         * @throws IllegalArgumentException for any other form (the name is part of the SQL text)
         */
        public Builder tableName(String value) {
            this.tableName = BarrierSql.requireTableName(value);
            return this;
        }

        /** Fixes the dialect; default detected from the first connection's product name. */
        public Builder dialect(BarrierDialect value) {
            this.dialect = Objects.requireNonNull(value, "dialect");
            return this;
        }

        /**
         * Builds the barrier.
         *
         * @throws IllegalArgumentException naming every missing field, or an invalid trans_type, op or length
         */
        public BranchBarrier build() {
            List<String> missing = new ArrayList<>();
            for (String key : List.of("trans_type", "gid", "branch_id", "op")) {
                String v = fields.get(key);
                if (v == null || v.isBlank()) {
                    missing.add(key);
                }
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("branch barrier: missing " + String.join(", ", missing)
                        + "; pass the query parameters trans_type, gid, branch_id and op that the coordinator "
                        + "sends with every branch call");
            }
            String gid = boundedId("gid", fields.get("gid"));
            String branchId = boundedId("branch_id", fields.get("branch_id"));
            try {
                return new BranchBarrier(TransType.fromWireName(fields.get("trans_type")), gid, branchId,
                        BranchOp.fromWireName(fields.get("op")), tableName, dialect);
            } catch (InvalidRequestException e) {
                throw new IllegalArgumentException("branch barrier gid=" + gid + ": " + e.getMessage(), e);
            }
        }

        /** Longer values would be truncated by MySQL's insert ignore and could collide. */
        private static String boundedId(String key, String value) {
            if (value.length() > MAX_ID_LENGTH) {
                throw new IllegalArgumentException("branch barrier: " + key + " is " + value.length()
                        + " characters long; the barrier column holds " + MAX_ID_LENGTH);
            }
            return value;
        }
    }
}
