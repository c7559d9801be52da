package io.dtm4j.client;

import io.dtm4j.client.barrier.BranchBarrier;
import io.dtm4j.client.barrier.FakeBarrierDatabase;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicInteger;

import static io.dtm4j.client.EmbeddedFixture.QUERY_PREPARED;
import static io.dtm4j.client.EmbeddedFixture.TRANS_IN;
import static io.dtm4j.client.EmbeddedFixture.TRANS_OUT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@link Msg#doAndSubmitDb} on an embedded coordinator and a fake barrier database (DTM's MsgDoAndSubmit* tests). */
class MsgDoAndSubmitDbTest {
    private final EmbeddedFixture f = new EmbeddedFixture();
    private final FakeBarrierDatabase db = new FakeBarrierDatabase("MariaDB");
    private final AtomicInteger ran = new AtomicInteger();

    @AfterEach
    void close() {
        f.close();
    }

    @Test
    void localWorkCommitsWithTheBarrierRowThenTheMsgIsSubmitted() throws SQLException {
        String gid = f.transferMsg("msgDb").doAndSubmitDb(QUERY_PREPARED, db.dataSource(), c -> {
            assertThat(f.global("msgDb").status()).isEqualTo(GlobalStatus.PREPARED);
            ran.incrementAndGet();
        });

        assertThat(ran).hasValue(1);
        assertThat(f.global(gid).status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(db.row("msgDb", "00", "msg", "01")).get()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("msg"))
                .satisfies(r -> assertThat(r.transType()).isEqualTo("msg"));
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT, TRANS_IN);
    }

    @Test
    void aFailureAbortsAndLeavesNoRow() {
        assertThatThrownBy(() -> f.transferMsg("msgDbFailure").doAndSubmitDb(QUERY_PREPARED, db.dataSource(), c -> {
            throw new DtmFailureException("insufficient balance");
        })).isInstanceOf(DtmFailureException.class);

        assertThat(f.global("msgDbFailure").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(db.rows()).isEmpty();
        assertThat(f.busi.calls()).isEmpty();
    }

    @Test
    void aCommitReportedAsFailedIsCheckedInTheDatabaseAndSubmitted() {
        db.failNextCommitAfterApplying();

        assertThatThrownBy(() -> f.transferMsg("msgDbCommitLost").doAndSubmitDb(QUERY_PREPARED, db.dataSource(),
                c -> ran.incrementAndGet())).isInstanceOf(SQLException.class);

        assertThat(f.global("msgDbCommitLost").status()).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.urls()).as("no HTTP back-check: the database answered").containsExactly(TRANS_OUT, TRANS_IN);
    }

    @Test
    void anErrorBeforeTheCommitIsCheckedInTheDatabaseAndAborted() {
        IOException lost = new IOException("connection reset");

        assertThatThrownBy(() -> f.transferMsg("msgDbError").doAndSubmitDb(QUERY_PREPARED, db.dataSource(), c -> {
            throw lost;
        })).isSameAs(lost);

        assertThat(f.global("msgDbError").status()).isEqualTo(GlobalStatus.FAILED);
        assertThat(db.row("msgDbError", "00", "msg", "01")).get()
                .satisfies(r -> assertThat(r.reason()).as("a late commit would now be refused").isEqualTo("rollback"));
        assertThat(lost.getSuppressed()).isEmpty();
    }

    @Test
    void aBackCheckThatRanFirstMakesTheLocalWorkDuplicatedAndAborts() throws SQLException {
        BranchBarrier check = BranchBarrier.builder().transType(TransType.MSG).gid("msgDbDup").branchId("00")
                .op(BranchOp.MSG).build();
        assertThat(check.queryPrepared(db.dataSource())).isEqualTo(BranchResult.FAILURE);

        assertThatThrownBy(() -> f.transferMsg("msgDbDup").doAndSubmitDb(QUERY_PREPARED, db.dataSource(),
                c -> ran.incrementAndGet())).isInstanceOf(DtmDuplicatedException.class);

        assertThat(ran).hasValue(0);
        assertThat(f.global("msgDbDup").status()).isEqualTo(GlobalStatus.FAILED);
    }

    @Test
    void aRepeatedCallAfterACommitWhoseSubmitGotNoAnswerSubmitsWithoutRunningTheWorkAgain() throws SQLException {
        // the first call: prepared, and its local transaction committed with the barrier row; its submit got no
        // answer (the coordinator was down), so the caller makes the same call again
        f.transferMsg("msgDbRepeat").prepare(QUERY_PREPARED);
        BranchBarrier.builder().transType(TransType.MSG).gid("msgDbRepeat").branchId("00").op(BranchOp.MSG).build()
                .call(db.dataSource(), c -> ran.incrementAndGet());

        String gid = f.transferMsg("msgDbRepeat").doAndSubmitDb(QUERY_PREPARED, db.dataSource(),
                c -> ran.incrementAndGet());

        assertThat(ran).as("the local work ran once, in the first call").hasValue(1);
        assertThat(f.global(gid).status()).as("not aborted: its local transaction committed")
                .isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.busi.urls()).containsExactly(TRANS_OUT, TRANS_IN);
        assertThat(db.row("msgDbRepeat", "00", "msg", "01")).get()
                .satisfies(r -> assertThat(r.reason()).isEqualTo("msg"));
    }

    @Test
    void aCustomTableIsValidatedBeforePrepare() {
        assertThatThrownBy(() -> f.transferMsg("msgDbBadTable").doAndSubmitDb(QUERY_PREPARED, db.dataSource(),
                "x;drop", c -> ran.incrementAndGet())).isInstanceOf(IllegalArgumentException.class);

        assertThat(f.coordinator.query("msgDbBadTable")).isEmpty();
    }
}
