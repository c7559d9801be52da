package io.dtm4j.store.redis;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.ItEnvironment;
import io.dtm4j.core.testing.TransactionStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The store contract on the real Redis of {@code scripts/services-up.sh} ({@link ItEnvironment}), each test
 * under a prefix of its own ({@code {t<random>}}), deleted afterwards.
 */
class RedisTransactionStoreIT extends TransactionStoreContract {
    private static TestRedis redis;
    private String prefix;

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

    /** Redis keeps no index by status; see {@link RedisTransactionStore}. */
    @Override
    protected boolean countsByStatus() {
        return false;
    }

    @Override
    protected TransactionStore newStore() {
        prefix = TestRedis.randomPrefix();
        return RedisTransactionStore.builder().standalone(ItEnvironment.redisHost(), ItEnvironment.redisPort())
                .prefix(prefix).build();
    }

    /** Pages walk several index batches of 100 entries where the prefix matches few gids. */
    @Test
    void aGidPrefixPagesAcrossIndexBatchesOfOtherGids() {
        List<String> expected = new ArrayList<>();
        for (int i = 0; i < 330; i++) {
            boolean wanted = i % 80 == 7;
            String gid = gid((wanted ? "want_" : "other_") + i);
            store.insert(saga(gid, GlobalStatus.SUBMITTED), List.of());
            if (wanted) {
                expected.add(0, gid);
            }
        }

        for (int limit = 1; limit <= 5; limit++) {
            List<String> seen = new ArrayList<>();
            String position = "";
            do {
                TransactionPage page = store.list(new ListQuery(position, limit, Optional.empty(), Optional.empty(),
                        Optional.empty(), Optional.empty(), Optional.of(gid("want_"))));
                page.transactions().forEach(g -> seen.add(g.gid()));
                position = page.nextPosition();
            } while (!position.isEmpty());
            assertThat(seen).as("limit %d", limit).isEqualTo(expected);
        }
    }

    @AfterEach
    void deleteKeys() {
        if (prefix != null) {
            redis.deleteKeys(prefix);
        }
    }
}
