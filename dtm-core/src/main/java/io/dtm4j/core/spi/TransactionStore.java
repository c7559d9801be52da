package io.dtm4j.core.spi;

import io.dtm4j.core.Branch;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionUpdate;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Where transactions live; the only source of truth. Every change is atomic and, except for creation,
 * a compare-and-set on the transaction's current status: a lost race returns {@code false}, never throws.
 * A store that cannot be reached throws {@link io.dtm4j.core.StoreUnavailableException}. Implementations
 * are thread-safe. Every method that returns normally after a write has made that write durable (the
 * store's own meaning: fsync for SQLite and SQL servers).
 *
 * <p>Stores may truncate instants to whole milliseconds (toward the past); values returned are as stored.
 * Durations are whole seconds on the wire and in DTM's SQL layout.
 *
 * <p>The contract test suite in dtm-core's test-jar ({@code TransactionStoreContract}) pins this down;
 * every store extends it.
 */
public interface TransactionStore extends AutoCloseable {

    /**
     * Inserts a new transaction and its branch rows in one atomic write (the intent).
     *
     * Every branch's gid equals {@code global.gid()}.
     *
     * @return false, writing nothing, when the gid already exists
     * @throws io.dtm4j.core.InvalidRequestException  when a branch belongs to another gid; nothing written
     * @throws io.dtm4j.core.DuplicateBranchException when the branches repeat a (branchId, op); nothing written
     */
    boolean insert(GlobalTransaction global, List<Branch> branches);

    /** Finds a transaction by gid. */
    Optional<GlobalTransaction> findGlobal(String gid);

    /** Returns the branch rows of a transaction in insertion order; empty if none or unknown. */
    List<Branch> findBranches(String gid);

    /**
     * Applies one change if the stored status still equals {@code update.expectedStatus()} (and, when
     * {@code update.expectedOwner()} is present, the stored owner still equals it): the new
     * status with its time columns, the reason, result and cron fields that are present, and the branch
     * statuses (each with {@code finish_time = update_time = now}), all or nothing.
     *
     * @return false, changing nothing, when the transaction is missing, in another status, or (with an
     *         expected owner) claimed by another owner
     * @throws io.dtm4j.core.InvalidRequestException when a branch update names no existing (branchId, op)
     *                                               row; nothing changed
     */
    boolean update(TransactionUpdate update);

    /**
     * Appends branch rows to a transaction of type {@code type} that is in {@code expected} (registerBranch).
     * Both are checked in the same atomic step as the insert.
     *
     * @return false, writing nothing, when the transaction is missing, of another type or in another status
     * @throws io.dtm4j.core.DuplicateBranchException when a (branchId, op) already exists or appears twice in
     *                                                 {@code branches}; nothing written
     */
    boolean appendBranches(String gid, GlobalStatus expected, TransType type, List<Branch> branches);

    /**
     * Claims up to {@code limit} due transactions for recovery: unfinished ones whose
     * {@code next_cron_time <= now}. Each claimed one gets {@code owner}, {@code next_cron_time = now + lease}
     * and {@code update_time = now} atomically, so no other node claims it while the lease runs. Oldest
     * due first.
     *
     * @return the claimed transactions, as they are after the claim
     * @throws IllegalArgumentException when limit is negative
     */
    List<GlobalTransaction> claimDue(Instant now, Duration lease, String owner, int limit);

    /**
     * Makes one transaction due now ({@code next_cron_time = update_time = now}), whatever its status.
     *
     * @return false when no such transaction exists
     */
    boolean retryNow(String gid, Instant now);

    /**
     * Makes due now up to {@code limit} unfinished transactions whose {@code next_cron_time} is later than
     * {@code now + after}.
     *
     * @throws IllegalArgumentException when limit is negative
     */
    CronReset resetCronTime(Instant now, Duration after, int limit);

    /**
     * Returns one page of transactions matching the query, newest first. Every filter of the query applies,
     * {@link ListQuery#gidPrefix()} included: a gid starts with it exactly (case-sensitive, every character
     * literal).
     */
    TransactionPage list(ListQuery query);

    /**
     * Removes up to {@code limit} finished transactions (and their branches) whose {@code finish_time} or
     * {@code rollback_time} is strictly before {@code finishedBefore}; a final transaction with neither is
     * never purged.
     *
     * @return how many were removed
     * @throws IllegalArgumentException when limit is negative
     */
    int purgeFinished(Instant finishedBefore, int limit);

    /**
     * Removes every transaction and branch, whatever its status, keeping the schema (the operator's
     * {@code dtm -r}). Atomic where the store can make it so (SQL: one database transaction); on Redis the keys
     * under the prefix are removed in batches, so a reset interrupted by an outage is completed by running it
     * again. Never call it while a coordinator is using the store.
     *
     * @return how many transactions were removed
     */
    long deleteAll();

    /**
     * Checks that the store answers.
     *
     * @throws io.dtm4j.core.StoreUnavailableException when it does not, saying what to check
     */
    void ping();

    /** A short name for logs and health output, e.g. {@code sqlite:/var/lib/dtm/dtm.db}. No secrets. */
    String describe();

    /**
     * Returns the state of the store's connection pools, for metrics; empty (the default) when the store has no
     * pool worth watching: the in-memory store has none, and Redis shares one multiplexed connection. Cheap (no
     * I/O) and callable at any time, also after {@link #close()}.
     */
    default Optional<PoolStats> poolStats() {
        return Optional.empty();
    }

    /**
     * Returns how many transactions the store holds in each status, for the admin UI; empty (the default) when
     * the store cannot count them cheaply and exactly. A store that counts reads every row of its transactions
     * table or an index of it (SQL: one {@code GROUP BY status} over {@code trans_global}), so the cost grows with
     * the number of transactions kept: call it at most every few seconds, never per request or per transaction.
     * The counts are one consistent snapshot where the store can give one.
     */
    default Optional<StatusCounts> countByStatus() {
        return Optional.empty();
    }

    /** Releases connections and threads. Idempotent. */
    @Override
    void close();

    /** Convenience: true when the stored status of {@code gid} is final. */
    default boolean isFinal(String gid) {
        return findGlobal(gid).map(g -> g.status().isFinal()).orElse(false);
    }

    /** Convenience: the status of a transaction, if it exists. */
    default Optional<GlobalStatus> statusOf(String gid) {
        return findGlobal(gid).map(GlobalTransaction::status);
    }
}
