package io.dtm4j.store.redis;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.TransactionStoreContract;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * The store contract on a three-master Redis Cluster of its own ({@link LocalCluster}), each test under a
 * prefix of its own, so that every multi-key script of the store is proven to stay in one slot and the
 * cluster connection (slot table, script loading on every node) works.
 */
class RedisClusterIT extends TransactionStoreContract {
    private static LocalCluster cluster;

    @BeforeAll
    static void startCluster() throws Exception {
        cluster = LocalCluster.start();
    }

    @AfterAll
    static void stopCluster() throws Exception {
        if (cluster != null) {
            cluster.close();
        }
    }

    /** Redis keeps no index by status; see {@link RedisTransactionStore}. */
    @Override
    protected boolean countsByStatus() {
        return false;
    }

    @Override
    protected TransactionStore newStore() {
        return RedisTransactionStore.builder().cluster(cluster.nodes()).prefix(TestRedis.randomPrefix()).build();
    }
}
