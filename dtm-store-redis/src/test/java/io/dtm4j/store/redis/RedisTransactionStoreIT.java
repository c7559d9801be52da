package io.dtm4j.store.redis;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.ItEnvironment;
import io.dtm4j.core.testing.TransactionStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;

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

    @Override
    protected TransactionStore newStore() {
        prefix = TestRedis.randomPrefix();
        return RedisTransactionStore.builder().standalone(ItEnvironment.redisHost(), ItEnvironment.redisPort())
                .prefix(prefix).build();
    }

    @AfterEach
    void deleteKeys() {
        if (prefix != null) {
            redis.deleteKeys(prefix);
        }
    }
}
