package io.dtm4j.core;

import io.dtm4j.core.internal.Engine;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.spi.CoordinatorEvents;
import io.dtm4j.core.spi.CronReset;
import io.dtm4j.core.spi.TransactionStore;

import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;

/**
 * The transaction coordinator: one API behind both shapes of dtm4j. The HTTP server is a thin adapter
 * over it and the embedded client calls it directly.
 *
 * <p>Requests ({@link #prepare}, {@link #submit}, {@link #abort}, {@link #registerBranch}) are durable
 * when they return. Processing then runs in the background, or inside the call when the transaction asks
 * for {@code wait_result}. Transactions whose processing stopped (a crash, a branch still ONGOING, an
 * error) become due again and are re-driven by {@link #recoverOnce()}, on any coordinator sharing the
 * store; {@link RecoveryScheduler} calls it periodically.
 *
 * <p>Thread-safe. Close it to stop background processing; unfinished work stays in the store.
 */
public final class Coordinator implements AutoCloseable {

    /** Default base retry interval and recovery lease (DTM's {@code RetryInterval}). */
    public static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofSeconds(10);
    /** Default timeout of prepared msg/tcc/xa/workflow transactions (DTM's {@code TimeoutToFail}). */
    public static final Duration DEFAULT_TIMEOUT_TO_FAIL = Duration.ofSeconds(35);
    /** Default timeout of each branch call (DTM's {@code RequestTimeout}). */
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(3);
    /** Default number of due transactions claimed per recovery step. */
    public static final int DEFAULT_RECOVERY_BATCH = 100;

    /** Largest batch one {@link #purgeOnce} removes. */
    public static final int MAX_PURGE_BATCH = 10_000;

    private final Engine engine;

    private Coordinator(Builder b) {
        this.engine = new Engine(b.store, b.invoker, b.clock, b.executor, b.retryInterval, b.timeoutToFail,
                b.requestTimeout, b.recoveryBatch, b.nodeId, b.events);
    }

    /** Returns a builder; {@link Builder#store} and {@link Builder#invoker} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Returns a new random gid (22-character short UUID). */
    public String newGid() {
        return Gids.newGid();
    }

    /**
     * Creates a transaction in {@code prepared} (msg, tcc, xa; a saga may be prepared too). Preparing a
     * gid that is still prepared succeeds again.
     *
     * @throws IllegalTransitionException when the gid exists in another status
     */
    public TransOutcome prepare(TransRequest request) {
        return engine.prepare(request);
    }

    /**
     * Submits a transaction: creates it in {@code submitted}, or moves a prepared one there, then
     * processes it. Re-submitting a submitted transaction processes it again from its stored branches.
     *
     * @return success once durable (without wait_result) or the outcome of one round (with it)
     * @throws IllegalTransitionException when the transaction is already final or aborting
     */
    public TransOutcome submit(TransRequest request) {
        return engine.submit(request);
    }

    /**
     * Aborts a transaction: a prepared msg becomes {@code failed}; a prepared tcc or xa is rolled back.
     *
     * @throws TransactionNotFoundException when there is no such transaction
     * @throws IllegalTransitionException   when it cannot be aborted in its type and status
     */
    public TransOutcome abort(TransRequest request) {
        return engine.abort(request);
    }

    /**
     * Starts or resumes a workflow: creates it in {@code prepared} when the gid is new, and returns the stored
     * transaction with every recorded branch (its progress), whatever its status.
     *
     * @throws InvalidRequestException when the request is not a workflow
     */
    public TransactionView prepareWorkflow(TransRequest request) {
        return engine.prepareWorkflow(request);
    }

    /**
     * Records a tcc, xa or workflow branch of a prepared transaction.
     *
     * @throws IllegalTransitionException when the transaction is missing or no longer prepared
     * @throws DuplicateBranchException   when the (branch id, op) is already registered
     */
    public void registerBranch(BranchRegistration registration) {
        engine.registerBranch(registration);
    }

    /** Returns a transaction with its branches. */
    public Optional<TransactionView> query(String gid) {
        return engine.query(gid);
    }

    /** Returns one page of transactions. */
    public TransactionPage list(ListQuery query) {
        return engine.store().list(query);
    }

    /**
     * Moves an unfinished transaction to {@code failed} without calling any branch.
     *
     * @param reason stored as the rollback reason; may be empty
     * @throws TransactionNotFoundException when there is no such transaction
     * @throws IllegalTransitionException   when it is already final
     */
    public void forceStop(String gid, String reason) {
        engine.forceStop(gid, reason);
    }

    /**
     * Makes a transaction due now, so the next recovery step re-drives it (DTM's resetNextCronTime).
     *
     * @throws TransactionNotFoundException when there is no such transaction
     */
    public void retryNow(String gid) {
        engine.retryNow(gid);
    }

    /** Makes due now up to {@code limit} unfinished transactions due later than now + {@code after}. */
    public CronReset resetCronTime(Duration after, int limit) {
        return engine.resetCronTime(after, limit);
    }

    /**
     * Claims due transactions (up to the recovery batch size) and re-drives each one round; returns what it
     * did. Safe to call from several nodes at once: a claim is a lease in the store. When this coordinator's
     * clock went back by more than the retry interval since the last call, it first makes due every transaction
     * scheduled further than that ahead, so that nothing waits for the length of the jump.
     */
    public RecoveryReport recoverOnce() {
        return engine.recoverOnce();
    }

    /**
     * Removes up to {@code batch} finished transactions (succeed or failed, with their branches) that finished
     * more than {@code olderThan} ago by this coordinator's clock; returns how many it removed. Unfinished
     * transactions are never removed. {@link RetentionScheduler} calls it periodically.
     *
     * @param olderThan how long a finished transaction is kept; zero or more
     * @param batch     the most to remove in this call; 1 to 10000
     * @throws IllegalArgumentException when olderThan is negative or batch out of range
     * @throws StoreUnavailableException when the store cannot be reached
     */
    public int purgeOnce(Duration olderThan, int batch) {
        Objects.requireNonNull(olderThan, "olderThan");
        if (olderThan.isNegative()) {
            throw new IllegalArgumentException("olderThan must not be negative, got " + olderThan);
        }
        if (batch < 1 || batch > MAX_PURGE_BATCH) {
            throw new IllegalArgumentException("batch must be 1 to " + MAX_PURGE_BATCH + ", got " + batch);
        }
        return engine.purgeOnce(olderThan, batch);
    }

    /** Returns the store this coordinator runs on. */
    public TransactionStore store() {
        return engine.store();
    }

    /** Returns how many due transactions one {@link #recoverOnce()} claims at most. */
    public int recoveryBatch() {
        return engine.recoveryBatch();
    }

    /** Returns the base retry interval, which is also the recovery lease. */
    public Duration retryInterval() {
        return engine.retryInterval();
    }

    /** Stops background processing (in-flight rounds get a short grace period). Does not close the store. */
    @Override
    public void close() {
        engine.close();
    }

    /** Builder of {@link Coordinator}; not thread-safe. */
    public static final class Builder {
        private TransactionStore store;
        private BranchInvoker invoker;
        private Clock clock = Clock.systemUTC();
        private ExecutorService executor;
        private Duration retryInterval = DEFAULT_RETRY_INTERVAL;
        private Duration timeoutToFail = DEFAULT_TIMEOUT_TO_FAIL;
        private Duration requestTimeout = DEFAULT_REQUEST_TIMEOUT;
        private int recoveryBatch = DEFAULT_RECOVERY_BATCH;
        private String nodeId = "";
        private CoordinatorEvents events = CoordinatorEvents.NONE;

        private Builder() {
        }

        /** The store; required. The coordinator does not close it. */
        public Builder store(TransactionStore value) {
            this.store = Objects.requireNonNull(value, "store");
            return this;
        }

        /** Calls branch ops; required (dtm-client's OkHttpBranchInvoker over HTTP). */
        public Builder invoker(BranchInvoker value) {
            this.invoker = Objects.requireNonNull(value, "invoker");
            return this;
        }

        /** The time source; default the system clock in UTC. */
        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Runs background rounds and parallel branch calls; default an owned cached pool of daemon threads
         * named {@code dtm-worker-N}. A supplied executor is not shut down by {@link #close()}.
         */
        public Builder executor(ExecutorService value) {
            this.executor = Objects.requireNonNull(value, "executor");
            return this;
        }

        /** Base retry interval and recovery lease; default 10 s; whole seconds, positive. */
        public Builder retryInterval(Duration value) {
            this.retryInterval = positive("retryInterval", value);
            return this;
        }

        /** Timeout of prepared msg/tcc/xa/workflow transactions; default 35 s; whole seconds, positive. */
        public Builder timeoutToFail(Duration value) {
            this.timeoutToFail = positive("timeoutToFail", value);
            return this;
        }

        /** Timeout of each branch call; default 3 s; whole seconds, positive. */
        public Builder requestTimeout(Duration value) {
            this.requestTimeout = positive("requestTimeout", value);
            return this;
        }

        /** Due transactions claimed per recovery step; default 100; 1 to 10000. */
        public Builder recoveryBatch(int value) {
            if (value < 1 || value > 10_000) {
                throw new IllegalArgumentException("recoveryBatch must be 1 to 10000, got " + value);
            }
            this.recoveryBatch = value;
            return this;
        }

        /** A name for this node, written into leases; default a random token. */
        public Builder nodeId(String value) {
            this.nodeId = Objects.requireNonNull(value, "nodeId");
            return this;
        }

        /**
         * Hears rounds, branch calls, status changes and retries, e.g. to count them for metrics; default
         * {@link CoordinatorEvents#NONE}. Called on the engine's threads; what it throws is logged and ignored.
         */
        public Builder events(CoordinatorEvents value) {
            this.events = Objects.requireNonNull(value, "events");
            return this;
        }

        /** Builds the coordinator. */
        public Coordinator build() {
            if (store == null) {
                throw new IllegalStateException("Coordinator.builder(): store(...) is required");
            }
            if (invoker == null) {
                throw new IllegalStateException("Coordinator.builder(): invoker(...) is required");
            }
            return new Coordinator(this);
        }

        private static Duration positive(String name, Duration d) {
            Objects.requireNonNull(d, name);
            if (d.isZero() || d.isNegative() || d.getNano() != 0) {
                throw new IllegalArgumentException(name + " must be a positive whole number of seconds, got " + d);
            }
            return d;
        }
    }
}
