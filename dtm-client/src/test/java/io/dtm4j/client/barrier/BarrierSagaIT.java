package io.dtm4j.client.barrier;

import io.dtm4j.client.barrier.BusiService.Transfer;
import io.dtm4j.core.GlobalStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.sql.SQLException;
import java.util.function.UnaryOperator;

import static io.dtm4j.client.barrier.BankFixture.MARIADB;
import static io.dtm4j.client.barrier.BankFixture.POSTGRES;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Sagas between accounts on MariaDB and PostgreSQL, through an embedded coordinator, the OkHttp invoker and
 * barrier-guarded HTTP handlers (DTM's SagaBarrier tests): the total balance never changes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class BarrierSagaIT {
    private static final int USERS = 3;
    private static final long START = 1000;

    private BankFixture f;

    @BeforeAll
    void start() throws SQLException, IOException {
        f = new BankFixture("it_barrier_saga", USERS, START, UnaryOperator.identity());
    }

    @AfterAll
    void stop() {
        if (f != null) {
            f.close();
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres,1", "postgres,mariadb,2", "mariadb,mariadb,3", "postgres,postgres,3"})
    void sagaNormalMovesTheMoneyOnce(String from, String to, int user) throws SQLException {
        String gid = "sagaBarrierNormal-" + from + "-" + to;
        long total = f.total();
        long fromBefore = f.db(from).balance(user);
        long toBefore = f.db(to).balance(1);

        f.client.saga(gid)
                .add(f.busi.url("SagaBTransOut"), f.busi.url("SagaBTransOutCom"), new Transfer(from, user, 30))
                .add(f.busi.url("SagaBTransIn"), f.busi.url("SagaBTransInCom"), new Transfer(to, 1, 30))
                .submit();

        assertThat(f.status(gid)).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(f.total()).isEqualTo(total);
        if (!(from.equals(to) && user == 1)) {
            assertThat(f.db(from).balance(user)).isEqualTo(fromBefore - 30);
            assertThat(f.db(to).balance(1)).isEqualTo(toBefore + 30);
        }
        assertThat(f.db(from).barrierRows(gid)).contains("01 action 01 action");
        assertThat(f.db(to).barrierRows(gid)).contains("02 action 01 action");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres", "postgres,mariadb"})
    void sagaRollbackRestoresBothAccounts(String from, String to) throws SQLException {
        String gid = "sagaBarrierRollback-" + from + "-" + to;
        long total = f.total();
        long fromBefore = f.db(from).balance(2);
        long toBefore = f.db(to).balance(2);

        f.client.saga(gid)
                .add(f.busi.url("SagaBTransOut"), f.busi.url("SagaBTransOutCom"), new Transfer(from, 2, 30))
                .add(f.busi.url("SagaBTransIn"), f.busi.url("SagaBTransInCom"), new Transfer(to, 2, 30, "FAILURE"))
                .submit();

        assertThat(f.status(gid)).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.total()).isEqualTo(total);
        assertThat(f.db(from).balance(2)).isEqualTo(fromBefore);
        assertThat(f.db(to).balance(2)).isEqualTo(toBefore);
        assertThat(f.db(from).barrierRows(gid)).containsExactly("01 action 01 action", "01 compensate 01 compensate");
        assertThat(f.db(to).barrierRows(gid)).as("the failed TransIn left nothing: its compensation is null")
                .containsExactly("02 action 01 compensate", "02 compensate 01 compensate");
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"mariadb,postgres", "postgres,mariadb"})
    void anInsufficientBalanceFailsTheSagaWithoutChange(String from, String to) throws SQLException {
        String gid = "sagaBarrierInsufficient-" + from + "-" + to;
        long total = f.total();
        long fromBefore = f.db(from).balance(3);

        f.client.saga(gid)
                .add(f.busi.url("SagaBTransOut"), f.busi.url("SagaBTransOutCom"), new Transfer(from, 3, START * 10))
                .add(f.busi.url("SagaBTransIn"), f.busi.url("SagaBTransInCom"), new Transfer(to, 3, START * 10))
                .submit();

        assertThat(f.status(gid)).isEqualTo(GlobalStatus.FAILED);
        assertThat(f.total()).isEqualTo(total);
        assertThat(f.db(from).balance(3)).isEqualTo(fromBefore);
        assertThat(f.db(from).barrierRows(gid))
                .containsExactly("01 action 01 compensate", "01 compensate 01 compensate");
        assertThat(f.db(to).barrierRows(gid)).as("TransIn never started, so it is not compensated").isEmpty();
        assertThat(f.busi.constraintViolations).hasValue(0);
    }
}
