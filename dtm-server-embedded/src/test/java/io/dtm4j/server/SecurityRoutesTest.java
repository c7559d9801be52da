package io.dtm4j.server;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.Collections;
import java.util.List;
import java.util.Optional;

import static io.dtm4j.server.RouteFixture.API;
import static io.dtm4j.server.RouteFixture.assertError;
import static io.dtm4j.server.RouteFixture.assertSuccess;
import static org.assertj.core.api.Assertions.assertThat;

/** The access rules over HTTP: tokens and roles, the admin listener, the loopback default, the URL policy. */
class SecurityRoutesTest {
    private static final String OPERATOR = "alice-operator-token-0001";
    private static final String VIEWER = "vera-viewer-token-000002";
    private static final String CLIENT = "order-service-token-0003";
    private static final List<String> TOKENS = List.of("alice:operator:" + OPERATOR, "vera:viewer:" + VIEWER,
            "orders:api:" + CLIENT);

    private static String saga(String gid, String url) {
        return "{\"gid\":\"" + gid + "\",\"trans_type\":\"saga\",\"steps\":[{\"action\":\"" + url
                + "/TransIn\",\"compensate\":\"" + url + "/TransInRevert\"}],\"payloads\":[\"{}\"]}";
    }

    private static Reply post(RouteFixture f, String path, String body, String token) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(f.url(path)))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        return f.send(token == null ? r : r.header("Authorization", "Bearer " + token));
    }

    private static Reply get(RouteFixture f, String path, String token) {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(f.url(path))).GET();
        return f.send(token == null ? r : r.header("Authorization", "Bearer " + token));
    }

    @Test
    void withTokensEachRouteNeedsATokenOfTheRightRoleAndOperatorActionsAreAudited() {
        Logger audit = (Logger) LoggerFactory.getLogger(Audit.LOGGER);
        ListAppender<ILoggingEvent> lines = new ListAppender<>();
        lines.start();
        audit.addAppender(lines);
        Level level = audit.getLevel();
        audit.setLevel(Level.INFO); // as LogSetup sets it in the server, whatever the log level
        try (RouteFixture f = new RouteFixture(b -> b.tokens(TOKENS))) {
            assertThat(f.get("/api/ping").status()).isEqualTo(200);
            assertThat(f.get("/api/ready").status()).isEqualTo(200);
            Reply anonymous = f.post(API + "submit", saga("sec-1", "http://busi"));
            assertError(anonymous, 401, "a valid bearer token is required");
            assertThat(anonymous.headers().firstValue("WWW-Authenticate")).hasValue("Bearer realm=\"dtm\"");
            assertError(post(f, API + "submit", saga("sec-1", "http://busi"), "not-a-configured-token-at-all"), 401);
            assertError(post(f, API + "submit", saga("sec-1", "http://busi"), VIEWER), 403, "token 'vera' (viewer)");
            assertThat(f.memory.findGlobal("sec-1")).isEmpty();

            f.busi.times("http://busi/TransIn", BranchResult.ONGOING, 10);
            assertSuccess(post(f, API + "submit", saga("sec-1", "http://busi"), CLIENT));
            assertThat(get(f, API + "query?gid=sec-1", CLIENT).status()).isEqualTo(200);
            assertError(get(f, API + "all", CLIENT), 403, "needs a token with the role operator or viewer");
            assertThat(get(f, API + "all", VIEWER).status()).isEqualTo(200);
            assertThat(get(f, "/api/metrics", VIEWER).status()).isEqualTo(200);
            assertThat(get(f, "/", null).status()).as("the UI's files hold no data").isEqualTo(200);

            assertError(post(f, API + "forceStop", "{\"gid\":\"sec-1\",\"reason\":\"x\"}", VIEWER), 403,
                    "token 'vera' (viewer) may not call forcestop; it needs a token with the role operator");
            assertSuccess(post(f, API + "forceStop", "{\"gid\":\"sec-1\",\"reason\":\"stuck \\\"payment\\\"\"}",
                    OPERATOR));
            assertThat(f.memory.statusOf("sec-1")).contains(GlobalStatus.FAILED);
            assertThat(f.memory.findGlobal("sec-1").orElseThrow().rollbackReason()).contains("stuck \"payment\"");
        } finally {
            audit.detachAppender(lines);
            audit.setLevel(level);
        }
        List<String> logged = lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
        assertThat(logged).hasSize(1); // the refused viewer never reached the action
        assertThat(logged.get(0)).startsWith("audit {\"at\":\"").contains("\"by\":\"alice\"", "\"from\":\"127.0.0.1\"",
                "\"action\":\"forcestop\"", "\"gid\":\"sec-1\"", "\"reason\":\"stuck \\\"payment\\\"\"",
                "\"status\":200");
    }

    @Test
    void withAnAdminListenerThePublicPortServesOnlyClientRoutes() {
        try (RouteFixture f = new RouteFixture(b -> b.adminListener("127.0.0.1", 0))) {
            int admin = f.server.adminPort().orElseThrow();
            assertSuccess(f.post(API + "submit", saga("adm-1", "http://busi")));
            assertThat(f.get(API + "query?gid=adm-1").status()).isEqualTo(200);
            for (String path : List.of(API + "all", "/api/metrics", "/api/admin/info", "/", "/admin/x")) {
                Reply r = f.get(path);
                assertThat(r.status()).as(path).isEqualTo(404);
                assertThat(r.body()).as(path).contains("admin listener");
            }
            assertError(f.post(API + "forceStop", "{\"gid\":\"adm-1\"}"), 404, "on the admin listener (Admin.Address)");
            Reply onAdmin = f.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + admin + API + "all"))
                    .GET());
            assertThat(onAdmin.status()).isEqualTo(200);
            assertThat(onAdmin.body()).contains("adm-1");

            assertError(f.post(API + "submit", saga("adm-2", "http://127.0.0.1:" + admin + "/api/dtmsvr")), 400,
                    "is this server's admin listener");
        }
    }

    @Test
    void aCrossSiteBrowserRequestMayNotForceStopEvenFromLoopback() {
        try (RouteFixture f = new RouteFixture()) {
            f.busi.times("http://busi/TransIn", BranchResult.ONGOING, 10);
            assertSuccess(f.post(API + "submit", saga("csrf-1", "http://busi")));
            String stop = "{\"gid\":\"csrf-1\"}";
            Reply evil = f.send(HttpRequest.newBuilder(URI.create(f.url(API + "forceStop")))
                    .POST(HttpRequest.BodyPublishers.ofString(stop)).header("Origin", "https://evil.example"));
            assertError(evil, 403, "a cross-site request may not change a transaction (Origin https://evil.example)");
            Reply fetch = f.send(HttpRequest.newBuilder(URI.create(f.url(API + "resetNextCronTime")))
                    .POST(HttpRequest.BodyPublishers.ofString(stop)).header("Sec-Fetch-Site", "cross-site"));
            assertError(fetch, 403);
            assertThat(f.memory.statusOf("csrf-1")).contains(GlobalStatus.SUBMITTED);
            String self = "http://127.0.0.1:" + f.server.port();
            assertSuccess(f.send(HttpRequest.newBuilder(URI.create(f.url(API + "forceStop")))
                    .POST(HttpRequest.BodyPublishers.ofString(stop)).header("Origin", self)));
            assertThat(f.memory.statusOf("csrf-1")).contains(GlobalStatus.FAILED);
        }
    }

    @Test
    void aBranchUrlOnADeniedAddressIsRefusedAtSubmit() {
        try (RouteFixture f = new RouteFixture()) {
            assertError(f.post(API + "submit", saga("ssrf-1", "http://169.254.169.254/latest/meta-data")), 400,
                    "branch URL 'http://169.254.169.254/latest/meta-data/TransIn' refused: host 169.254.169.254 is "
                            + "169.254.169.254, on the deny list (169.254.0.0/16)");
            String msg = "{\"gid\":\"ssrf-2\",\"trans_type\":\"msg\",\"steps\":[{\"action\":\"http://busi/a\"}],"
                    + "\"payloads\":[\"{}\"],\"query_prepared\":\"http://[fe80::1]/query\"}";
            assertError(f.post(API + "prepare", msg), 400, "fe80::/10");
            f.assertNothingStored();
        }
    }

    @Test
    void withoutTokensARemoteClientMayRunTransactionsButNotTheAdminSurface() {
        Optional<InetAddress> own = nonLoopbackAddress();
        Assumptions.assumeTrue(own.isPresent(), "this machine has no non-loopback IPv4 address");
        String host = own.get().getHostAddress();
        try (RouteFixture f = new RouteFixture(b -> b.host(host))) {
            String base = "http://" + host + ":" + f.server.port();
            Reply ui = f.send(HttpRequest.newBuilder(URI.create(base + "/")).GET());
            assertThat(ui.status()).isEqualTo(403);
            assertThat(ui.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(ui.body()).contains("answer only local clients", "Admin.AllowRemote: true");
            Reply all = f.send(HttpRequest.newBuilder(URI.create(base + API + "all")).GET());
            assertError(all, 403, "answer only local clients");
            Reply stop = f.send(HttpRequest.newBuilder(URI.create(base + API + "forceStop"))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"gid\":\"x\"}")));
            assertError(stop, 403);
            Reply submit = f.send(HttpRequest.newBuilder(URI.create(base + API + "submit"))
                    .POST(HttpRequest.BodyPublishers.ofString(saga("remote-1", "http://busi"))));
            assertSuccess(submit);
            assertThat(f.send(HttpRequest.newBuilder(URI.create(base + "/api/ping")).GET()).status()).isEqualTo(200);
        }
    }

    private static Optional<InetAddress> nonLoopbackAddress() {
        try {
            for (NetworkInterface n : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                if (!n.isUp() || n.isLoopback()) {
                    continue;
                }
                for (InetAddress a : Collections.list(n.getInetAddresses())) {
                    if (a instanceof Inet4Address && !a.isLoopbackAddress() && !a.isLinkLocalAddress()) {
                        return Optional.of(a);
                    }
                }
            }
        } catch (SocketException e) {
            return Optional.empty();
        }
        return Optional.empty();
    }
}
