package io.dtm4j.client.barrier;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Key layout of the Redis barrier (the scripts run in RedisBarrierIT). */
class RedisBarrierTest {
    private final BranchBarrier barrier = BranchBarrier.fromQuery(Map.of("trans_type", "saga", "gid", "g1",
            "branch_id", "01", "op", "compensate"));

    @Test
    void hashTagFollowsRedisClusterRules() {
        assertThat(RedisBarrier.hashTag("{a}-account-1")).contains("a");
        assertThat(RedisBarrier.hashTag("account-{user1000}.following")).contains("user1000");
        assertThat(RedisBarrier.hashTag("foo{}{bar}")).as("empty first tag: the whole key is hashed").isEmpty();
        assertThat(RedisBarrier.hashTag("foo{{bar}}")).contains("{bar");
        assertThat(RedisBarrier.hashTag("account-1")).isEmpty();
        assertThat(RedisBarrier.hashTag("account-{1")).isEmpty();
    }

    @Test
    void barrierKeysAreDtmsAndTakeTheBusinessKeysTag() {
        assertThat(RedisBarrier.barrierKey("account-1", barrier, "compensate", "01")).isEqualTo("g1-01-compensate-01");
        assertThat(RedisBarrier.barrierKey("{a}-account-1", barrier, "action", "02"))
                .isEqualTo("{a}-g1-01-action-02");
    }
}
