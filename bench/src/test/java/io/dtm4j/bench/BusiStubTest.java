package io.dtm4j.bench;

import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The busi stub answers as the coordinator's invoker classifies DTM answers, and counts every call. */
class BusiStubTest {
    private BusiStub busi;
    private OkHttpBranchInvoker invoker;

    @BeforeEach
    void start() {
        busi = BusiStub.start(2);
        invoker = OkHttpBranchInvoker.builder().build();
    }

    @AfterEach
    void stop() {
        invoker.close();
        busi.close();
    }

    @Test
    void answersSuccessFailureAndOngoingAndCountsEachEndpoint() {
        assertThat(call("g1", "TransOut")).isEqualTo(BranchResult.SUCCESS);
        assertThat(call("g1", BusiStub.SAGA_FAILING_ACTION)).isEqualTo(BranchResult.FAILURE);
        busi.ongoingActions(true);
        try {
            assertThat(call("g2", "TransIn")).isEqualTo(BranchResult.ONGOING);
            assertThat(call("g2", "TransInCom")).as("compensations are not actions").isEqualTo(BranchResult.SUCCESS);
        } finally {
            busi.ongoingActions(false);
        }
        assertThat(busi.counts()).containsEntry("TransOut", 1L).containsEntry("TransIn", 1L)
                .containsEntry("TransInCom", 1L).containsEntry(BusiStub.SAGA_FAILING_ACTION, 1L);
    }

    @Test
    void failPercentHundredFailsEveryAction() {
        busi.failPercent(100);
        try {
            assertThat(call("g3", "TryOut")).isEqualTo(BranchResult.FAILURE);
        } finally {
            busi.failPercent(0);
        }
    }

    @Test
    void tracksCallsPerGidWhenAsked() {
        busi.trackGids(true);
        try {
            call("tracked", "TransOut");
            call("tracked", "TransOut");
        } finally {
            busi.trackGids(false);
        }
        assertThat(busi.callsFor("tracked", "TransOut")).isEqualTo(2);
        busi.clearGids();
        assertThat(busi.callsFor("tracked", "TransOut")).isZero();
    }

    @Test
    void aSqlEndpointWithoutItsDatabaseAnswersErrorNotSuccess() {
        assertThat(call("g4", "TransOut" + BusiStub.SQL_SUFFIX)).as("no business work was done")
                .isEqualTo(BranchResult.ERROR);
        assertThat(busi.counts()).containsEntry("TransOut" + BusiStub.SQL_SUFFIX, 1L);
    }

    private BranchResult call(String gid, String endpoint) {
        return invoker.invoke(new BranchCall(gid, TransType.SAGA, "01", "action", busi.url() + "/" + endpoint,
                Workload.BODY.getBytes(StandardCharsets.UTF_8), "http", Map.of(), Duration.ofSeconds(5))).result();
    }
}
