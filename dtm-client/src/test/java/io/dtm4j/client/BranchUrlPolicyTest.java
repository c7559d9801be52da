package io.dtm4j.client;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BranchUrlPolicyTest {
    private static final BranchUrlPolicy DEFAULTS = BranchUrlPolicy.defaults();

    @Test
    void byDefaultHttpAndHttpsAreCalledExceptLinkLocalAddresses() {
        assertThat(DEFAULTS.refusal("http://127.0.0.1:8081/api/busi/TransIn")).isEmpty();
        assertThat(DEFAULTS.refusal("https://localhost/api?x=1")).isEmpty();
        assertThat(DEFAULTS.refusal("http://169.254.169.254/latest/meta-data/"))
                .contains("host 169.254.169.254 is 169.254.169.254, on the deny list (169.254.0.0/16)");
        assertThat(DEFAULTS.refusal("http://[fe80::1]:80/x")).get().asString().contains("fe80::/10");
        assertThat(DEFAULTS.refusal("http://[::ffff:169.254.169.254]/x")).get().asString()
                .contains("169.254.0.0/16");
    }

    @Test
    void otherSchemesAndBrokenUrlsAreRefused() {
        assertThat(DEFAULTS.refusal("ftp://127.0.0.1/x")).contains("only http and https URLs are called, not ftp");
        assertThat(DEFAULTS.refusal("file:///etc/passwd")).contains("only http and https URLs are called, not file");
        assertThat(DEFAULTS.refusal("/api/busi")).contains("only http and https URLs are called");
        assertThat(DEFAULTS.refusal("http://")).get().asString().contains("URL");
        assertThat(DEFAULTS.refusal("http://a b/")).get().asString().startsWith("not a valid URL");
    }

    @Test
    void anAllowListAdmitsItsNamesAndBlocksOnly() {
        BranchUrlPolicy p = BranchUrlPolicy.of(List.of("busi.internal", "*.svc.cluster.local", "10.0.0.0/8"),
                BranchUrlPolicy.DEFAULT_DENY, Optional.empty());
        assertThat(p.refusal("http://10.1.2.3:8080/x")).isEmpty();
        assertThat(p.refusal("http://busi.internal/x")).as("allowed by name, resolvable or not").isEmpty();
        assertThat(p.refusal("http://pay.prod.svc.cluster.local/x")).isEmpty();
        assertThat(p.refusal("http://127.0.0.1:8080/x")).contains("host 127.0.0.1 (127.0.0.1) is not on the allow "
                + "list");
        assertThat(p.refusal("http://nowhere.invalid/x")).contains("host nowhere.invalid is not on the allow list");
    }

    @Test
    void denyEntriesMatchNamesWildcardsAndBlocks() {
        BranchUrlPolicy p = BranchUrlPolicy.of(List.of(), List.of("*.corp", "db.local", "192.168.0.0/16"),
                Optional.empty());
        assertThat(p.refusal("http://hr.corp/x")).contains("host hr.corp is on the deny list (*.corp)");
        assertThat(p.refusal("http://DB.local/x")).contains("host DB.local is on the deny list (db.local)");
        assertThat(p.refusal("http://192.168.4.5/x")).get().asString().contains("192.168.0.0/16");
        assertThat(p.refusal("http://169.254.169.254/x")).as("the defaults are replaced by a configured list")
                .isEmpty();
        assertThat(p.refusal("http://corp/x")).as("*.corp is the subdomains").isEmpty();
    }

    @Test
    void theAdminListenerIsNeverATarget() {
        BranchUrlPolicy p = BranchUrlPolicy.of(List.of(), BranchUrlPolicy.DEFAULT_DENY,
                Optional.of(new InetSocketAddress("127.0.0.1", 36788)));
        assertThat(p.refusal("http://127.0.0.1:36788/api/dtmsvr/forceStop"))
                .contains("127.0.0.1:36788 is this server's admin listener");
        assertThat(p.refusal("http://localhost:36788/api/dtmsvr/forceStop")).isPresent();
        assertThat(p.refusal("http://127.0.0.1:36789/api/busi")).isEmpty();
    }

    @Test
    void badEntriesAreConfigurationErrors() {
        for (String bad : List.of("10.0.0.0/33", "fe80::/129", "bad host", "*.", "10.0.0.0/x", "-a.com")) {
            assertThatThrownBy(() -> BranchUrlPolicy.of(List.of(bad), List.of(), Optional.empty())).as(bad)
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(bad);
        }
    }

    @Test
    void theInvokerRefusesARefusedUrlAsAnErrorWithoutCallingIt() {
        try (OkHttpBranchInvoker invoker = OkHttpBranchInvoker.builder().urlPolicy(DEFAULTS).build()) {
            BranchOutcome o = invoker.invoke(new BranchCall("g1", TransType.SAGA, "01", "action",
                    "http://169.254.169.254/latest/meta-data/", new byte[0], "http", Map.of(), Duration.ofSeconds(1)));
            assertThat(o.result()).isEqualTo(BranchResult.ERROR);
            assertThat(o.detail()).startsWith("refused by the branch URL policy: host 169.254.169.254");
        }
    }
}
