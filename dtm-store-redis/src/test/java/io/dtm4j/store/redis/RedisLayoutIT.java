package io.dtm4j.store.redis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.testing.ItEnvironment;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Redis-specific rules on the shared test Redis, each test under a prefix of its own: DTM's key layout and
 * TTLs, reading what DTM writes, two stores claiming at once, index clean-up, and an unreachable address.
 */
class RedisLayoutIT {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");
    private static final long DAY_MS = Duration.ofDays(1).toMillis();
    private static final long SLACK_MS = 60_000;

    private static TestRedis redis;
    private String prefix;
    private RedisTransactionStore store;

    @BeforeAll
    static void connect() {
        redis = TestRedis.shared();
    }

    @AfterAll
    static void disconnect() {
        if (redis != null) {
            redis.close();
        }
    }

    @BeforeEach
    void openStore() {
        prefix = TestRedis.randomPrefix();
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
        redis.deleteKeys(prefix);
    }

    private RedisTransactionStore newStore() {
        return RedisTransactionStore.builder().standalone(ItEnvironment.redisHost(), ItEnvironment.redisPort())
                .prefix(prefix).build();
    }

    private static GlobalTransaction saga(String gid, GlobalStatus status, Instant nextCron) {
        return new GlobalTransaction(0, gid, TransType.SAGA, status, "", "http", T0, T0, Optional.empty(),
                Optional.empty(), TransOptions.DEFAULT, "", Duration.ofSeconds(10), nextCron, "", "", "", "");
    }

    private static List<Branch> rows(String gid) {
        return List.of(Branch.prepared(gid, "01", BranchOp.COMPENSATE, "http://busi/c", "c".getBytes(UTF_8), T0),
                Branch.prepared(gid, "01", BranchOp.ACTION, "http://busi/a", "{\"amount\":30}".getBytes(UTF_8), T0));
    }

    @Test
    void theKeysTypesAndTtlsAreDtms() throws Exception {
        String gid = "layout";
        store.insert(saga(gid, GlobalStatus.SUBMITTED, T0.plusMillis(10_250)), rows(gid));
        String g = prefix + "_g_" + gid;
        String b = prefix + "_b_" + gid;
        String s = prefix + "_s_" + gid;
        String u = prefix + "_u";

        assertThat(redis.sync().type(g)).isEqualTo("string");
        assertThat(redis.sync().type(b)).isEqualTo("list");
        assertThat(redis.sync().type(s)).isEqualTo("string");
        assertThat(redis.sync().type(u)).isEqualTo("zset");
        assertThat(redis.sync().get(s)).isEqualTo("submitted");
        assertThat(redis.sync().zscore(u, gid)).isEqualTo(T0.getEpochSecond() + 10.25);
        for (String key : List.of(g, b, s)) {
            assertThat(redis.sync().pttl(key)).as(key).isBetween(7 * DAY_MS - SLACK_MS, 7 * DAY_MS);
        }
        assertThat(redis.sync().pttl(u)).isEqualTo(-1);
        JsonNode global = MAPPER.readTree(redis.sync().get(g));
        assertThat(global.get("gid").asText()).isEqualTo(gid);
        assertThat(global.get("trans_type").asText()).isEqualTo("saga");
        assertThat(global.get("status").asText()).isEqualTo("submitted");
        assertThat(global.get("options").asText()).isEqualTo("{\"concurrent\":false}");
        assertThat(global.get("next_cron_time").asText()).isEqualTo("2024-05-01T10:00:10.250Z");
        List<String> branchJson = redis.sync().lrange(b, 0, -1);
        JsonNode action = MAPPER.readTree(branchJson.get(1));
        assertThat(action.get("branch_id").asText()).isEqualTo("01");
        assertThat(action.get("op").asText()).isEqualTo("action");
        assertThat(Base64.getDecoder().decode(action.get("bin_data").asText())).isEqualTo("{\"amount\":30}"
                .getBytes(UTF_8));

        store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, T0.plusSeconds(1)).status(GlobalStatus.SUCCEED)
                .branches(List.of(new BranchUpdate("01", BranchOp.ACTION, BranchStatus.SUCCEED))).build());

        assertThat(redis.sync().get(s)).isEqualTo("succeed");
        assertThat(redis.sync().zscore(u, gid)).as("finished: out of P_u").isNull();
        for (String key : List.of(g, b, s)) {
            assertThat(redis.sync().pttl(key)).as(key).isBetween(DAY_MS - SLACK_MS, DAY_MS);
        }
        JsonNode done = MAPPER.readTree(redis.sync().get(g));
        assertThat(done.get("finish_time").asText()).isEqualTo("2024-05-01T10:00:01Z");
        assertThat(MAPPER.readTree(redis.sync().lindex(b, 1)).get("status").asText()).isEqualTo("succeed");
    }

    @Test
    void whatDtmWroteIsReadUpdatedAndClaimedWithItsOwnFieldsKept() throws Exception {
        String gid = "fromDtm";
        String json = "{\"id\":0,\"create_time\":\"2024-05-01T18:00:00+08:00\",\"update_time\":"
                + "\"2024-05-01T18:00:00+08:00\",\"gid\":\"fromDtm\",\"trans_type\":\"saga\",\"steps\":[{\"action\":"
                + "\"http://busi/a\"}],\"payloads\":[\"{}\"],\"status\":\"submitted\",\"protocol\":\"http\","
                + "\"options\":\"{\\\"concurrent\\\":false}\",\"next_cron_interval\":10,\"next_cron_time\":"
                + "\"2024-05-01T18:00:10+08:00\",\"concurrent\":false}";
        redis.sync().set(prefix + "_g_" + gid, json);
        redis.sync().set(prefix + "_s_" + gid, "submitted");
        redis.sync().zadd(prefix + "_u", T0.getEpochSecond() + 10, gid);

        assertThat(store.findGlobal(gid).orElseThrow().nextCronTime()).isEqualTo(T0.plusSeconds(10));
        assertThat(store.claimDue(T0.plusSeconds(10), Duration.ofSeconds(10), "node-1", 10)).hasSize(1);
        assertThat(store.update(TransactionUpdate.of(gid, GlobalStatus.SUBMITTED, T0.plusSeconds(11))
                .status(GlobalStatus.SUCCEED).build())).isTrue();

        JsonNode after = MAPPER.readTree(redis.sync().get(prefix + "_g_" + gid));
        assertThat(after.get("steps").get(0).get("action").asText()).isEqualTo("http://busi/a");
        assertThat(after.get("owner").asText()).isEqualTo("node-1");
        assertThat(after.get("status").asText()).isEqualTo("succeed");
    }

    @Test
    void twoStoresClaimingAtOnceNeverClaimTheSameTransaction() throws Exception {
        int count = 200;
        for (int i = 0; i < count; i++) {
            store.insert(saga("t" + i, GlobalStatus.SUBMITTED, T0.minusMillis(i)), List.of());
        }
        try (RedisTransactionStore other = newStore()) {
            List<RedisTransactionStore> stores = List.of(store, other);
            int threads = 8;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<List<String>>> claims = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    RedisTransactionStore s = stores.get(t % 2);
                    String owner = "node-" + t;
                    Callable<List<String>> claimUntilEmpty = () -> {
                        start.await();
                        List<String> mine = new ArrayList<>();
                        List<GlobalTransaction> got;
                        while (!(got = s.claimDue(T0, Duration.ofSeconds(30), owner, 3)).isEmpty()) {
                            got.forEach(g -> mine.add(g.gid()));
                        }
                        return mine;
                    };
                    claims.add(pool.submit(claimUntilEmpty));
                }
                start.countDown();
                List<String> all = new ArrayList<>();
                for (Future<List<String>> f : claims) {
                    all.addAll(f.get(30, TimeUnit.SECONDS));
                }
                assertThat(all).doesNotHaveDuplicates().hasSize(count);
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void indexEntriesOfExpiredTransactionsAreDropped() {
        store.insert(saga("expiredRunning", GlobalStatus.SUBMITTED, T0), List.of());
        store.insert(saga("finishedLongAgo", GlobalStatus.SUBMITTED, T0), List.of());
        store.update(TransactionUpdate.of("finishedLongAgo", GlobalStatus.SUBMITTED, T0.minus(Duration.ofDays(2)))
                .status(GlobalStatus.SUCCEED).build());
        // as if their TTLs had run out
        redis.sync().del(prefix + "_g_expiredRunning", prefix + "_s_expiredRunning", prefix + "_g_finishedLongAgo",
                prefix + "_s_finishedLongAgo");
        store.insert(saga("finishingNow", GlobalStatus.SUBMITTED, T0), List.of());

        assertThat(store.claimDue(T0, Duration.ofSeconds(10), "n", 10)).extracting(GlobalTransaction::gid)
                .containsExactly("finishingNow");
        store.update(TransactionUpdate.of("finishingNow", GlobalStatus.SUBMITTED, T0).status(GlobalStatus.SUCCEED)
                .build());

        assertThat(redis.sync().zrange(prefix + "_u", 0, -1)).isEmpty();
        assertThat(redis.sync().zrange(prefix + "_done", 0, -1)).containsExactly("finishingNow");
        assertThat(redis.sync().zrange(prefix + "_all", 0, -1)).containsExactly("finishingNow");
        assertThat(store.list(ListQuery.firstPage()).transactions()).extracting(GlobalTransaction::gid)
                .containsExactly("finishingNow");
    }

    @Test
    void anUnreachableAddressFailsFastSayingWhatToCheck() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        try (RedisTransactionStore nowhere = RedisTransactionStore.builder().standalone("127.0.0.1", port)
                .password("s3cret-pw").build()) {
            long t0 = System.nanoTime();
            assertThatThrownBy(nowhere::ping).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("is Redis running at 127.0.0.1:" + port + "?")
                    .hasMessageNotContaining("s3cret-pw");
            assertThatThrownBy(() -> nowhere.findGlobal("g")).isInstanceOf(StoreUnavailableException.class)
                    .hasMessageStartingWith("gid=g: find: redis://127.0.0.1:" + port + "/0");
            assertThat(Duration.ofNanos(System.nanoTime() - t0))
                    .isLessThan(RedisTransactionStore.DEFAULT_COMMAND_TIMEOUT);
        }
    }
}
