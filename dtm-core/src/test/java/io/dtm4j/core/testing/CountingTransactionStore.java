package io.dtm4j.core.testing;

import io.dtm4j.core.Branch;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.CronReset;
import io.dtm4j.core.spi.StatusCounts;
import io.dtm4j.core.spi.TransactionStore;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Wraps a store and counts its durable writes (every mutating call that wrote) and its reads (lookups, lists,
 * counts and pings), as the engine asks for them through the SPI. The store-side write-count tests subtract the
 * reads from what the database counted. Thread-safe.
 */
public final class CountingTransactionStore implements TransactionStore {
    private final TransactionStore delegate;
    private final AtomicInteger writes = new AtomicInteger();
    private final AtomicInteger reads = new AtomicInteger();
    private final AtomicInteger writeCalls = new AtomicInteger();

    public CountingTransactionStore(TransactionStore delegate) {
        this.delegate = delegate;
    }

    /** Writes that changed something so far. */
    public int writes() {
        return writes.get();
    }

    /**
     * Mutating calls made, whether they changed something or not: what a store pays for (an insert of an existing
     * gid still costs a SQL store a transaction), so it should equal {@link #writes()} on the happy paths.
     */
    public int writeCalls() {
        return writeCalls.get();
    }

    /** Calls of {@code findGlobal}, {@code findBranches}, {@code list}, {@code countByStatus} and {@code ping}. */
    public int reads() {
        return reads.get();
    }

    /** Forgets both counts. */
    public void reset() {
        writes.set(0);
        reads.set(0);
        writeCalls.set(0);
    }

    private boolean count(boolean wrote) {
        writeCalls.incrementAndGet();
        if (wrote) {
            writes.incrementAndGet();
        }
        return wrote;
    }

    @Override
    public boolean insert(GlobalTransaction global, List<Branch> branches) {
        return count(delegate.insert(global, branches));
    }

    @Override
    public Optional<GlobalTransaction> findGlobal(String gid) {
        reads.incrementAndGet();
        return delegate.findGlobal(gid);
    }

    @Override
    public List<Branch> findBranches(String gid) {
        reads.incrementAndGet();
        return delegate.findBranches(gid);
    }

    @Override
    public boolean update(TransactionUpdate update) {
        return count(delegate.update(update));
    }

    @Override
    public boolean appendBranches(String gid, GlobalStatus expected, TransType type, List<Branch> branches) {
        return count(delegate.appendBranches(gid, expected, type, branches));
    }

    @Override
    public List<GlobalTransaction> claimDue(Instant now, Duration lease, String owner, int limit) {
        List<GlobalTransaction> claimed = delegate.claimDue(now, lease, owner, limit);
        count(!claimed.isEmpty());
        return claimed;
    }

    @Override
    public boolean retryNow(String gid, Instant now) {
        return count(delegate.retryNow(gid, now));
    }

    @Override
    public CronReset resetCronTime(Instant now, Duration after, int limit) {
        CronReset r = delegate.resetCronTime(now, after, limit);
        count(r.count() > 0);
        return r;
    }

    @Override
    public TransactionPage list(ListQuery query) {
        reads.incrementAndGet();
        return delegate.list(query);
    }

    @Override
    public Optional<StatusCounts> countByStatus() {
        reads.incrementAndGet();
        return delegate.countByStatus();
    }

    @Override
    public int purgeFinished(Instant finishedBefore, int limit) {
        int n = delegate.purgeFinished(finishedBefore, limit);
        count(n > 0);
        return n;
    }

    @Override
    public long deleteAll() {
        long n = delegate.deleteAll();
        count(n > 0);
        return n;
    }

    @Override
    public void ping() {
        reads.incrementAndGet();
        delegate.ping();
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void close() {
        delegate.close();
    }
}
