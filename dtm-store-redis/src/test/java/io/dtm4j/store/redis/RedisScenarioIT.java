package io.dtm4j.store.redis;

import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.ItEnvironment;
import io.dtm4j.core.testing.MsgScenarios;
import io.dtm4j.core.testing.RecoveryScenarios;
import io.dtm4j.core.testing.RedisProbe;
import io.dtm4j.core.testing.SagaScenarios;
import io.dtm4j.core.testing.TccXaScenarios;
import io.dtm4j.core.testing.WorkflowScenarios;
import org.junit.jupiter.api.Nested;

import java.util.UUID;

/**
 * The engine scenario suites of dtm-core's test-jar on Redis ({@code scripts/services-up.sh}). Each test gets a
 * key prefix of its own ({@code {scn-<suite>-<random>}}, a hash tag, so runs of several engineers on the shared
 * server never meet), whose keys are deleted after the test.
 */
class RedisScenarioIT {

    static String randomPrefix(String suite) {
        return "{scn-" + suite + "-" + UUID.randomUUID().toString().substring(0, 8) + "}";
    }

    static TransactionStore store(String prefix) {
        return RedisTransactionStore.builder().standalone(ItEnvironment.redisHost(), ItEnvironment.redisPort())
                .prefix(prefix).build();
    }

    static void deleteKeys(String prefix) {
        try (RedisProbe redis = RedisProbe.connect(ItEnvironment.redisHost(), ItEnvironment.redisPort())) {
            redis.deleteKeys(prefix + "*");
        }
    }

    @Nested
    class Saga extends SagaScenarios {
        private final String prefix = randomPrefix("saga");

        @Override
        protected TransactionStore newStore() {
            return store(prefix);
        }

        @Override
        protected void cleanUp() {
            deleteKeys(prefix);
        }
    }

    @Nested
    class Msg extends MsgScenarios {
        private final String prefix = randomPrefix("msg");

        @Override
        protected TransactionStore newStore() {
            return store(prefix);
        }

        @Override
        protected void cleanUp() {
            deleteKeys(prefix);
        }
    }

    @Nested
    class TccXa extends TccXaScenarios {
        private final String prefix = randomPrefix("tcc-xa");

        @Override
        protected TransactionStore newStore() {
            return store(prefix);
        }

        @Override
        protected void cleanUp() {
            deleteKeys(prefix);
        }
    }

    @Nested
    class Workflow extends WorkflowScenarios {
        private final String prefix = randomPrefix("workflow");

        @Override
        protected TransactionStore newStore() {
            return store(prefix);
        }

        @Override
        protected void cleanUp() {
            deleteKeys(prefix);
        }
    }

    @Nested
    class Recovery extends RecoveryScenarios {
        private final String prefix = randomPrefix("recovery");

        @Override
        protected TransactionStore newStore() {
            return store(prefix);
        }

        @Override
        protected void cleanUp() {
            deleteKeys(prefix);
        }
    }
}
