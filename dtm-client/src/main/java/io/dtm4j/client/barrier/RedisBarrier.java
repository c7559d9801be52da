package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmDuplicatedException;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.api.sync.RedisScriptingCommands;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * The sub-transaction barrier for balances kept in Redis (DTM's {@code RedisCheckAdjustAmount} and
 * {@code RedisQueryPrepared}, {@code spec/clients-and-barrier.md} 10.6), over Lettuce. Each call is one
 * atomic Lua script, loaded once and then called by SHA ({@code EVALSHA}; reloaded after a {@code NOSCRIPT},
 * e.g. when Redis restarted).
 *
 * <pre>{@code
 * RedisBarrier redisBarrier = RedisBarrier.create(connection.sync());   // once, shared
 * ...
 * BranchBarrier barrier = BranchBarrier.fromQuery(query);                // per request
 * redisBarrier.checkAdjustAmount(barrier, "{a}-account-1", -30, Duration.ofDays(1));
 * }</pre>
 *
 * <p>Keys: the barrier keys are {@code gid-branch_id-op-barrier_id} as in DTM. When the business key has a
 * Redis Cluster hash tag ({@code {a}-account-1} has the tag {@code a}), the barrier keys get the same tag as
 * a prefix ({@code {a}-gid-01-action-01}) so that the script's keys share one slot; in a Cluster, give every
 * business key a tag. {@link #queryPrepared(BranchBarrier, String, Duration)} takes the business key for the
 * same reason. Barrier keys expire after the given time, which must outlast the transaction's retries
 * (DTM's examples use one to seven days).
 *
 * <p>Requires {@code io.lettuce:lettuce-core} on the class path (an optional dependency of dtm-client).
 * Thread-safe when the commands object is (Lettuce's are).
 */
public final class RedisBarrier {
    /** Answer of the scripts meaning "insufficient balance" (adjust) or "rolled back" (query prepared). */
    private static final String FAILURE = "FAILURE";
    private static final String DUPLICATE = "DUPLICATE";
    private static final String NULL_COMPENSATION = "NULL_COMPENSATION";
    private static final String EXECUTED = "EXECUTED";
    private static final String SUCCESS = "SUCCESS";

    /**
     * KEYS: business key, key of this op, key of the origin op. ARGV: amount, origin op ('' when none),
     * expiry in seconds, op. Decision order of DTM: balance first, then duplicate, then null compensation.
     */
    private static final String ADJUST_SCRIPT = String.join("\n",
            "local v = redis.call('GET', KEYS[1])",
            "if v == false then return 'FAILURE' end",
            "local balance = tonumber(v)",
            "if balance == nil then return redis.error_reply('ERR barrier: ' .. KEYS[1] .. ' is not a number') end",
            "if balance + tonumber(ARGV[1]) < 0 then return 'FAILURE' end",
            "if redis.call('EXISTS', KEYS[2]) == 1 then return 'DUPLICATE' end",
            "redis.call('SET', KEYS[2], ARGV[4], 'EX', ARGV[3])",
            "if ARGV[2] ~= '' and redis.call('EXISTS', KEYS[3]) == 0 then",
            "  redis.call('SET', KEYS[3], 'rollback', 'EX', ARGV[3])",
            "  return 'NULL_COMPENSATION'",
            "end",
            "redis.call('INCRBY', KEYS[1], ARGV[1])",
            "return 'EXECUTED'");

    /** KEYS: the msg barrier key. ARGV: expiry in seconds. */
    private static final String QUERY_PREPARED_SCRIPT = String.join("\n",
            "local v = redis.call('GET', KEYS[1])",
            "if v == false then",
            "  redis.call('SET', KEYS[1], 'rollback', 'EX', ARGV[1])",
            "  return 'FAILURE'",
            "end",
            "if v == 'rollback' then return 'FAILURE' end",
            "return 'SUCCESS'");

    private final RedisScriptingCommands<String, String> redis;
    private final String adjustSha;
    private final String queryPreparedSha;

    private RedisBarrier(RedisScriptingCommands<String, String> redis) {
        this.redis = redis;
        this.adjustSha = redis.digest(ADJUST_SCRIPT);
        this.queryPreparedSha = redis.digest(QUERY_PREPARED_SCRIPT);
    }

    /**
     * Returns a barrier over synchronous Lettuce commands: {@code connection.sync()} of a standalone,
     * Sentinel-backed or Cluster connection with String keys and values. No I/O happens here.
     */
    public static RedisBarrier create(RedisScriptingCommands<String, String> commands) {
        return new RedisBarrier(Objects.requireNonNull(commands, "commands"));
    }

    /**
     * Adds {@code amount} (negative to take) to the integer at {@code key} behind the barrier of
     * {@code barrier}'s request, atomically, in this order: the key is missing or the result would be below
     * zero → FAILURE; this op already ran for this barrier id → duplicate; a compensation (cancel,
     * compensate) whose forward op never ran → null compensation, amount not applied; otherwise the amount
     * is applied. Consumes one barrier id of {@code barrier}, like {@link BranchBarrier#call}.
     *
     * @param expire how long the barrier keys live; whole seconds, at least 1 s
     * @return {@link BarrierOutcome#EXECUTED} when the amount was applied, otherwise why it was not
     * @throws DtmFailureException    the key is missing or the balance would go negative (answer 409)
     * @throws DtmDuplicatedException for op {@code msg} when the back-check already marked it rolled back
     * @throws io.lettuce.core.RedisException when Redis fails or does not answer (answer an error)
     */
    public BarrierOutcome checkAdjustAmount(BranchBarrier barrier, String key, long amount, Duration expire) {
        Objects.requireNonNull(barrier, "barrier");
        Objects.requireNonNull(key, "key");
        long seconds = seconds(expire);
        String bid = barrier.nextBarrierId();
        BranchOp op = barrier.op();
        // Unlike the SQL barrier, DTM's Redis variant maps only cancel and compensate.
        String origin = op == BranchOp.CANCEL || op == BranchOp.COMPENSATE
                ? BranchBarrier.originOp(op).map(BranchOp::wireName).orElse("") : "";
        String[] keys = {key, barrierKey(key, barrier, op.wireName(), bid),
                barrierKey(key, barrier, origin.isEmpty() ? op.wireName() : origin, bid)};
        String answer = run(adjustSha, ADJUST_SCRIPT, keys, Long.toString(amount), origin, Long.toString(seconds),
                op.wireName());
        return switch (answer) {
            case EXECUTED -> BarrierOutcome.EXECUTED;
            case NULL_COMPENSATION -> BarrierOutcome.NULL_COMPENSATION;
            case DUPLICATE -> {
                if (op == BranchOp.MSG) {
                    throw new DtmDuplicatedException(barrier + " barrier=" + bid + ": the back-check already marked "
                            + "this message rolled back; the amount was not applied");
                }
                yield BarrierOutcome.DUPLICATE_OR_HANGING;
            }
            case FAILURE -> throw new DtmFailureException(barrier + " barrier=" + bid + ": key " + key
                    + " is missing or adding " + amount + " would make it negative");
            default -> throw new IllegalStateException(barrier + ": unexpected answer '" + answer
                    + "' from the barrier script");
        };
    }

    /**
     * Answers a msg back-check for barrier keys without a hash tag: see
     * {@link #queryPrepared(BranchBarrier, String, Duration)}.
     */
    public BranchResult queryPrepared(BranchBarrier barrier, Duration expire) {
        return queryPrepared(barrier, "", expire);
    }

    /**
     * Answers a msg back-check (DTM's {@code RedisQueryPrepared}): if the msg barrier key
     * {@code gid-00-msg-01} is missing, sets it to {@code rollback} (so a late local transaction is refused)
     * and reports FAILURE; {@code rollback} reports FAILURE; anything else SUCCESS.
     *
     * @param businessKey the key the message's local transaction adjusted; only its hash tag is used
     * @param expire      how long the marker lives; whole seconds, at least 1 s
     * @return {@link BranchResult#SUCCESS} (answer 200) or {@link BranchResult#FAILURE} (answer 409)
     * @throws io.lettuce.core.RedisException when Redis fails or does not answer (answer an error)
     */
    public BranchResult queryPrepared(BranchBarrier barrier, String businessKey, Duration expire) {
        Objects.requireNonNull(barrier, "barrier");
        Objects.requireNonNull(businessKey, "businessKey");
        String key = hashTagPrefix(businessKey) + String.join("-", barrier.gid(), BranchBarrier.MSG_BRANCH_ID,
                BranchOp.MSG.wireName(), BranchBarrier.MSG_BARRIER_ID);
        String answer = run(queryPreparedSha, QUERY_PREPARED_SCRIPT, new String[] {key},
                Long.toString(seconds(expire)));
        return SUCCESS.equals(answer) ? BranchResult.SUCCESS : BranchResult.FAILURE;
    }

    /** The barrier key of one op: {@code [{tag}-]gid-branch-op-bid}. */
    static String barrierKey(String businessKey, BranchBarrier barrier, String op, String barrierId) {
        return hashTagPrefix(businessKey) + String.join("-", barrier.gid(), barrier.branchId(), op, barrierId);
    }

    /** {@code "{tag}-"} when the key has a Redis Cluster hash tag, else empty. */
    static String hashTagPrefix(String key) {
        return hashTag(key).map(t -> "{" + t + "}-").orElse("");
    }

    /** The hash tag of a key by Redis Cluster's rule: between the first '{' and the next '}', if not empty. */
    static Optional<String> hashTag(String key) {
        int open = key.indexOf('{');
        if (open < 0) {
            return Optional.empty();
        }
        int close = key.indexOf('}', open + 1);
        if (close <= open + 1) {
            return Optional.empty();
        }
        return Optional.of(key.substring(open + 1, close));
    }

    private String run(String sha, String script, String[] keys, String... args) {
        try {
            return redis.evalsha(sha, ScriptOutputType.VALUE, keys, args);
        } catch (RedisNoScriptException e) {
            // First use, or Redis lost its script cache (restart, failover, SCRIPT FLUSH).
            redis.scriptLoad(script);
            return redis.evalsha(sha, ScriptOutputType.VALUE, keys, args);
        }
    }

    private static long seconds(Duration expire) {
        Objects.requireNonNull(expire, "expire");
        if (expire.getSeconds() < 1 || expire.getNano() != 0) {
            throw new IllegalArgumentException("expire must be whole seconds, at least 1 s, got " + expire);
        }
        return expire.getSeconds();
    }

    @Override
    public String toString() {
        return "RedisBarrier[" + adjustSha.substring(0, 8) + "]";
    }
}
