package io.dtm4j.server;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class StoreConfigTest {
    private static StoreConfig withPassword(String password) {
        return new StoreConfig("postgres", Path.of("unused"), "db", 5432, "dtm", password, "dtm", "public",
                StoreConfig.NOT_SET, StoreConfig.NOT_SET, Duration.ofMinutes(5), Duration.ofSeconds(5),
                Duration.ofDays(7), Duration.ofDays(1), "{a}", "", Duration.ofDays(7), Duration.ofSeconds(60));
    }

    @Test
    void redactHidesThePasswordWhereItStandsAloneOnly() {
        StoreConfig dtm = withPassword("dtm");
        assertThat(dtm.redact("this dtm4j knows versions up to 1; password dtm was refused (user=dtm:dtm@db)"))
                .isEqualTo("this dtm4j knows versions up to 1; password *** was refused (user=***:***@db)");
        StoreConfig special = withPassword("p$ss.w*rd\\1");
        assertThat(special.redact("auth failed for 'p$ss.w*rd\\1'")).isEqualTo("auth failed for '***'");
        assertThat(withPassword("ab").redact("ab cd")).as("too short to tell from other words").isEqualTo("ab cd");
        assertThat(dtm.redact(null)).isEmpty();
    }
}
