package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmServerException;
import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.client.Xa;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;

import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * DTM's XA scenarios (xa_test.go, xa_cover_test.go) end to end against a real database: an embedded
 * coordinator with the real {@link OkHttpBranchInvoker}, a JDK HttpServer busi whose TransOutXa/TransInXa use
 * {@link XaBranch} on an accounts table of the test's own, and real XA transactions. After every test no
 * prepared XA transaction of the suite is left. Extended once per database.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(120)
abstract class XaScenarios {
    static final long START_BALANCE = 10_000;
    static final long AMOUNT = 30;

    /** The database under test. */
    abstract XaTestDb.Kind kind();

    XaTestDb db;
    String gid;
    String accounts;
    MutableClock clock;
    Coordinator coordinator;
    OkHttpBranchInvoker invoker;
    DtmClient client;
    XaBusi busi;

    /** Gids of this suite start with this (MySQL xids hold 64 bytes, so it is short). */
    String suitePrefix() {
        return "xait-" + kind().tag + "-";
    }

    @BeforeAll
    void openDatabase() throws SQLException {
        db = XaTestDb.of(kind(), "it_xa_" + kind().name().toLowerCase()).open(suitePrefix());
    }

    @BeforeEach
    void start(TestInfo info) throws Exception {
        String name = info.getTestMethod().orElseThrow().getName();
        gid = suitePrefix() + name;
        accounts = db.accountsTable(name);
        db.rollbackPrepared(gid);
        db.deleteBarrierRows(gid);
        db.createAccounts(accounts, START_BALANCE);
        clock = MutableClock.startingAtEpochOf2026();
        invoker = OkHttpBranchInvoker.builder().build();
        coordinator = Coordinator.builder().store(new InMemoryTransactionStore()).invoker(invoker).clock(clock)
                .executor(new DirectExecutorService()).build();
        client = DtmClient.builder().coordinator(coordinator).branchInvoker(invoker).build();
        busi = XaBusi.start(xaBranch(), accounts, 0);
    }

    XaBranch xaBranch() {
        return XaBranch.builder().client(client).dataSource(db.dataSource()).barrierTable(db.barrierTable()).build();
    }

    @AfterEach
    void stop() throws SQLException {
        try {
            assertThat(db.rollbackPrepared(gid)).as("prepared XA transactions left by %s", gid).isZero();
        } finally {
            busi.close();
            client.close();
            coordinator.close();
            invoker.close();
            db.dropTable(accounts);
        }
    }

    String req(String transOutResult, String transInResult) {
        return "{\"amount\":" + AMOUNT + ",\"trans_in_result\":\"" + transInResult + "\",\"trans_out_Result\":\""
                + transOutResult + "\"}";
    }

    String transfer(Xa xa, String req) {
        xa.callBranch(req, busi.url() + "/TransOutXa");
        return xa.callBranch(req, busi.url() + "/TransInXa");
    }

    GlobalTransaction global() {
        return coordinator.query(gid).orElseThrow().global();
    }

    List<BranchStatus> statuses() {
        return coordinator.query(gid).orElseThrow().branches().stream().map(Branch::status).toList();
    }

    void assertBalances(long user1, long user2) throws SQLException {
        assertThat(db.balance(accounts, 1)).as("user 1").isEqualTo(user1);
        assertThat(db.balance(accounts, 2)).as("user 2").isEqualTo(user2);
    }

    void recoverAfter(Duration d) {
        clock.advance(d);
        coordinator.recoverOnce();
    }

    @Test
    void normalTransferCommitsBoth() throws Exception {
        client.xa(gid, xa -> transfer(xa, req("", "")));

        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(statuses()).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertBalances(START_BALANCE - AMOUNT, START_BALANCE + AMOUNT);
        assertThat(db.preparedXids(gid)).isEmpty();
        assertThat(db.barrierRows(gid)).containsExactly("xa 01 action 01 action", "xa 02 action 01 action");
        assertThat(busi.requests()).containsExactly("TransOutXa 01 action", "TransInXa 02 action",
                "TransOutXa 01 commit", "TransInXa 02 commit");
    }

    @Test
    void failingSecondBranchRollsBackBoth() throws Exception {
        assertThatThrownBy(() -> client.xa(gid, xa -> transfer(xa, req("", "FAILURE"))))
                .isInstanceOf(DtmFailureException.class).hasMessageContaining("branch=02 op=action");

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global().rollbackReason()).contains("TransInXa refused");
        assertThat(statuses()).containsExactly(SUCCEED, PREPARED);
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).isEmpty();
        assertThat(db.barrierRows(gid)).as("the rollback marker of 01; nothing of 02")
                .containsExactly("xa 01 action 01 rollback");
    }

    @Test
    void errorInSecondBranchRollsBackBoth() throws Exception {
        assertThatThrownBy(() -> client.xa(gid, xa -> transfer(xa, req("", "ERROR"))))
                .isInstanceOfSatisfying(DtmServerException.class, e -> assertThat(e.statusCode()).isEqualTo(500));

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(statuses()).containsExactly(SUCCEED, PREPARED);
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).isEmpty();
    }

    @Test
    void repeatedCommitIsTolerated() throws Exception {
        client.xa(gid, xa -> {
            xa.callBranch(req("", ""), busi.url() + "/TransOutXa");
            db.commitPrepared(gid + "-01"); // as if a phase two had already run
            return xa.callBranch(req("", ""), busi.url() + "/TransInXa");
        });

        assertThat(global().status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(statuses()).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertBalances(START_BALANCE - AMOUNT, START_BALANCE + AMOUNT);
    }

    @Test
    void timeoutAfterBothPreparedRollsThemBack() throws Exception {
        assertThatThrownBy(() -> client.xa(gid, xa -> {
            transfer(xa, req("", ""));
            assertThat(db.preparedXids(gid)).containsExactly(gid + "-01", gid + "-02");
            recoverAfter(Duration.ofSeconds(300));
            return null;
        })).isInstanceOf(DtmFailureException.class).hasMessageContaining("submit");

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global().rollbackReason()).matches("^Timeout after \\d+ seconds$");
        assertThat(statuses()).containsExactly(SUCCEED, PREPARED, SUCCEED, PREPARED);
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).isEmpty();
    }

    @Test
    void lateActionAfterTheTimeoutIsRolledBackLocally() throws Exception {
        assertThatThrownBy(() -> client.xa(gid, xa -> {
            xa.callBranch(req("", ""), busi.url() + "/TransOutXa");
            recoverAfter(Duration.ofSeconds(300)); // aborted: 01 rolled back
            return xa.callBranch(req("", ""), busi.url() + "/TransInXa"); // registration refused
        })).isInstanceOf(DtmFailureException.class).hasMessageContaining("branch=02");

        assertThat(global().status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(statuses()).containsExactly(SUCCEED, PREPARED);
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).as("the late branch was not left prepared").isEmpty();
        assertThat(db.barrierRows(gid)).containsExactly("xa 01 action 01 rollback");
    }

    @Test
    void rollbackBeforeTheActionMakesTheActionANoOp() throws Exception {
        coordinator.prepare(TransRequest.builder(gid, TransType.XA).build());
        HttpResponse<String> rollback = post("/TransInXa", "gid=" + gid + "&trans_type=xa&branch_id=01&op=rollback",
                "");
        assertThat(rollback.statusCode()).as(rollback.body()).isEqualTo(200);

        HttpResponse<String> action = post("/TransInXa", "gid=" + gid + "&trans_type=xa&branch_id=01&op=action"
                + "&phase2_url=" + URLEncoder.encode(busi.url() + "/TransInXa", StandardCharsets.UTF_8), req("", ""));

        assertThat(action.statusCode()).as(action.body()).isEqualTo(409);
        assertThat(action.body()).contains("barrier row");
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).isEmpty();
        assertThat(db.barrierRows(gid)).containsExactly("xa 01 action 01 rollback");
        assertThat(statuses()).as("never registered").isEmpty();
    }

    @Test
    void gidWithAQuoteIsRefused() throws Exception {
        assertThatThrownBy(() -> client.xa(gid + "'x", xa -> transfer(xa, req("", ""))))
                .isInstanceOf(InvalidRequestException.class);

        String quoted = URLEncoder.encode(gid + "'  '", StandardCharsets.UTF_8);
        HttpResponse<String> action = post("/TransOutXa", "gid=" + quoted + "&trans_type=xa&branch_id=01&op=action"
                + "&phase2_url=" + URLEncoder.encode(busi.url() + "/TransOutXa", StandardCharsets.UTF_8), req("", ""));
        HttpResponse<String> commit = post("/TransOutXa", "gid=" + quoted + "&trans_type=xa&branch_id=01&op=commit",
                "");

        assertThat(action.statusCode()).isEqualTo(500);
        assertThat(action.body()).contains("gid contains characters outside");
        assertThat(commit.statusCode()).isEqualTo(500);
        assertBalances(START_BALANCE, START_BALANCE);
        assertThat(db.preparedXids(gid)).isEmpty();
        assertThat(db.barrierRows(gid + "'  '")).isEmpty();
    }

    /** A direct POST to the busi, as the coordinator or a late client would send it. */
    HttpResponse<String> post(String endpoint, String query, String body) throws IOException, InterruptedException {
        HttpRequest r = HttpRequest.newBuilder(URI.create(busi.url() + endpoint + "?" + query))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
        return HttpClient.newHttpClient().send(r, HttpResponse.BodyHandlers.ofString());
    }
}
