package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmDuplicatedException;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.Msg;
import io.dtm4j.client.barrier.BusiService.Transfer;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.sql.SQLException;
import java.time.Duration;
import java.util.function.UnaryOperator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Two-phase messages whose local transaction debits one database behind the msg barrier
 * ({@link Msg#doAndSubmitDb}) and whose branch credits the other (DTM's MsgDoAndSubmit tests): the money
 * moves exactly when the local transaction committed.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BarrierMsgIT {
    private static final long START = 1000;
    private static final Duration PAST_TIMEOUT = Coordinator.DEFAULT_TIMEOUT_TO_FAIL.plusSeconds(1);

    private BankFixture f;

    @BeforeAll
    void start() throws SQLException, IOException {
        f = new BankFixture("it_barrier_msg", 2, START, UnaryOperator.identity());
    }

    @AfterAll
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    private Msg transfer(String gid, String from, String to, long amount) {
        return f.client.msg(gid).add(f.busi.url("SagaBTransIn"), new Transfer(to, 1, amount));
    }

    private BarrierWork<SQLException> debit(String from, long amount) {
        return c -> TestDatabase.adjustBalance(c, f.db(from).accountTable(), 1, -amount);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres", "postgres,mariadb"})
    void doAndSubmitDbMovesTheMoney(String from, String to) throws SQLException {
        String gid = "msgBarrierNormal-" + from;
        long total = f.total();
        long fromBefore = f.db(from).balance(1);

        transfer(gid, from, to, 30).doAndSubmitDb(f.busi.queryPreparedUrl(from), f.db(from).dataSource(),
                f.db(from).barrierTable(), debit(from, 30));

        assertThat(f.status(gid)).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.db(from).balance(1)).isEqualTo(fromBefore - 30);
        assertThat(f.total()).isEqualTo(total);
        assertThat(f.db(from).barrierRows(gid)).containsExactly("00 msg 01 msg");
        assertThat(f.db(to).barrierRows(gid)).containsExactly("01 action 01 action");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres", "postgres,mariadb"})
    void aBusinessErrorSubmitsNothingAndChangesNothing(String from, String to) throws SQLException {
        String gid = "msgBarrierBusiError-" + from;
        long total = f.total();
        long fromBefore = f.db(from).balance(1);

        assertThatThrownBy(() -> transfer(gid, from, to, START * 10).doAndSubmitDb(f.busi.queryPreparedUrl(from),
                f.db(from).dataSource(), f.db(from).barrierTable(), debit(from, START * 10)))
                .isInstanceOf(DtmFailureException.class);

        assertThat(f.status(gid)).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.db(from).balance(1)).isEqualTo(fromBefore);
        assertThat(f.total()).isEqualTo(total);
        assertThat(f.db(from).barrierRows(gid)).isEmpty();
        assertThat(f.db(to).barrierRows(gid)).isEmpty();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres", "postgres,mariadb"})
    void aCommitReportedAsFailedIsBackCheckedAndSubmitted(String from, String to) throws SQLException {
        String gid = "msgBarrierCommitLost-" + from;
        long total = f.total();
        long fromBefore = f.db(from).balance(1);
        f.db(from).failNextCommits(1);

        assertThatThrownBy(() -> transfer(gid, from, to, 30).doAndSubmitDb(f.busi.queryPreparedUrl(from),
                f.db(from).dataSource(), f.db(from).barrierTable(), debit(from, 30)))
                .isInstanceOf(SQLException.class).hasMessageContaining("injected");

        assertThat(f.status(gid)).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.db(from).balance(1)).isEqualTo(fromBefore - 30);
        assertThat(f.total()).isEqualTo(total);
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres", "postgres,mariadb"})
    void aCrashBeforeSubmitIsSettledByTheCoordinatorsBackCheck(String from, String to) throws SQLException {
        String gid = "msgBarrierCrash-" + from;
        long total = f.total();
        Msg msg = transfer(gid, from, to, 30);
        msg.prepare(f.busi.queryPreparedUrl(from));
        msgBarrier(from, gid).call(f.db(from).dataSource(), debit(from, 30));

        f.recoverAfter(PAST_TIMEOUT);

        assertThat(f.status(gid)).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.total()).isEqualTo(total);
        assertThat(f.busi.count("queryPrepared", "SUCCESS")).isPositive();
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres", "postgres,mariadb"})
    void aBackCheckBeforeTheLocalTransactionFailsTheMsgAndRefusesTheLateOne(String from, String to)
            throws SQLException {
        String gid = "msgBarrierLateLocal-" + from;
        long total = f.total();
        transfer(gid, from, to, 30).prepare(f.busi.queryPreparedUrl(from));

        f.recoverAfter(PAST_TIMEOUT);
        assertThat(f.status(gid)).isEqualTo(GlobalStatus.FAILED);

        assertThatThrownBy(() -> msgBarrier(from, gid).call(f.db(from).dataSource(), debit(from, 30)))
                .isInstanceOf(DtmDuplicatedException.class);
        assertThat(f.total()).isEqualTo(total);
        assertThat(f.db(from).barrierRows(gid)).containsExactly("00 msg 01 rollback");
    }

    private BranchBarrier msgBarrier(String store, String gid) {
        return f.db(store).barrier().transType(TransType.MSG).gid(gid).branchId("00").op(BranchOp.MSG).build();
    }
}
