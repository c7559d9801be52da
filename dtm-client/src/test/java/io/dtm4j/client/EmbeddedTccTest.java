package io.dtm4j.client;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * The TCC scenarios of DTM's test suite (tcc_test, tcc_cover_test; spec clients-and-barrier 4 and 12.5)
 * through the SDK on an embedded coordinator: in-memory store, scripted branch service (which also answers
 * the SDK's own try calls), mutable clock, everything on the calling thread. Gid = test name.
 */
class EmbeddedTccTest {
    private static final String BUSI = "http://busi.test/api/busi";
    private static final String TRANS_OUT = BUSI + "/TransOut";
    private static final String TRANS_OUT_CONFIRM = BUSI + "/TransOutConfirm";
    private static final String TRANS_OUT_REVERT = BUSI + "/TransOutRevert";
    private static final String TRANS_IN = BUSI + "/TransIn";
    private static final String TRANS_IN_CONFIRM = BUSI + "/TransInConfirm";
    private static final String TRANS_IN_REVERT = BUSI + "/TransInRevert";
    private static final String TRANS_IN_NESTED = BUSI + "/TransInTccNested";
    private static final String TIMEOUT_REASON = "^Timeout after \\d+ seconds$";

    /** The request body of the canonical transfer. */
    record Transfer(int amount) {
    }

    /**
     * The scripted busi, plus handlers that run code for a URL (a try handler that nests, or checks what the
     * coordinator holds while it is being called).
     */
    static final class Busi implements BranchInvoker {
        final ScriptedBranchInvoker scripted = new ScriptedBranchInvoker();
        private final Map<String, Function<BranchCall, BranchOutcome>> handlers = new ConcurrentHashMap<>();

        void handle(String url, Function<BranchCall, BranchOutcome> handler) {
            handlers.put(url, handler);
        }

        @Override
        public BranchOutcome invoke(BranchCall call) {
            BranchOutcome scriptedOutcome = scripted.invoke(call);
            Function<BranchCall, BranchOutcome> h = handlers.get(call.url());
            return h == null || scriptedOutcome.result() != BranchResult.SUCCESS ? scriptedOutcome : h.apply(call);
        }

        List<BranchCall> calls() {
            return scripted.calls();
        }

        /** The calls as {@code <url tail>:<op>:<branch id>}, e.g. {@code TransOut:try:01}. */
        List<String> trace() {
            return calls().stream().map(c -> c.url().substring(BUSI.length() + 1) + ":" + c.op() + ":" + c.branchId())
                    .toList();
        }
    }

    private final MutableClock clock = MutableClock.startingAtEpochOf2026();
    private final Busi busi = new Busi();
    private final Coordinator coordinator = Coordinator.builder().store(new InMemoryTransactionStore()).invoker(busi)
            .clock(clock).executor(new DirectExecutorService()).build();
    private final DtmClient dtm = DtmClient.builder().coordinator(coordinator).branchInvoker(busi).build();

    @AfterEach
    void close() {
        dtm.close();
        coordinator.close();
    }

    private static String transOut(Tcc tcc) {
        return tcc.callBranch(new Transfer(30), TRANS_OUT, TRANS_OUT_CONFIRM, TRANS_OUT_REVERT);
    }

    private static String transIn(Tcc tcc) {
        return tcc.callBranch(new Transfer(30), TRANS_IN, TRANS_IN_CONFIRM, TRANS_IN_REVERT);
    }

    private GlobalTransaction global(String gid) {
        return coordinator.query(gid).orElseThrow().global();
    }

    private List<Branch> branches(String gid) {
        return coordinator.query(gid).orElseThrow().branches();
    }

    /** Branch statuses in stored row order: [cancel01, confirm01, cancel02, confirm02, ...]. */
    private List<BranchStatus> statuses(String gid) {
        return branches(gid).stream().map(Branch::status).toList();
    }

    private void recoverAfter(Duration d) {
        clock.advance(d);
        coordinator.recoverOnce();
    }

    private static Map<String, String> query(BranchCall call) {
        return Map.of("gid", call.gid(), "trans_type", call.transType().wireName(), "branch_id", call.branchId(),
                "op", call.op());
    }

    // ---- tcc_test.go ----

    @Test
    void tccNormal() {
        String result = dtm.tcc("tccNormal", tcc -> {
            transOut(tcc);
            return transIn(tcc);
        });

        assertThat(result).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        assertThat(global("tccNormal").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(global("tccNormal").rollbackReason()).isEmpty();
        assertThat(statuses("tccNormal")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        // tries in order, then confirms from the last registered branch to the first
        assertThat(busi.trace()).containsExactly("TransOut:try:01", "TransIn:try:02", "TransInConfirm:confirm:02",
                "TransOutConfirm:confirm:01");
    }

    @Test
    void registrationRowsAndTryCallAreWhatDtmExpects() {
        dtm.tcc("tccRows", tcc -> transOut(tcc));

        List<Branch> rows = branches("tccRows");
        assertThat(rows).extracting(b -> b.op().wireName()).containsExactly("cancel", "confirm");
        assertThat(rows).extracting(Branch::url).containsExactly(TRANS_OUT_REVERT, TRANS_OUT_CONFIRM);
        assertThat(rows).extracting(Branch::branchId).containsExactly("01", "01");
        assertThat(new String(rows.get(0).binData(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":30}");
        BranchCall tryCall = busi.calls().get(0);
        assertThat(tryCall.transType()).isEqualTo(TransType.TCC);
        assertThat(tryCall.httpMethod()).isEqualTo("POST");
        assertThat(new String(tryCall.body(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":30}");
        // embedded: no dtm server URL to pass on, so the URL is the try URL as given
        assertThat(tryCall.url()).isEqualTo(TRANS_OUT);
        assertThat(tryCall.timeout()).isEqualTo(DtmClient.DEFAULT_TIMEOUT);
    }

    @Test
    void branchIsRegisteredBeforeItsTryIsCalled() {
        busi.handle(TRANS_OUT, call -> {
            List<Branch> rows = branches(call.gid());
            assertThat(rows).extracting(Branch::branchId).containsExactly("01", "01");
            assertThat(rows).extracting(Branch::status).containsOnly(PREPARED);
            return BranchOutcome.of(BranchResult.SUCCESS, "{}");
        });

        dtm.tcc("tccRegisterFirst", tcc -> transOut(tcc));

        assertThat(global("tccRegisterFirst").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void tccRollback() {
        busi.scripted.once(TRANS_IN, BranchResult.FAILURE, "{\"dtm_result\":\"FAILURE\",\"message\":\"reason:x\"}");

        DtmFailureException e = catchThrowableOfType(DtmFailureException.class, () -> dtm.tcc("tccRollback", tcc -> {
            transOut(tcc);
            return transIn(tcc);
        }));

        assertThat(e).hasMessageContaining("gid=tccRollback branch=02 op=try").hasMessageContaining("FAILURE");
        assertThat(e.getSuppressed()).isEmpty();
        assertThat(global("tccRollback").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global("tccRollback").rollbackReason()).isEqualTo(e.getMessage()).contains("FAILURE");
        assertThat(statuses("tccRollback")).containsExactly(SUCCEED, PREPARED, SUCCEED, PREPARED);
        // cancel is called for every registered branch, the failed one too, last first
        assertThat(busi.trace()).containsExactly("TransOut:try:01", "TransIn:try:02", "TransInRevert:cancel:02",
                "TransOutRevert:cancel:01");
    }

    @Test
    void anOngoingCancelIsRetriedByRecovery() {
        busi.scripted.once(TRANS_IN, BranchResult.FAILURE);
        busi.scripted.once(TRANS_OUT_REVERT, BranchResult.ONGOING);

        assertThatThrownBy(() -> dtm.tcc("tccCancelOngoing", tcc -> {
            transOut(tcc);
            return transIn(tcc);
        })).isInstanceOf(DtmFailureException.class);
        assertThat(global("tccCancelOngoing").status()).isEqualTo(GlobalStatus.ABORTING);
        assertThat(statuses("tccCancelOngoing")).containsExactly(PREPARED, PREPARED, SUCCEED, PREPARED);

        recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);

        assertThat(global("tccCancelOngoing").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(statuses("tccCancelOngoing")).containsExactly(SUCCEED, PREPARED, SUCCEED, PREPARED);
    }

    @Test
    void tccTimeout() {
        DtmFailureException e = catchThrowableOfType(DtmFailureException.class, () -> dtm.tcc("tccTimeout", tcc -> {
            transOut(tcc);
            // the coordinator times the transaction out while the body is still trying
            recoverAfter(Duration.ofSeconds(300));
            return transIn(tcc);
        }));

        assertThat(e).hasMessageContaining("status: prepared found").hasMessageContaining("registerBranch");
        // the abort after it is refused too (already failed) and attached to the exception
        assertThat(e.getSuppressed()).singleElement().isInstanceOf(DtmFailureException.class);
        GlobalTransaction g = global("tccTimeout");
        assertThat(g.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(g.rollbackReason()).matches(TIMEOUT_REASON);
        assertThat(statuses("tccTimeout")).containsExactly(SUCCEED, PREPARED);
        // the late branch was refused before its try was called
        assertThat(busi.trace()).containsExactly("TransOut:try:01", "TransOutRevert:cancel:01");
    }

    @Test
    void ownTimeoutToFailIsStoredAndApplied() {
        TccTransaction t = dtm.tcc("tccOwnTimeout").timeoutToFail(Duration.ofSeconds(120))
                .retryInterval(Duration.ofSeconds(15));

        assertThatThrownBy(() -> t.execute(tcc -> {
            transOut(tcc);
            recoverAfter(Duration.ofSeconds(60));
            assertThat(global("tccOwnTimeout").status()).isEqualTo(GlobalStatus.PREPARED);
            recoverAfter(Duration.ofSeconds(70));
            return transIn(tcc);
        })).isInstanceOf(DtmFailureException.class);

        GlobalTransaction g = global("tccOwnTimeout");
        assertThat(g.options().timeoutToFail()).isEqualTo(Duration.ofSeconds(120));
        assertThat(g.options().retryInterval()).isEqualTo(Duration.ofSeconds(15));
        assertThat(g.status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(g.rollbackReason()).matches(TIMEOUT_REASON);
    }

    @Test
    void branchHeadersReachTryAndConfirm() {
        dtm.tcc("tccHeaders").branchHeader("test_header", "test").execute(tcc -> transOut(tcc));

        assertThat(global("tccHeaders").options().branchHeaders()).containsEntry("test_header", "test");
        assertThat(busi.trace()).containsExactly("TransOut:try:01", "TransOutConfirm:confirm:01");
        assertThat(busi.calls()).allSatisfy(c -> assertThat(c.headers()).containsEntry("test_header", "test"));
    }

    @Test
    void requestTimeoutAppliesToTheTryCall() {
        dtm.tcc("tccRequestTimeout").requestTimeout(Duration.ofSeconds(7)).execute(tcc -> transOut(tcc));

        assertThat(busi.calls()).extracting(BranchCall::timeout).containsOnly(Duration.ofSeconds(7));
    }

    // ---- tcc_cover_test.go ----

    @Test
    void tccNested() {
        busi.handle(TRANS_IN_NESTED, call -> {
            Tcc nested = Tcc.fromBranch(dtm, query(call));
            assertThat(nested.parentBranchId()).isEqualTo("02");
            transIn(nested);
            return BranchOutcome.of(BranchResult.SUCCESS, "{\"dtm_result\":\"SUCCESS\"}");
        });

        dtm.tcc("tccNested", tcc -> {
            transOut(tcc);
            return tcc.callBranch(new Transfer(30), TRANS_IN_NESTED, TRANS_IN_CONFIRM, TRANS_IN_REVERT);
        });

        assertThat(global("tccNested").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(branches("tccNested")).extracting(Branch::branchId)
                .containsExactly("01", "01", "02", "02", "0201", "0201");
        assertThat(statuses("tccNested")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(busi.trace()).containsExactly("TransOut:try:01", "TransInTccNested:try:02", "TransIn:try:0201",
                "TransInConfirm:confirm:0201", "TransInConfirm:confirm:02", "TransOutConfirm:confirm:01");
    }

    @Test
    void aFailedNestedTryRollsEverythingBack() {
        busi.scripted.once(TRANS_IN, BranchResult.FAILURE);
        busi.handle(TRANS_IN_NESTED, call -> {
            try {
                transIn(Tcc.fromBranch(dtm, query(call)));
                return BranchOutcome.success();
            } catch (DtmFailureException e) {
                return BranchOutcome.of(BranchResult.FAILURE, e.getMessage());
            }
        });

        assertThatThrownBy(() -> dtm.tcc("tccNestedRollback", tcc -> {
            transOut(tcc);
            return tcc.callBranch(new Transfer(30), TRANS_IN_NESTED, TRANS_IN_CONFIRM, TRANS_IN_REVERT);
        })).isInstanceOf(DtmFailureException.class);

        assertThat(global("tccNestedRollback").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(statuses("tccNestedRollback")).containsExactly(SUCCEED, PREPARED, SUCCEED, PREPARED, SUCCEED,
                PREPARED);
    }

    @Test
    void runtimeExceptionInTheBodyAborts() {
        IllegalStateException boom = new IllegalStateException("insufficient balance");

        Throwable thrown = catchThrowableOfType(IllegalStateException.class, () -> dtm.tcc("tccPanic", tcc -> {
            transOut(tcc);
            throw boom;
        }));

        assertThat(thrown).isSameAs(boom);
        assertThat(global("tccPanic").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(global("tccPanic").rollbackReason()).isEqualTo("insufficient balance");
        assertThat(statuses("tccPanic")).containsExactly(SUCCEED, PREPARED);
    }

    @Test
    void checkedExceptionInTheBodyAbortsAndIsRethrownAsIs() {
        IOException io = new IOException();

        assertThatThrownBy(() -> dtm.tcc("tccChecked", tcc -> {
            transOut(tcc);
            throw io;
        })).isSameAs(io);

        assertThat(global("tccChecked").status()).isEqualTo(GlobalStatus.FAILED);
        // no message: the class name says what happened
        assertThat(global("tccChecked").rollbackReason()).isEqualTo("java.io.IOException");
    }

    @Test
    void anOngoingTryAborts() {
        busi.scripted.once(TRANS_OUT, BranchResult.ONGOING);

        assertThatThrownBy(() -> dtm.tcc("tccTryOngoing", tcc -> transOut(tcc)))
                .isInstanceOf(DtmOngoingException.class).hasMessageContaining("answered ONGOING");

        assertThat(global("tccTryOngoing").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(statuses("tccTryOngoing")).containsExactly(SUCCEED, PREPARED);
    }

    @Test
    void aTryAnsweringAnHttpErrorIsAServerException() {
        busi.scripted.once(TRANS_OUT, BranchResult.ERROR, "HTTP 500: {\"message\":\"ERROR from user\"}");

        DtmServerException e = catchThrowableOfType(DtmServerException.class,
                () -> dtm.tcc("tccTryError", tcc -> transOut(tcc)));

        assertThat(e.statusCode()).isEqualTo(500);
        assertThat(global("tccTryError").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void aTryWithoutAnswerIsATransportException() {
        busi.scripted.once(TRANS_OUT, BranchResult.ERROR, "POST http://busi.test:80/api/busi/TransOut: timed out");

        DtmTransportException e = catchThrowableOfType(DtmTransportException.class,
                () -> dtm.tcc("tccTryTimeout", tcc -> transOut(tcc)));

        assertThat(e.url()).isEqualTo(TRANS_OUT);
        assertThat(global("tccTryTimeout").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void waitResultReportsAnOngoingConfirm() {
        busi.scripted.once(TRANS_OUT_CONFIRM, BranchResult.ONGOING);

        assertThatThrownBy(() -> dtm.tcc("tccWaitOngoing").waitResult().execute(tcc -> transOut(tcc)))
                .isInstanceOf(DtmOngoingException.class);
        assertThat(global("tccWaitOngoing").options().waitResult()).isTrue();
        assertThat(global("tccWaitOngoing").status()).isEqualTo(GlobalStatus.SUBMITTED);

        recoverAfter(Coordinator.DEFAULT_RETRY_INTERVAL);
        assertThat(global("tccWaitOngoing").status()).isEqualTo(GlobalStatus.SUCCEED);
    }

    @Test
    void waitResultReturnsOnceConfirmed() {
        String body = dtm.tcc("tccWait").waitResult().execute(tcc -> transOut(tcc));

        assertThat(body).contains("SUCCESS");
        assertThat(global("tccWait").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(statuses("tccWait")).containsExactly(PREPARED, SUCCEED);
    }

    @Test
    void refusedPrepareDoesNotRunTheBody() {
        dtm.saga("tccGidTaken").add(TRANS_OUT, TRANS_OUT_REVERT, new Transfer(30)).submit();

        assertThatThrownBy(() -> dtm.tcc("tccGidTaken", tcc -> {
            throw new AssertionError("the body must not run");
        })).isInstanceOf(DtmFailureException.class);
    }

    @Test
    void newGidVariantRunsTheTransaction() {
        String[] gid = new String[1];

        dtm.tcc(tcc -> {
            gid[0] = tcc.gid();
            return transOut(tcc);
        });

        assertThat(gid[0]).hasSize(22);
        assertThat(global(gid[0]).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(dtm.tcc().gid()).isNotEqualTo(gid[0]);
    }

    @Test
    void emptyConfirmAndCancelUrlsCountAsSuccess() {
        dtm.tcc("tccEmptyUrls", tcc -> tcc.callBranch(new Transfer(30), TRANS_OUT, "", ""));

        assertThat(global("tccEmptyUrls").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(busi.trace()).containsExactly("TransOut:try:01");
    }

    @Test
    void atMost99BranchesPerLevel() {
        IllegalStateException e = catchThrowableOfType(IllegalStateException.class, () -> dtm.tcc("tcc100", tcc -> {
            for (int i = 0; i < 100; i++) {
                tcc.callBranch("{}", TRANS_OUT, "", "");
            }
            return null;
        }));

        assertThat(e).hasMessageContaining("more than 99 branches");
        assertThat(branches("tcc100")).hasSize(2 * 99);
        assertThat(branches("tcc100").get(2 * 98).branchId()).isEqualTo("99");
        assertThat(global("tcc100").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void fromBranchChecksItsInput() {
        assertThatThrownBy(() -> Tcc.fromBranch(dtm, Map.of("branch_id", "01")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no gid");
        assertThatThrownBy(() -> Tcc.fromBranch(dtm, Map.of("gid", "g")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no branch_id");
        assertThatThrownBy(() -> Tcc.fromBranch(dtm, Map.of("gid", "g", "branch_id", "01", "trans_type", "saga")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("trans_type=saga");
    }

    @Test
    void nestingIsLimitedToBranchIdsUnder20Characters() {
        coordinator.prepare(dtm.tcc("tccDeep").toRequest(""));
        Tcc deep = Tcc.fromBranch(dtm, Map.of("gid", "tccDeep", "branch_id", "01".repeat(10)));
        Tcc ok = Tcc.fromBranch(dtm, Map.of("gid", "tccDeep", "branch_id", "01".repeat(9) + "0"));

        assertThatThrownBy(() -> transOut(deep)).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("nesting is too deep");
        assertThat(ok.callBranch("{}", TRANS_OUT, "", "")).contains("SUCCESS");
        assertThat(branches("tccDeep").get(0).branchId()).isEqualTo("01".repeat(9) + "001");
    }

    @Test
    void badUrlsAreRefusedBeforeAnythingIsRegistered() {
        assertThatThrownBy(() -> dtm.tcc("tccBadUrl", tcc -> tcc.callBranch("{}", "busi/TransOut", "", "")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tryUrl");

        assertThat(branches("tccBadUrl")).isEmpty();
        assertThat(global("tccBadUrl").status()).isEqualTo(GlobalStatus.FAILED);
    }
}
