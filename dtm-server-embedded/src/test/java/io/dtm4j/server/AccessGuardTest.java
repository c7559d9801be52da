package io.dtm4j.server;

import io.dtm4j.server.AccessGuard.Access;
import io.dtm4j.server.AccessGuard.Decision;
import io.dtm4j.server.AccessGuard.Listener;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AccessGuardTest {
    private static final String ALICE = "alice-operator-token-0001";
    private static final String VERA = "vera-viewer-token-000002";
    private static final String ORDERS = "order-service-token-0003";
    private static final List<String> TOKENS = List.of("alice:operator:" + ALICE,
            ApiToken.entry("vera", ApiToken.Role.VIEWER, VERA), "orders:api:" + ORDERS);

    private static InetAddress ip(String s) {
        try {
            return InetAddress.getByName(s);
        } catch (UnknownHostException e) {
            throw new AssertionError(e);
        }
    }

    private static final InetAddress LOCAL = ip("127.0.0.1");
    private static final InetAddress REMOTE = ip("10.1.2.3");

    private static AccessGuard withTokens() {
        return new AccessGuard(TOKENS.stream().map(ApiToken::parse).toList(), false, Optional.empty());
    }

    @Test
    void withoutTokensClientsAreOpenAndTheAdminSurfaceIsLoopbackOnly() {
        AccessGuard g = AccessGuard.defaults();
        for (Access a : List.of(Access.HEALTH, Access.CLIENT, Access.READ)) {
            assertThat(g.decide(Listener.PUBLIC, REMOTE, null, a, "x").allowed()).as(a.name()).isTrue();
        }
        for (Access a : List.of(Access.UI, Access.VIEW, Access.OPERATE)) {
            Decision d = g.decide(Listener.PUBLIC, REMOTE, null, a, "forceStop");
            assertThat(d.status()).as(a.name()).isEqualTo(403);
            assertThat(d.message()).contains("answer only local clients", "Auth.Tokens", "Admin.Address",
                    "Admin.AllowRemote: true");
            assertThat(g.decide(Listener.PUBLIC, LOCAL, null, a, "x")).as(a.name())
                    .isEqualTo(new Decision(0, "", "local"));
        }
        AccessGuard open = new AccessGuard(List.of(), true, Optional.empty());
        assertThat(open.decide(Listener.PUBLIC, REMOTE, null, Access.OPERATE, "forceStop"))
                .isEqualTo(new Decision(0, "", "remote 10.1.2.3"));
    }

    @Test
    void withTokensEveryRouteButHealthNeedsOneAndItsRoleMustCoverTheRoute() {
        AccessGuard g = withTokens();
        assertThat(g.decide(Listener.PUBLIC, REMOTE, null, Access.HEALTH, "ping").allowed()).isTrue();
        assertThat(g.decide(Listener.PUBLIC, REMOTE, null, Access.UI, "ui").allowed()).as("static files").isTrue();
        for (Access a : List.of(Access.CLIENT, Access.READ, Access.VIEW, Access.OPERATE)) {
            assertThat(g.decide(Listener.PUBLIC, LOCAL, null, a, "x").status()).as("no token, even local")
                    .isEqualTo(401);
            assertThat(g.decide(Listener.PUBLIC, LOCAL, "Bearer wrong-token-wrong-token", a, "x").status())
                    .isEqualTo(401);
            assertThat(g.decide(Listener.PUBLIC, LOCAL, "Basic " + ALICE, a, "x").status()).isEqualTo(401);
        }
        Decision viewerStops = g.decide(Listener.PUBLIC, REMOTE, "Bearer " + VERA, Access.OPERATE, "forcestop");
        assertThat(viewerStops).isEqualTo(new Decision(403, "token 'vera' (viewer) may not call forcestop; it needs "
                + "a token with the role operator", "vera"));
        assertThat(g.decide(Listener.PUBLIC, REMOTE, "Bearer " + VERA, Access.VIEW, "all").allowed()).isTrue();
        assertThat(g.decide(Listener.PUBLIC, REMOTE, "Bearer " + VERA, Access.CLIENT, "submit").message())
                .isEqualTo("token 'vera' (viewer) may not call submit; it needs a token with the role api");
        assertThat(g.decide(Listener.PUBLIC, REMOTE, "bearer " + ALICE, Access.OPERATE, "forcestop"))
                .isEqualTo(new Decision(0, "", "alice"));
        assertThat(g.decide(Listener.PUBLIC, REMOTE, "Bearer " + ORDERS, Access.CLIENT, "submit").allowed()).isTrue();
        assertThat(g.decide(Listener.PUBLIC, REMOTE, "Bearer " + ORDERS, Access.READ, "query").allowed()).isTrue();
        assertThat(g.decide(Listener.PUBLIC, REMOTE, "Bearer " + ORDERS, Access.VIEW, "all").message())
                .endsWith("needs a token with the role operator or viewer");
    }

    @Test
    void withAnAdminListenerThePublicPortServesNoAdminRoute() {
        AccessGuard g = new AccessGuard(List.of(), false, Optional.of(new InetSocketAddress("127.0.0.1", 36788)));
        for (Access a : List.of(Access.UI, Access.VIEW, Access.OPERATE)) {
            Decision d = g.decide(Listener.PUBLIC, LOCAL, null, a, "x");
            assertThat(d.status()).as(a.name()).isEqualTo(404);
            assertThat(d.message()).contains("admin listener (Admin.Address)");
            assertThat(g.decide(Listener.ADMIN, LOCAL, null, a, "x").allowed()).isTrue();
            assertThat(g.decide(Listener.ADMIN, REMOTE, null, a, "x").allowed()).as("the address the operator chose")
                    .isTrue();
        }
        assertThat(g.decide(Listener.PUBLIC, REMOTE, null, Access.CLIENT, "submit").allowed()).isTrue();
        assertThat(g.describe("0.0.0.0:36789", "127.0.0.1:36788")).isEqualTo("client routes on 0.0.0.0:36789: open (no Auth.Tokens); "
                + "admin UI and operator routes on 127.0.0.1:36788 only: open to whoever reaches that address");
    }

    @Test
    void tokenEntriesAreCheckedWithoutEverEchoingTheSecret() {
        assertThatThrownBy(() -> ApiToken.parse("alice:admin:" + ALICE)).hasMessage("token 'alice': role must be "
                + "viewer, operator or api, got 'admin'").message().doesNotContain(ALICE);
        assertThatThrownBy(() -> ApiToken.parse("alice:operator:short")).hasMessageContaining("shorter than 16")
                .message().doesNotContain("short\"");
        assertThatThrownBy(() -> ApiToken.parse("alice:operator:sha256:abc")).hasMessageContaining("64 hex digits");
        assertThatThrownBy(() -> ApiToken.parse("no-colons")).hasMessageContaining("name:role:");
        ApiToken t = ApiToken.parse(ApiToken.entry("vera", ApiToken.Role.VIEWER, VERA));
        assertThat(t).isEqualTo(ApiToken.parse("vera:viewer:" + VERA));
        assertThat(t.toString()).isEqualTo("ApiToken[vera viewer]");
        assertThat(ApiToken.newSecret()).hasSize(43).isNotEqualTo(ApiToken.newSecret());
    }
}
