package io.dtm4j.server;

import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.client.wire.DtmJson;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransOutcome;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The server an admin UI test drives: a {@link DtmServer} on 127.0.0.1 and a free port, optionally under an
 * {@code AdminBasePath}, over a {@link Coordinator} on an in-memory store with the system clock (so the page shows
 * real times), the real {@link OkHttpBranchInvoker} calling a {@link BusiService}, and a {@link QuiescentExecutor}.
 * No poller runs: a transaction that answered ONGOING stays unfinished until the test calls {@link #recover()}.
 * Not thread-safe: one per test.
 */
final class AdminUiServer implements AutoCloseable {
    /** The version the server reports, so that a test can find it on the page. */
    static final String VERSION = "v9.9.9-ui-test";
    private static final Duration IDLE_WAIT = Duration.ofSeconds(30);

    final BusiService busi = BusiService.start();
    private final ServerMetrics metrics = new ServerMetrics();
    final DtmServer server;
    final DtmHttp dtm;
    private final QuiescentExecutor executor = new QuiescentExecutor();
    private final OkHttpBranchInvoker invoker = OkHttpBranchInvoker.builder().build();
    private final InMemoryTransactionStore store = new InMemoryTransactionStore();
    private final Coordinator coordinator;
    private final String basePath;

    private AdminUiServer(String basePath, List<String> tokens) {
        this.basePath = basePath;
        coordinator = Coordinator.builder().store(store).invoker(invoker).executor(executor)
                .events(metrics).build();
        server = DtmServer.builder().coordinator(coordinator).host("127.0.0.1").port(0).version(VERSION)
                .metrics(metrics).adminBasePath(basePath).tokens(tokens).build().start();
        dtm = new DtmHttp(server.port());
    }

    /** A server with the UI at {@code /}, without tokens (the UI answers loopback clients). */
    static AdminUiServer start() {
        return new AdminUiServer("", List.of());
    }

    /** A server with the UI under {@code basePath}, e.g. {@code /ops/dtm}. */
    static AdminUiServer start(String basePath) {
        return new AdminUiServer(basePath, List.of());
    }

    /** A server that wants a bearer token on every route; entries as {@code Auth.Tokens}: name:role:token. */
    static AdminUiServer withTokens(String... entries) {
        return new AdminUiServer("", List.of(entries));
    }

    /** {@code http://127.0.0.1:<port>}, without the base path. */
    String origin() {
        return "http://127.0.0.1:" + server.port();
    }

    /** The address of a UI page, e.g. {@code page("/admin/server")}: origin, base path, then {@code path}. */
    String page(String path) {
        return origin() + basePath + path;
    }

    /** The URL of a busi route, e.g. {@code busi("TransIn")}. */
    String busi(String endpoint) {
        return busi.url() + "/" + endpoint;
    }

    /** A two-step saga (TransOut then TransIn, each with its revert) as DTM's tests build it. */
    GoTrans saga(String gid) {
        String req = GoTrans.transReq();
        return GoTrans.saga(gid).add(busi("TransOut"), busi("TransOutRevert"), req)
                .add(busi("TransIn"), busi("TransInRevert"), req);
    }

    /**
     * Submits in process, as a client's submit would be (so that no token is needed), and waits until the first
     * round (with its branch calls) is over.
     */
    void submit(GoTrans trans) {
        TransOutcome o = coordinator.submit(DtmJson.parseTransRequest(trans.json().getBytes(StandardCharsets.UTF_8)));
        assertThat(o.kind()).as("submit: %s", o).isEqualTo(TransOutcome.Kind.SUCCESS);
        executor.awaitIdle(IDLE_WAIT);
    }

    /**
     * Writes a failed saga straight into the store, past the checks of the API: data as a store shared with DTM,
     * or written before a check existed, may hold it. Each step's action and compensation call {@code url}.
     */
    void storeFailedSaga(String gid, String url, String rollbackReason) {
        Instant now = Instant.now();
        GlobalTransaction g = new GlobalTransaction(0, gid, TransType.SAGA, GlobalStatus.FAILED, "", "http", now,
                now, Optional.empty(), Optional.of(now), TransOptions.DEFAULT, "", Duration.ofSeconds(10), now, "", "",
                "", rollbackReason);
        List<Branch> branches = List.of(
                Branch.prepared(gid, "01", BranchOp.COMPENSATE, url, new byte[0], now)
                        .withStatus(BranchStatus.SUCCEED, now),
                Branch.prepared(gid, "01", BranchOp.ACTION, url, new byte[0], now)
                        .withStatus(BranchStatus.FAILED, now));
        assertThat(store.insert(g, branches)).as("insert %s", gid).isTrue();
    }

    /** The status of {@code gid}, read in process. */
    String status(String gid) {
        return coordinator.query(gid).orElseThrow(() -> new AssertionError("no transaction " + gid)).global()
                .status().wireName();
    }

    /** How many requests the server answered on one route, e.g. {@code requests("forcestop")}. */
    long requests(String api) {
        String prefix = "dtm_server_process_total{api=\"" + api + "\",";
        return new String(metrics.scrape(), StandardCharsets.UTF_8).lines().filter(l -> l.startsWith(prefix))
                .mapToLong(l -> (long) Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    /** One recovery step, as the poller would run it; waits for its rounds to finish. */
    void recover() {
        coordinator.recoverOnce();
        executor.awaitIdle(IDLE_WAIT);
    }

    @Override
    public void close() {
        try {
            server.close();
        } finally {
            try {
                coordinator.close();
            } finally {
                executor.shutdownNow();
                busi.close();
                invoker.close();
            }
        }
    }
}
