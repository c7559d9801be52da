package io.dtm4j.core.testing;

import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.IllegalTransitionException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TCC and XA phase two as the engine drives it (spec 3.3, 3.4), on any store: extend it and implement
 * {@link #newStore()} (see {@link ScenarioSuite}). The SDK side is tested in dtm-client.
 */
public abstract class TccXaScenarios extends ScenarioSuite {

    private void tccBranch(String gid, String branchId, String name) {
        h.coordinator.registerBranch(new BranchRegistration(gid, TransType.TCC, branchId, EngineHarness.body(30),
                Map.of("confirm", BUSI + "/" + name + "Confirm", "cancel", BUSI + "/" + name + "Revert")));
    }

    @Test
    void submitConfirmsFromLastToFirst() {
        h.coordinator.prepare(TransRequest.builder("TccNormal", TransType.TCC).build());
        tccBranch("TccNormal", "01", "TransOut");
        tccBranch("TccNormal", "02", "TransIn");

        h.coordinator.submit(TransRequest.builder("TccNormal", TransType.TCC).build());

        assertThat(h.global("TccNormal").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(h.statuses("TccNormal")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(h.busi.urls()).containsExactly(BUSI + "/TransInConfirm", BUSI + "/TransOutConfirm");
        // prepare, two registrations, submit, outcome with both confirms folded in (DTM: 7)
        assertThat(h.store.writes()).isEqualTo(5);
        assertThat(h.store.writeCalls()).as("no write that changes nothing (a submit finds the prepared one)")
                .isEqualTo(5);
    }

    @Test
    void abortCancelsAndAnOngoingCancelIsRetried() {
        h.coordinator.prepare(TransRequest.builder("TccRollback", TransType.TCC).build());
        tccBranch("TccRollback", "01", "TransOut");
        tccBranch("TccRollback", "02", "TransIn");
        h.busi.once(BUSI + "/TransOutRevert", BranchResult.ONGOING);

        h.coordinator.abort(TransRequest.builder("TccRollback", TransType.TCC).rollbackReason("try failed").build());
        assertThat(h.global("TccRollback").status()).isEqualTo(GlobalStatus.ABORTING);

        h.recoverAfter(Duration.ofSeconds(10));
        assertThat(h.global("TccRollback").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.global("TccRollback").rollbackReason()).isEqualTo("try failed");
        assertThat(h.statuses("TccRollback")).containsExactly(SUCCEED, PREPARED, SUCCEED, PREPARED);
    }

    @Test
    void preparedTccTimesOutIntoRollbackAndRefusesLateBranches() {
        h.coordinator.prepare(TransRequest.builder("TccTimeout", TransType.TCC).build());
        tccBranch("TccTimeout", "01", "TransOut");

        h.recoverAfter(Duration.ofSeconds(300));

        assertThat(h.global("TccTimeout").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(h.global("TccTimeout").rollbackReason()).matches("^Timeout after \\d+ seconds$");
        assertThatThrownBy(() -> tccBranch("TccTimeout", "02", "TransIn"))
                .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("status: prepared found");
    }

    @Test
    void xaCommitsFirstToLastWithPost() {
        h.coordinator.prepare(TransRequest.builder("XaNormal", TransType.XA).build());
        for (String id : new String[] {"01", "02"}) {
            h.coordinator.registerBranch(new BranchRegistration("XaNormal", TransType.XA, id, new byte[0],
                    Map.of("url", BUSI + "/Xa" + id)));
        }

        h.coordinator.submit(TransRequest.builder("XaNormal", TransType.XA).build());

        assertThat(h.statuses("XaNormal")).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
        assertThat(h.busi.urls()).containsExactly(BUSI + "/Xa01", BUSI + "/Xa02");
        assertThat(h.busi.calls()).allSatisfy(c -> assertThat(c.httpMethod()).isEqualTo("POST"));
    }

    @Test
    void abortOfASagaIsRefused() {
        h.coordinator.submit(EngineHarness.transferSaga("SagaNoAbort").build());

        assertThatThrownBy(() -> h.coordinator.abort(TransRequest.builder("SagaNoAbort", TransType.SAGA).build()))
                .isInstanceOf(IllegalTransitionException.class).hasMessageContaining("cannot abort");
    }

    @Test
    void aBranchOfAnotherTypeIsRefusedByAPreparedTransaction() {
        h.coordinator.prepare(EngineHarness.transferMsg("MsgNoXaBranch").build());

        assertThatThrownBy(() -> h.coordinator.registerBranch(new BranchRegistration("MsgNoXaBranch", TransType.XA,
                "02", new byte[0], Map.of("url", BUSI + "/Xa02"))))
                .isInstanceOf(IllegalTransitionException.class)
                .hasMessageContaining("gid=MsgNoXaBranch is a msg transaction; a xa branch cannot be registered");
        assertThat(h.statuses("MsgNoXaBranch")).containsExactly(PREPARED, PREPARED);
    }
}
