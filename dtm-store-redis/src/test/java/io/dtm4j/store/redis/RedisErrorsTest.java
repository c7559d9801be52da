package io.dtm4j.store.redis;

import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.StoreUnavailableException;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.assertj.core.api.Assertions.assertThat;

class RedisErrorsTest {
    private final RedisErrors errors = new RedisErrors("redis://127.0.0.1:6390/0?prefix={a}", "127.0.0.1:6390",
            "s3cret", Duration.ofSeconds(3));

    @Test
    void anUnreachableRedisSaysWhatToCheck() {
        RuntimeException e = errors.translate("gid=g1: insert", new ExecutionException(
                new RedisConnectionException("Unable to connect to 127.0.0.1/<unresolved>:6390")));

        assertThat(e).isInstanceOf(StoreUnavailableException.class)
                .hasMessageStartingWith("gid=g1: insert: redis://127.0.0.1:6390/0?prefix={a}: cannot reach Redis")
                .hasMessageEndingWith("is Redis running at 127.0.0.1:6390?");
        assertThat(errors.translate("ping", new RedisException("Currently not connected. Commands are rejected.")))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("is Redis running at");
    }

    @Test
    void aSilentRedisNamesTheTimeout() {
        RuntimeException e = errors.translate("ping", new CompletionException(
                new RedisCommandTimeoutException("Command timed out after 3 second(s)")));

        assertThat(e).isInstanceOf(StoreUnavailableException.class).hasMessageContaining("no answer within 3000 ms");
    }

    @Test
    void refusedCredentialsSaySoWithoutThePassword() {
        RuntimeException e = errors.translate("ping", new RedisCommandExecutionException(
                "WRONGPASS invalid username-password pair or user is disabled. (tried s3cret)"));

        assertThat(e).isInstanceOf(StoreUnavailableException.class).hasMessageContaining("check the user and password")
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void otherRedisErrorsAreStoreFailures() {
        assertThat(errors.translate("ping", new RedisCommandExecutionException("LOADING Redis is loading")))
                .isInstanceOf(StoreUnavailableException.class).hasMessageContaining("LOADING");
    }

    @Test
    void dtmExceptionsPassThrough() {
        InvalidRequestException bad = new InvalidRequestException("bad");

        assertThat(errors.translate("x", new CompletionException(bad))).isSameAs(bad);
    }
}
