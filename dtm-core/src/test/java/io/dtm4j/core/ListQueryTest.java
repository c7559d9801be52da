package io.dtm4j.core;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ListQueryTest {

    private static final Instant T0 = Instant.parse("2024-05-01T10:00:00Z");

    @Test
    void theSixArgumentConstructorHasNoGidPrefix() {
        ListQuery q = new ListQuery("", 10, Optional.empty(), Optional.empty(), Optional.empty(), Optional.empty());

        assertThat(q.gidPrefix()).isEmpty();
        assertThat(q.matches(saga("anything"))).isTrue();
        assertThat(ListQuery.firstPage().gidPrefix()).isEmpty();
    }

    @Test
    void aGidPrefixMatchesTheStartOfTheGidCaseSensitively() {
        ListQuery q = ListQuery.firstPage().withGidPrefix("order_");

        assertThat(q.matches(saga("order_1"))).isTrue();
        assertThat(q.matches(saga("order_"))).isTrue();
        assertThat(q.matches(saga("orderX1"))).as("'_' is literal").isFalse();
        assertThat(q.matches(saga("ORDER_1"))).isFalse();
        assertThat(q.matches(saga("x-order_1"))).isFalse();
        assertThat(q.matchesGid("order_2")).isTrue();
    }

    @Test
    void aGidPrefixCombinesWithTheOtherFilters() {
        ListQuery q = new ListQuery("", 10, Optional.of(GlobalStatus.SUCCEED), Optional.empty(), Optional.empty(),
                Optional.empty(), Optional.of("a"));

        assertThat(q.matches(saga("a1"))).as("submitted").isFalse();
        assertThat(q.matches(saga("a1").apply(TransactionUpdate.of("a1", GlobalStatus.SUBMITTED, T0)
                .status(GlobalStatus.SUCCEED).build()))).isTrue();
    }

    @Test
    void aGidPrefixIsOneTo128CharactersOfTheGidAlphabet() {
        assertThat(ListQuery.firstPage().withGidPrefix("Az09_-.:@").gidPrefix()).contains("Az09_-.:@");
        assertThat(ListQuery.firstPage().withGidPrefix("x".repeat(128)).gidPrefix()).hasValueSatisfying(
                p -> assertThat(p).hasSize(128));

        assertThatThrownBy(() -> ListQuery.firstPage().withGidPrefix(""))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("gidPrefix").hasMessageContaining(
                        "empty");
        assertThatThrownBy(() -> ListQuery.firstPage().withGidPrefix("x".repeat(129)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("129 characters");
        for (String bad : new String[] {"a%", "a*", "a b", "a\nb", "a;b", "ä"}) {
            assertThatThrownBy(() -> ListQuery.firstPage().withGidPrefix(bad)).as(bad)
                    .isInstanceOf(InvalidRequestException.class)
                    .hasMessage("gidPrefix must be 1-128 characters of A-Z a-z 0-9 _ - . : @; got characters"
                            + " outside that set");
        }
    }

    @Test
    void aNullGidPrefixIsNone() {
        ListQuery q = new ListQuery(null, 1, null, null, null, null, null);

        assertThat(q.gidPrefix()).isEmpty();
        assertThat(q.position()).isEmpty();
    }

    private static GlobalTransaction saga(String gid) {
        return new GlobalTransaction(0, gid, TransType.SAGA, GlobalStatus.SUBMITTED, "", "http", T0, T0,
                Optional.empty(), Optional.empty(), TransOptions.DEFAULT, "", Duration.ofSeconds(10),
                T0.plusSeconds(10), "", "", "", "");
    }
}
