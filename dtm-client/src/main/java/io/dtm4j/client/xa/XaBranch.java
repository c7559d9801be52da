package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;

import javax.sql.DataSource;
import java.util.Map;
import java.util.Objects;

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
 * branch registers through the client given here. The local XA transactions run on an {@link XaDatabase}.
 * Thread-safe; each call uses its own connection.
 */
public final class XaBranch {
    /** DTM's barrier table, which also holds the XA branches' rows. */
    public static final String DEFAULT_BARRIER_TABLE = XaDatabase.DEFAULT_BARRIER_TABLE;

    private final DtmClient client;
    private final XaDatabase database;

    private XaBranch(DtmClient client, XaDatabase database) {
        this.client = client;
        this.database = database;
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
        database.checkXidIfKnown(r);
        if (XaRequest.ACTION.equals(r.op())) {
            database.prepare(r, TransType.XA, work, () -> client.registerBranch(new BranchRegistration(r.gid(),
                    TransType.XA, r.branchId(), new byte[0], Map.of("url", r.phase2Url()))));
        } else {
            database.phaseTwo(r, TransType.XA);
        }
    }

    @Override
    public String toString() {
        return "XaBranch[" + database.describe() + "]";
    }

    /** Builder of {@link XaBranch}; not thread-safe. */
    public static final class Builder {
        private final XaDatabase.Builder database = XaDatabase.builder();
        private DtmClient client;
        private boolean hasDataSource;

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
            database.dataSource(value);
            hasDataSource = true;
            return this;
        }

        /** The database's dialect; default detected from the first connection's product name. */
        public Builder dialect(XaDialect value) {
            database.dialect(value);
            return this;
        }

        /**
         * The barrier table ({@code table} or {@code schema.table}) with DTM's columns (spec 10.1); default
         * {@code dtm_barrier.barrier}. On PostgreSQL its unique key must be the constraint {@code uniq_barrier}.
         */
        public Builder barrierTable(String value) {
            database.barrierTable(value);
            return this;
        }

        /**
         * Builds the XaBranch.
         *
         * @throws IllegalStateException when client or dataSource is missing
         */
        public XaBranch build() {
            if (client == null || !hasDataSource) {
                throw new IllegalStateException("XaBranch.builder(): client(...) and dataSource(...) are required");
            }
            return new XaBranch(client, database.build());
        }
    }
}
