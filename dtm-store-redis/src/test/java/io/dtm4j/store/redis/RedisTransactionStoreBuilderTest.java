package io.dtm4j.store.redis;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The builder's rules; building does no I/O, so none of this needs a Redis. */
class RedisTransactionStoreBuilderTest {

    @Test
    void defaultsAreDtms() {
        assertThat(RedisTransactionStore.DEFAULT_PREFIX).isEqualTo("{a}");
        assertThat(RedisTransactionStore.DEFAULT_DATA_EXPIRE).isEqualTo(Duration.ofDays(7));
        assertThat(RedisTransactionStore.DEFAULT_FINISHED_DATA_EXPIRE).isEqualTo(Duration.ofDays(1));
        assertThat(RedisTransactionStore.DEFAULT_COMMAND_TIMEOUT).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void buildingConnectsToNothingAndDescribeNeverShowsThePassword() {
        try (RedisTransactionStore store = RedisTransactionStore.builder().standalone("127.0.0.1", 6390)
                .user("dtm").password("s3cret-pw").database(4).build()) {
            assertThat(store.describe()).isEqualTo("redis://127.0.0.1:6390/4?prefix={a}");
            assertThat(store.toString()).doesNotContain("s3cret-pw");
        }
        try (RedisTransactionStore store = RedisTransactionStore.builder()
                .sentinel("mymaster", List.of("s1:26379", "s2:26379")).prefix("{dtm}").build()) {
            assertThat(store.describe()).isEqualTo("redis-sentinel://s1:26379,s2:26379/0?master=mymaster&prefix={dtm}");
        }
        try (RedisTransactionStore store = RedisTransactionStore.builder().cluster(List.of("n1:7000", "n2:7001"))
                .build()) {
            assertThat(store.describe()).isEqualTo("redis-cluster://n1:7000,n2:7001?prefix={a}");
        }
    }

    @Test
    void aTopologyMustBeChosenExactlyOnce() {
        assertThatThrownBy(() -> RedisTransactionStore.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("standalone, sentinel or cluster");
        assertThatThrownBy(() -> RedisTransactionStore.builder().standalone("h", 1).cluster(List.of("h:2")))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("already set to standalone");
    }

    @Test
    void aClusterNeedsAHashTagPrefixAndDatabaseZero() {
        assertThatThrownBy(() -> RedisTransactionStore.builder().cluster(List.of("h:7000")).prefix("dtm").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("hash tag");
        assertThatThrownBy(() -> RedisTransactionStore.builder().cluster(List.of("h:7000")).prefix("x{}").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("hash tag");
        assertThatThrownBy(() -> RedisTransactionStore.builder().cluster(List.of("h:7000")).database(1).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("database 0");
    }

    @Test
    void settersRejectBadValuesAtOnce() {
        RedisStoreBuilder b = RedisTransactionStore.builder();

        assertThatThrownBy(() -> b.standalone("", 6379)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.standalone("h", 0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.sentinel(" ", List.of("h:1"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.cluster(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.cluster(List.of("nohost"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nohost");
        assertThatThrownBy(() -> b.database(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.prefix("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.prefix("a b")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.dataExpire(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("dataExpire");
        assertThatThrownBy(() -> b.finishedDataExpire(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("finishedDataExpire");
        assertThatThrownBy(() -> b.commandTimeout(Duration.ofNanos(10))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("commandTimeout");
        assertThatThrownBy(() -> b.password(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void closeIsIdempotentAndLaterCallsSayTheStoreIsClosed() {
        RedisTransactionStore store = RedisTransactionStore.builder().standalone("127.0.0.1", 6390).build();
        store.close();
        store.close();

        assertThatThrownBy(store::ping).isInstanceOf(io.dtm4j.core.StoreUnavailableException.class)
                .hasMessageContaining("closed").hasMessageContaining("redis://127.0.0.1:6390/0");
    }
}
