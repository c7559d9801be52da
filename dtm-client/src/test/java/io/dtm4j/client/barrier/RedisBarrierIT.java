package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmDuplicatedException;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import io.dtm4j.core.testing.ItEnvironment;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.lettuce.core.api.sync.RedisScriptingCommands;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The Redis barrier's scripts against the test Redis: the anomalies, the decision order, the back-check. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RedisBarrierIT {
    private static final Duration EXPIRE = Duration.ofDays(1);
    private static final String TAG = "{it-barrier}";

    private RedisClient client;
    private StatefulRedisConnection<String, String> connection;
    private RedisCommands<String, String> redis;
    private RedisBarrier barrier;
    private String gid;
    private String account;

    @BeforeAll
    void connect() {
        client = RedisClient.create(RedisURI.create(ItEnvironment.redisHost(), ItEnvironment.redisPort()));
        connection = client.connect();
        redis = connection.sync();
        List<String> stale = redis.keys(TAG + "*");
        if (!stale.isEmpty()) {
            redis.del(stale.toArray(String[]::new));
        }
        barrier = RedisBarrier.create(redis);
    }

    @AfterAll
    void disconnect() {
        if (connection != null) {
            connection.close();
            client.shutdown();
        }
    }

    @BeforeEach
    void name(TestInfo info) {
        String method = info.getTestMethod().orElseThrow().getName();
        String display = info.getDisplayName();
        gid = "redis-" + method + (display.startsWith(method) ? "" : "-" + display.replaceAll("\\W+", ""));
        account = TAG + "-account-" + gid;
        redis.set(account, "100");
    }

    private BranchBarrier branch(String type, String op) {
        return BranchBarrier.fromQuery(Map.of("trans_type", type, "gid", gid, "branch_id", "01", "op", op));
    }

    private long balance() {
        return Long.parseLong(redis.get(account));
    }

    @ParameterizedTest(name = "{0}: {1} twice, then {2} twice")
    @CsvSource({"saga,action,compensate", "tcc,try,cancel"})
    void repeatedRequestsApplyOnce(String type, String forward, String backward) {
        assertThat(barrier.checkAdjustAmount(branch(type, forward), account, -30, EXPIRE))
                .isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(barrier.checkAdjustAmount(branch(type, forward), account, -30, EXPIRE))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);
        assertThat(balance()).isEqualTo(70);
        assertThat(barrier.checkAdjustAmount(branch(type, backward), account, 30, EXPIRE))
                .isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(barrier.checkAdjustAmount(branch(type, backward), account, 30, EXPIRE))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);

        assertThat(balance()).isEqualTo(100);
    }

    @ParameterizedTest(name = "{0}: {2} before {1}")
    @CsvSource({"saga,action,compensate", "tcc,try,cancel"})
    void compensationFirstIsNullAndTheLateForwardOpHangs(String type, String forward, String backward) {
        assertThat(barrier.checkAdjustAmount(branch(type, backward), account, 30, EXPIRE))
                .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
        assertThat(barrier.checkAdjustAmount(branch(type, backward), account, 30, EXPIRE))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);
        assertThat(barrier.checkAdjustAmount(branch(type, forward), account, -30, EXPIRE))
                .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);

        assertThat(balance()).isEqualTo(100);
        assertThat(redis.get(TAG + "-" + gid + "-01-" + forward + "-01")).isEqualTo("rollback");
        assertThat(redis.ttl(TAG + "-" + gid + "-01-" + backward + "-01")).isBetween(1L, EXPIRE.toSeconds());
    }

    @Test
    void insufficientBalanceIsFailureAndLeavesTheCompensationNull() {
        assertThatThrownBy(() -> barrier.checkAdjustAmount(branch("saga", "action"), account, -130, EXPIRE))
                .isInstanceOf(DtmFailureException.class)
                .hasMessageContaining("gid=" + gid)
                .hasMessageContaining("negative");

        assertThat(barrier.checkAdjustAmount(branch("saga", "compensate"), account, 130, EXPIRE))
                .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
        assertThat(balance()).isEqualTo(100);
    }

    @Test
    void aMissingKeyIsFailure() {
        assertThatThrownBy(() -> barrier.checkAdjustAmount(branch("saga", "action"), account + "-none", 5, EXPIRE))
                .isInstanceOf(DtmFailureException.class).hasMessageContaining("missing");
    }

    @Test
    void theBalanceCheckComesBeforeTheDuplicateCheckAsInDtm() {
        barrier.checkAdjustAmount(branch("saga", "action"), account, -80, EXPIRE);

        assertThatThrownBy(() -> barrier.checkAdjustAmount(branch("saga", "action"), account, -80, EXPIRE))
                .as("a repeated request that no longer fits answers FAILURE, not duplicate")
                .isInstanceOf(DtmFailureException.class);
        assertThat(balance()).isEqualTo(20);
    }

    @Test
    void twoCallsOnOneBarrierUseBarrierIdsOneAndTwo() {
        BranchBarrier action = branch("saga", "action");
        barrier.checkAdjustAmount(action, account, -10, EXPIRE);
        barrier.checkAdjustAmount(action, account, -10, EXPIRE);
        BranchBarrier compensate = branch("saga", "compensate");

        assertThat(List.of(barrier.checkAdjustAmount(compensate, account, 10, EXPIRE),
                barrier.checkAdjustAmount(compensate, account, 10, EXPIRE)))
                .containsExactly(BarrierOutcome.EXECUTED, BarrierOutcome.EXECUTED);
        assertThat(redis.exists(TAG + "-" + gid + "-01-action-02")).isEqualTo(1);
        assertThat(balance()).isEqualTo(100);
    }

    @Test
    void msgDuplicateAndBackCheck() {
        BranchBarrier msg = BranchBarrier.builder().transType(TransType.MSG).gid(gid).branchId("00")
                .op(BranchOp.MSG).build();
        assertThat(barrier.checkAdjustAmount(msg, account, -30, EXPIRE)).isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(barrier.queryPrepared(branch("msg", "msg"), account, EXPIRE)).isEqualTo(BranchResult.SUCCESS);

        BranchBarrier again = BranchBarrier.builder().transType(TransType.MSG).gid(gid).branchId("00")
                .op(BranchOp.MSG).build();
        assertThatThrownBy(() -> barrier.checkAdjustAmount(again, account, -30, EXPIRE))
                .isInstanceOf(DtmDuplicatedException.class);
        assertThat(balance()).isEqualTo(70);
    }

    @Test
    void backCheckBeforeTheLocalWorkRefusesIt() {
        assertThat(barrier.queryPrepared(branch("msg", "msg"), account, EXPIRE)).isEqualTo(BranchResult.FAILURE);
        assertThat(redis.get(TAG + "-" + gid + "-00-msg-01")).isEqualTo("rollback");
        assertThat(barrier.queryPrepared(branch("msg", "msg"), account, EXPIRE)).isEqualTo(BranchResult.FAILURE);

        BranchBarrier late = BranchBarrier.builder().transType(TransType.MSG).gid(gid).branchId("00")
                .op(BranchOp.MSG).build();
        assertThatThrownBy(() -> barrier.checkAdjustAmount(late, account, -30, EXPIRE))
                .isInstanceOf(DtmDuplicatedException.class);
        assertThat(balance()).isEqualTo(100);
    }

    @Test
    void untaggedKeysAreDtmsLayout() {
        String plain = "it-barrier-plain-" + gid;
        redis.set(plain, "5");
        try {
            barrier.checkAdjustAmount(branch("saga", "action"), plain, -5, EXPIRE);
            assertThat(redis.exists(gid + "-01-action-01")).isEqualTo(1);
            assertThat(barrier.queryPrepared(branch("msg", "msg"), EXPIRE)).isEqualTo(BranchResult.FAILURE);
            assertThat(redis.get(gid + "-00-msg-01")).isEqualTo("rollback");
        } finally {
            redis.del(plain, gid + "-01-action-01", gid + "-00-msg-01");
        }
    }

    @Test
    void aScriptMissingFromRedisIsLoadedAndCalledAgain() {
        AtomicInteger loads = new AtomicInteger();
        RedisBarrier reloading = RedisBarrier.create(forgetful(loads));

        assertThat(reloading.checkAdjustAmount(branch("saga", "action"), account, -1, EXPIRE))
                .isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(reloading.checkAdjustAmount(branch("saga", "compensate"), account, 1, EXPIRE))
                .isEqualTo(BarrierOutcome.EXECUTED);
        assertThat(reloading.queryPrepared(branch("msg", "msg"), account, EXPIRE)).isEqualTo(BranchResult.FAILURE);
        assertThat(loads).as("each script loaded once").hasValue(2);
        assertThat(balance()).isEqualTo(100);
    }

    /**
     * The test Redis seen as one that lost its script cache (without SCRIPT FLUSH, which would disturb other
     * suites): EVALSHA answers NOSCRIPT until the script was loaded through this object.
     */
    @SuppressWarnings("unchecked")
    private RedisScriptingCommands<String, String> forgetful(AtomicInteger loads) {
        Set<String> loaded = ConcurrentHashMap.newKeySet();
        return (RedisScriptingCommands<String, String>) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {RedisScriptingCommands.class}, (p, m, args) -> {
                    if (m.getName().equals("evalsha") && !loaded.contains((String) args[0])) {
                        throw new RedisNoScriptException("NOSCRIPT No matching script. Please use EVAL.");
                    }
                    try {
                        Object result = m.invoke(redis, args);
                        if (m.getName().equals("scriptLoad")) {
                            loads.incrementAndGet();
                            loaded.add((String) result);
                        }
                        return result;
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    @Test
    void aKeyThatIsNotANumberIsAnError() {
        redis.set(account, "lots");

        assertThatThrownBy(() -> barrier.checkAdjustAmount(branch("saga", "action"), account, -1, EXPIRE))
                .isInstanceOf(RedisException.class).hasMessageContaining("not a number");
    }

    @Test
    void expireMustBeWholePositiveSeconds() {
        assertThatThrownBy(() -> barrier.checkAdjustAmount(branch("saga", "action"), account, -1, Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> barrier.queryPrepared(branch("msg", "msg"), Duration.ofMillis(1500)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void concurrentTryAndCancelHaveExactlyOneWinner() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            for (int round = 0; round < 20; round++) {
                String roundGid = gid + "-" + round;
                CountDownLatch start = new CountDownLatch(1);
                List<CompletableFuture<BarrierOutcome>> tries = new ArrayList<>();
                List<CompletableFuture<BarrierOutcome>> cancels = new ArrayList<>();
                for (int i = 0; i < 4; i++) {
                    tries.add(CompletableFuture.supplyAsync(() -> race(start, roundGid, "try", -10), pool));
                    cancels.add(CompletableFuture.supplyAsync(() -> race(start, roundGid, "cancel", 10), pool));
                }
                start.countDown();
                List<BarrierOutcome> t = tries.stream().map(f -> f.orTimeout(10, TimeUnit.SECONDS).join()).toList();
                List<BarrierOutcome> c = cancels.stream().map(f -> f.orTimeout(10, TimeUnit.SECONDS).join()).toList();

                long tryRan = t.stream().filter(o -> o == BarrierOutcome.EXECUTED).count();
                long cancelRan = c.stream().filter(o -> o == BarrierOutcome.EXECUTED).count();
                long nullCancel = c.stream().filter(o -> o == BarrierOutcome.NULL_COMPENSATION).count();
                assertThat(tryRan).isLessThanOrEqualTo(1);
                assertThat(cancelRan + nullCancel).isEqualTo(1);
                assertThat(cancelRan).isEqualTo(tryRan);
                assertThat(balance()).isEqualTo(100);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private BarrierOutcome race(CountDownLatch start, String roundGid, String op, long amount) {
        try {
            start.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        BranchBarrier b = BranchBarrier.fromQuery(Map.of("trans_type", "tcc", "gid", roundGid, "branch_id", "01",
                "op", op));
        return barrier.checkAdjustAmount(b, account, amount, EXPIRE);
    }
}
