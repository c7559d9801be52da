package io.dtm4j.store.redis;

import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class RedisEndpointTest {

    @Test
    void hostPortParsesNamesAddressesAndBracketedIpv6() {
        assertThat(RedisEndpoint.HostPort.parse("redis.local:6379")).isEqualTo(new RedisEndpoint.HostPort(
                "redis.local", 6379));
        assertThat(RedisEndpoint.HostPort.parse(" 10.0.0.1:7000 ")).isEqualTo(new RedisEndpoint.HostPort("10.0.0.1",
                7000));
        RedisEndpoint.HostPort v6 = RedisEndpoint.HostPort.parse("[::1]:6390");
        assertThat(v6.host()).isEqualTo("::1");
        assertThat(v6).hasToString("[::1]:6390");
    }

    @Test
    void hostPortRejectsWhatIsNotHostColonPort() {
        for (String bad : new String[] {"", "host", ":6379", "host:", "host:port", "host:0", "host:70000"}) {
            assertThatThrownBy(() -> RedisEndpoint.HostPort.parse(bad)).as(bad)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void describeNamesEachTopologyWithoutThePassword() {
        RedisEndpoint standalone = new RedisEndpoint(RedisEndpoint.Kind.STANDALONE,
                List.of(new RedisEndpoint.HostPort("127.0.0.1", 6390)), "", "dtm", "s3cret", 2);
        RedisEndpoint sentinel = new RedisEndpoint(RedisEndpoint.Kind.SENTINEL, List.of(
                RedisEndpoint.HostPort.parse("s1:26379"), RedisEndpoint.HostPort.parse("s2:26379")), "mymaster", "",
                "s3cret", 0);
        RedisEndpoint cluster = new RedisEndpoint(RedisEndpoint.Kind.CLUSTER, List.of(
                RedisEndpoint.HostPort.parse("n1:7000"), RedisEndpoint.HostPort.parse("n2:7001")), "", "", "s3cret", 0);

        assertThat(standalone.describe("{a}")).isEqualTo("redis://127.0.0.1:6390/2?prefix={a}");
        assertThat(sentinel.describe("{a}")).isEqualTo("redis-sentinel://s1:26379,s2:26379/0?master=mymaster"
                + "&prefix={a}");
        assertThat(cluster.describe("{x}")).isEqualTo("redis-cluster://n1:7000,n2:7001?prefix={x}");
        for (RedisEndpoint e : List.of(standalone, sentinel, cluster)) {
            assertThat(e.describe("{a}") + e).doesNotContain("s3cret");
        }
    }

    @Test
    void urisCarryCredentialsDatabaseAndTimeout() {
        RedisEndpoint standalone = new RedisEndpoint(RedisEndpoint.Kind.STANDALONE,
                List.of(new RedisEndpoint.HostPort("h", 6390)), "", "dtm", "pw", 3);
        RedisURI uri = standalone.uris(Duration.ofSeconds(2)).get(0);

        assertThat(uri.getHost()).isEqualTo("h");
        assertThat(uri.getPort()).isEqualTo(6390);
        assertThat(uri.getDatabase()).isEqualTo(3);
        assertThat(uri.getTimeout()).isEqualTo(Duration.ofSeconds(2));
        RedisCredentials credentials = uri.getCredentialsProvider().resolveCredentials().block();
        assertThat(credentials.getUsername()).isEqualTo("dtm");
        assertThat(new String(credentials.getPassword())).isEqualTo("pw");

        RedisEndpoint sentinel = new RedisEndpoint(RedisEndpoint.Kind.SENTINEL, List.of(
                RedisEndpoint.HostPort.parse("s1:26379"), RedisEndpoint.HostPort.parse("s2:26380")), "m", "", "", 0);
        RedisURI s = sentinel.uris(Duration.ofSeconds(2)).get(0);
        assertThat(s.getSentinelMasterId()).isEqualTo("m");
        assertThat(s.getSentinels()).extracting(RedisURI::getPort).containsExactly(26379, 26380);
        assertThat(s.getCredentialsProvider().resolveCredentials().block().hasPassword()).isFalse();

        RedisEndpoint cluster = new RedisEndpoint(RedisEndpoint.Kind.CLUSTER, List.of(
                RedisEndpoint.HostPort.parse("n1:7000"), RedisEndpoint.HostPort.parse("n2:7001")), "", "", "", 0);
        assertThat(cluster.uris(Duration.ofSeconds(1))).extracting(RedisURI::getPort).containsExactly(7000, 7001);
    }
}
