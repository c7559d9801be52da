package io.dtm4j.server;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class DidYouMeanTest {
    private static final List<String> KEYS = List.of("Store.Driver", "Store.Host", "Store.Port", "HttpPort",
            "RetryInterval");

    @Test
    void distanceCountsInsertionsDeletionsSubstitutionsAndSwaps() {
        assertThat(DidYouMean.distance("", "")).isZero();
        assertThat(DidYouMean.distance("abc", "abc")).isZero();
        assertThat(DidYouMean.distance("", "abc")).isEqualTo(3);
        assertThat(DidYouMean.distance("kitten", "sitting")).isEqualTo(3);
        assertThat(DidYouMean.distance("host", "hots")).isEqualTo(1);
        assertThat(DidYouMean.distance("json", "jsno")).isEqualTo(1);
        assertThat(DidYouMean.distance("ab", "ba")).isEqualTo(1);
        assertThat(DidYouMean.distance("driver", "drivr")).isEqualTo(1);
    }

    @Test
    void suggestsTheClosestWithinABoundThatGrowsWithTheWord() {
        assertThat(DidYouMean.closest("Store.Drivr", KEYS)).contains("Store.Driver");
        assertThat(DidYouMean.closest("store.host", KEYS)).contains("Store.Host");
        assertThat(DidYouMean.closest("Store.Hots", KEYS)).contains("Store.Host");
        assertThat(DidYouMean.closest("HttpProt", KEYS)).contains("HttpPort");
        assertThat(DidYouMean.closest("Bogus", KEYS)).isEmpty();
        assertThat(DidYouMean.closest("Store.Password", KEYS)).isEmpty();
        // a short word gets one edit at most: "abc" is not "HttpPort", and "rdis" is "redis"
        assertThat(DidYouMean.closest("abc", List.of("ab", "redis"))).contains("ab");
        assertThat(DidYouMean.closest("rdis", List.of("redis", "mem"))).contains("redis");
        assertThat(DidYouMean.closest("xyz", List.of("redis", "mem"))).isEmpty();
    }

    @Test
    void neverSuggestsTheWordItselfAndPrefersTheFirstOfEquals() {
        assertThat(DidYouMean.closest("HttpPort", KEYS)).isEmpty();
        assertThat(DidYouMean.closest("mem", List.of("mea", "meb"))).contains("mea");
    }

    @Test
    void hintIsAParentheticalOrNothing() {
        assertThat(DidYouMean.hint("Store.Prot", KEYS)).isEqualTo(" (did you mean 'Store.Port'?)");
        assertThat(DidYouMean.hint("Nothing.Like.It", KEYS)).isEmpty();
    }
}
