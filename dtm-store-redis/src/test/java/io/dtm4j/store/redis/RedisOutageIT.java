package io.dtm4j.store.redis;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransOutcome;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.testing.EngineHarness;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What needs a Redis of its own ({@link PrivateRedis}): an outage (stop, restart), a paused server, a flushed
 * script cache, and the server-wide {@code INFO commandstats} counts of a happy saga.
 */
class RedisOutageIT {
    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    /** Generous upper bound on "fails within the command timeout": the timeout plus scheduling slack. */
    private static final Duration SLACK = Duration.ofSeconds(1);
    private static final Duration RECOVERY = Duration.ofSeconds(15);

    private static PrivateRedis redis;
    private static TestRedis admin;
    private RedisTransactionStore store;

    @BeforeAll
    static void startRedis() throws Exception {
        redis = PrivateRedis.start();
        admin = new TestRedis("127.0.0.1", redis.port());
    }

    @AfterAll
    static void stopRedis() throws Exception {
        if (admin != null) {
            admin.close();
        }
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void openStore() {
        store = storeWith(RedisTransactionStore.DEFAULT_COMMAND_TIMEOUT);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static RedisTransactionStore storeWith(Duration commandTimeout) {
        return RedisTransactionStore.builder().standalone("127.0.0.1", redis.port()).prefix(TestRedis.randomPrefix())
                .commandTimeout(commandTimeout).build();
    }

    private static GlobalTransaction saga(String gid) {
        return new GlobalTransaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "", "http", T0, T0,
                Optional.empty(), Optional.empty(), TransOptions.DEFAULT, "", Duration.ofSeconds(10),
                T0.plusSeconds(10), "", "", "", "");
    }

    @Test
    void aHappySagaRunsTwoEvalshaInRedis() {
        try (EngineHarness h = new EngineHarness(store)) {
            // the first saga opens the connection (SCRIPT LOAD of every script, no EVALSHA)
            h.coordinator.submit(EngineHarness.transferSaga("warmUp").options(EngineHarness.waitResult()).build());
            long before = admin.evalshaCalls();

            TransOutcome out = h.coordinator.submit(EngineHarness.transferSaga("aHappySagaRunsTwoEvalshaInRedis")
                    .options(EngineHarness.waitResult()).build());

            long evalsha = admin.evalshaCalls() - before;
            System.out.printf("Redis store: happy 2-branch saga with wait_result: %d EVALSHA%n", evalsha);
            assertThat(out.kind()).isEqualTo(TransOutcome.Kind.SUCCESS);
            assertThat(evalsha).isEqualTo(2);
        }
    }

    @Test
    void scriptsAreLoadedAgainAfterScriptFlush() {
        assertThat(store.insert(saga("scriptsAreLoadedAgainAfterScriptFlush"), List.of())).isTrue();
        admin.sync().scriptFlush();

        assertThat(store.update(TransactionUpdate.of("scriptsAreLoadedAgainAfterScriptFlush", GlobalStatus.SUBMITTED,
                T0.plusSeconds(1)).status(GlobalStatus.SUCCEED).build())).isTrue();
        assertThat(store.statusOf("scriptsAreLoadedAgainAfterScriptFlush")).contains(GlobalStatus.SUCCEED);
        assertThat(admin.sync().scriptExists(Script.UPDATE.sha())).containsExactly(true);
    }

    @Test
    void anOutageFailsCallsFastAndTheSameStoreWorksAfterARestart() throws Exception {
        String gid = "anOutageFailsCallsFastAndTheSameStoreWorksAfterARestart";
        assertThat(store.insert(saga(gid), List.of())).isTrue();
        long read;
        long write;
        long cold;
        redis.down();
        try (RedisTransactionStore builtWhileDown = storeWith(RedisTransactionStore.DEFAULT_COMMAND_TIMEOUT)) {
            read = failsFast(() -> store.findGlobal(gid));
            write = failsFast(() -> store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                    .status(GlobalStatus.SUCCEED).build()));
            cold = failsFast(builtWhileDown::ping);
        } finally {
            redis.up();
        }
        System.out.printf("Redis store outage: time to fail: read %d ms, script %d ms, first connect %d ms "
                + "(command timeout %d ms)%n", read, write, cold,
                RedisTransactionStore.DEFAULT_COMMAND_TIMEOUT.toMillis());

        awaitAnswer(store);
        assertThat(store.statusOf(gid)).as("kept by the AOF over the restart").contains(GlobalStatus.SUBMITTED);
        assertThat(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, T0.plusSeconds(1))
                .status(GlobalStatus.SUCCEED).build())).as("the script cache was empty after the restart").isTrue();
    }

    @Test
    void aPausedRedisFailsCallsAfterTheCommandTimeout() throws Exception {
        Duration timeout = Duration.ofMillis(500);
        try (RedisTransactionStore quick = storeWith(timeout)) {
            quick.ping();
            long took;
            redis.signal("STOP");
            try {
                long t0 = System.nanoTime();
                assertThatThrownBy(() -> quick.findGlobal("aPausedRedisFailsCallsAfterTheCommandTimeout"))
                        .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("no answer within 500 ms");
                took = (System.nanoTime() - t0) / 1_000_000;
            } finally {
                redis.signal("CONT");
            }
            System.out.printf("Redis store paused: time to fail %d ms (command timeout %d ms)%n", took,
                    timeout.toMillis());
            assertThat(took).isBetween(timeout.toMillis() - 50, timeout.plus(SLACK).toMillis());
            awaitAnswer(quick);
        }
    }

    @Test
    void aScriptInFlightWhenTheConnectionDropsIsNotRunAgainAfterTheReconnect() throws Exception {
        String gid = "aScriptInFlightWhenTheConnectionDropsIsNotRunAgainAfterTheReconnect";
        // a long timeout, so that a replay after the reconnect would still complete the call
        try (RedisTransactionStore patient = storeWith(Duration.ofSeconds(20))) {
            assertThat(patient.insert(saga(gid), List.of())).isTrue();
            admin.client("PAUSE", "10000", "WRITE");
            CompletableFuture<Boolean> update;
            try {
                update = CompletableFuture.supplyAsync(() -> patient.update(TransactionUpdate.of(gid,
                        GlobalStatus.SUBMITTED, T0.plusSeconds(1)).status(GlobalStatus.SUCCEED).build()));
                Thread.sleep(300); // Redis has read the EVALSHA and holds it while writes are paused
                admin.client("KILL", "TYPE", "normal", "SKIPME", "yes"); // closes the store's connection
            } finally {
                admin.client("UNPAUSE");
            }

            assertThatThrownBy(() -> update.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(
                    StoreUnavailableException.class);
            awaitAnswer(patient);
            assertThat(patient.statusOf(gid)).as("the dropped update was not replayed").contains(
                    GlobalStatus.SUBMITTED);
        }
    }

    /** Runs a call against the stopped Redis; returns how long it took to fail, asserting the message. */
    private long failsFast(Runnable call) {
        long t0 = System.nanoTime();
        assertThatThrownBy(call::run).isInstanceOf(StoreUnavailableException.class)
                .hasMessageContaining("is Redis running at 127.0.0.1:" + redis.port() + "?")
                .hasMessageContaining("redis://127.0.0.1:" + redis.port());
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isLessThan(RedisTransactionStore.DEFAULT_COMMAND_TIMEOUT.plus(SLACK).toMillis());
        return ms;
    }

    private static void awaitAnswer(RedisTransactionStore s) throws InterruptedException {
        long deadline = System.nanoTime() + RECOVERY.toNanos();
        while (true) {
            try {
                s.ping();
                return;
            } catch (StoreUnavailableException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the store did not answer within " + RECOVERY + " of the restart", e);
                }
                Thread.sleep(50);
            }
        }
    }
}
