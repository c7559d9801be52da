package io.dtm4j.client.barrier;

import io.dtm4j.client.DtmDuplicatedException;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The barrier's algorithm and connection handling on a fake JDBC database (no network). */
class BranchBarrierTest {
    private final FakeBarrierDatabase db = new FakeBarrierDatabase("MariaDB");
    private final AtomicInteger ran = new AtomicInteger();
    private final BarrierWork<RuntimeException> work = c -> ran.incrementAndGet();

    private static BranchBarrier barrier(String transType, String gid, String op) {
        return BranchBarrier.fromQuery(Map.of("trans_type", transType, "gid", gid, "branch_id", "01", "op", op));
    }

    @Nested
    class Building {
        @Test
        void fromQueryReadsTheFourKeysAndIgnoresOthers() {
            BranchBarrier b = BranchBarrier.fromQuery(Map.of("trans_type", "tcc", "gid", "g1", "branch_id", "0101",
                    "op", "cancel", "dtm", "http://dtm"));

            assertThat(b.transType()).isEqualTo(TransType.TCC);
            assertThat(b.gid()).isEqualTo("g1");
            assertThat(b.branchId()).isEqualTo("0101");
            assertThat(b.op()).isEqualTo(BranchOp.CANCEL);
            assertThat(b.tableName()).isEqualTo(BranchBarrier.DEFAULT_TABLE_NAME);
            assertThat(b.dialect()).isEmpty();
        }

        @Test
        void fromParameterMapTakesTheFirstValue() {
            BranchBarrier b = BranchBarrier.fromParameterMap(Map.of("trans_type", new String[] {"saga"},
                    "gid", new String[] {"g2", "other"}, "branch_id", new String[] {"02"},
                    "op", new String[] {"compensate"}));

            assertThat(b.gid()).isEqualTo("g2");
            assertThat(b.op()).isEqualTo(BranchOp.COMPENSATE);
        }

        @Test
        void missingKeysAreAllNamed() {
            assertThatThrownBy(() -> BranchBarrier.fromQuery(Map.of("trans_type", "saga", "branch_id", "01")))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("missing gid, op")
                    .hasMessageContaining("query parameters");
            Map<String, String> blankGid = new HashMap<>(Map.of("trans_type", "saga", "gid", " ", "branch_id", "01",
                    "op", "action"));
            assertThatThrownBy(() -> BranchBarrier.fromQuery(blankGid)).hasMessageContaining("missing gid");
        }

        @Test
        void unknownOpOrTypeIsAnIllegalArgument() {
            assertThatThrownBy(() -> barrier("saga", "g", "jump"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("gid=g")
                    .hasMessageContaining("jump");
            assertThatThrownBy(() -> barrier("batch", "g", "action"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("batch");
        }

        @Test
        void idsLongerThanTheColumnAreRefused() {
            assertThatThrownBy(() -> barrier("saga", "g".repeat(129), "action"))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("gid is 129 characters");
        }

        @Test
        void tableNameMustBeASafeIdentifier() {
            BranchBarrier.Builder b = BranchBarrier.builder();
            assertThat(b.tableName("busi.barrier")).isSameAs(b);
            assertThat(b.tableName("barrier")).isSameAs(b);
            for (String bad : List.of("", "a.b.c", "barrier; drop table x", "9lives", "dtm-barrier", "`t`",
                    "t".repeat(65))) {
                assertThatThrownBy(() -> BranchBarrier.builder().tableName(bad))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("barrier table name");
            }
        }

        @Test
        void explicitBuilder() {
            BranchBarrier b = BranchBarrier.builder().transType(TransType.MSG).gid("g").branchId("00")
                    .op(BranchOp.MSG).tableName("busi.barrier").dialect(BarrierDialect.POSTGRES).build();

            assertThat(b.tableName()).isEqualTo("busi.barrier");
            assertThat(b.dialect()).contains(BarrierDialect.POSTGRES);
            assertThat(b).hasToString("gid=g branch=00 op=msg");
        }
    }

    @Nested
    class Algorithm {
        @Test
        void barrierIdsCountCallsOnTheSameObject() throws SQLException {
            BranchBarrier b = barrier("saga", "ids", "action");
            b.call(db.dataSource(), work);
            b.call(db.dataSource(), work);

            assertThat(db.rows()).extracting(FakeBarrierDatabase.Row::barrierId).containsExactly("01", "02");
            assertThat(ran).hasValue(2);
        }

        @ParameterizedTest(name = "{0}: {1} then {2}")
        @CsvSource({"saga,action,compensate", "tcc,try,cancel", "xa,action,rollback", "workflow,action,rollback"})
        void forwardThenCompensationBothRun(String type, String forward, String backward) throws SQLException {
            assertThat(barrier(type, "normal", forward).call(db.dataSource(), work)).isEqualTo(BarrierOutcome.EXECUTED);
            assertThat(barrier(type, "normal", backward).call(db.dataSource(), work))
                    .isEqualTo(BarrierOutcome.EXECUTED);

            assertThat(ran).hasValue(2);
            assertThat(db.row("normal", "01", forward, "01")).get().extracting(FakeBarrierDatabase.Row::reason)
                    .isEqualTo(forward);
            assertThat(db.row("normal", "01", backward, "01")).get().extracting(FakeBarrierDatabase.Row::reason)
                    .isEqualTo(backward);
        }

        @ParameterizedTest(name = "{0}: {1}")
        @CsvSource({"saga,action", "saga,compensate", "tcc,try", "tcc,confirm", "tcc,cancel", "xa,rollback"})
        void aRepeatedRequestIsSkipped(String type, String op) throws SQLException {
            assertThat(barrier(type, "dup", op).call(db.dataSource(), work)).isIn(BarrierOutcome.EXECUTED,
                    BarrierOutcome.NULL_COMPENSATION);
            int before = ran.get();

            assertThat(barrier(type, "dup", op).call(db.dataSource(), work))
                    .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);
            assertThat(ran).hasValue(before);
        }

        @ParameterizedTest(name = "{0}: {2} before {1}")
        @CsvSource({"saga,action,compensate", "tcc,try,cancel", "xa,action,rollback"})
        void compensationFirstIsNullAndTheLateForwardOpHangs(String type, String forward, String backward)
                throws SQLException {
            assertThat(barrier(type, "null", backward).call(db.dataSource(), work))
                    .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
            assertThat(barrier(type, "null", forward).call(db.dataSource(), work))
                    .isEqualTo(BarrierOutcome.DUPLICATE_OR_HANGING);

            assertThat(ran).hasValue(0);
            assertThat(db.row("null", "01", forward, "01")).get().extracting(FakeBarrierDatabase.Row::reason)
                    .as("the origin row records which op inserted it").isEqualTo(backward);
        }

        @Test
        void confirmHasNoOriginRow() throws SQLException {
            barrier("tcc", "confirm", "confirm").call(db.dataSource(), work);

            assertThat(db.rows()).extracting(FakeBarrierDatabase.Row::op).containsExactly("confirm");
        }

        @Test
        void msgOpFindingItsRowThrowsDuplicated() throws SQLException {
            BranchBarrier check = barrier("msg", "msgDup", "msg");
            assertThat(check.queryPrepared(db.dataSource())).isEqualTo(BranchResult.FAILURE);

            BranchBarrier local = BranchBarrier.builder().transType(TransType.MSG).gid("msgDup").branchId("00")
                    .op(BranchOp.MSG).build();
            assertThatThrownBy(() -> local.call(db.dataSource(), work))
                    .isInstanceOf(DtmDuplicatedException.class)
                    .isInstanceOf(DtmFailureException.class)
                    .hasMessageContaining("gid=msgDup branch=00 op=msg barrier=01");
            assertThat(ran).hasValue(0);
        }

        @Test
        void aBusinessExceptionRollsTheBarrierRowBack() {
            IOException boom = new IOException("disk full");

            assertThatThrownBy(() -> barrier("saga", "boom", "action").call(db.dataSource(), c -> {
                throw boom;
            })).isSameAs(boom);

            assertThat(db.rows()).isEmpty();
            assertThat(db.rollbacks()).isEqualTo(1);
            assertThat(db.openConnections()).isZero();
        }

        @Test
        void aFailureLeavesNoRowSoTheCompensationIsNull() throws SQLException {
            assertThatThrownBy(() -> barrier("saga", "fail", "action").call(db.dataSource(), c -> {
                throw new DtmFailureException("insufficient balance");
            })).isInstanceOf(DtmFailureException.class);

            assertThat(barrier("saga", "fail", "compensate").call(db.dataSource(), work))
                    .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
            assertThat(ran).hasValue(0);
        }

        @Test
        void twoCallsInOneHandlerAreMatchedByTheCompensation() throws SQLException {
            BranchBarrier action = barrier("saga", "twice", "action");
            action.call(db.dataSource(), work);
            action.call(db.dataSource(), work);

            BranchBarrier compensate = barrier("saga", "twice", "compensate");
            assertThat(compensate.call(db.dataSource(), work)).isEqualTo(BarrierOutcome.EXECUTED);
            assertThat(compensate.call(db.dataSource(), work)).isEqualTo(BarrierOutcome.EXECUTED);
            assertThat(compensate.call(db.dataSource(), work)).as("a third call has no matching action")
                    .isEqualTo(BarrierOutcome.NULL_COMPENSATION);
            assertThat(ran).hasValue(4);
        }
    }

    @Nested
    class ConnectionModes {
        @Test
        void dataSourceModeCommitsAndCloses() throws SQLException {
            barrier("saga", "ds", "action").call(db.dataSource(), work);

            assertThat(db.commits()).isEqualTo(1);
            assertThat(db.openConnections()).isZero();
            assertThat(db.rows()).hasSize(1);
        }

        @Test
        void dataSourceModeCommitsAlsoWhenThePoolHandsOutConnectionsWithoutAutoCommit() throws SQLException {
            db.openConnectionsWithoutAutoCommit();

            barrier("saga", "dsNoAuto", "action").call(db.dataSource(), work);

            assertThat(db.rows()).hasSize(1);
            assertThat(db.openConnections()).isZero();
        }

        @Test
        void autoCommitConnectionGetsItsOwnTransactionAndAutoCommitBack() throws SQLException {
            Connection c = db.connection();

            barrier("saga", "auto", "action").call(c, conn -> {
                assertThat(conn).isSameAs(c);
                assertThat(conn.getAutoCommit()).isFalse();
            });

            assertThat(c.getAutoCommit()).isTrue();
            assertThat(c.isClosed()).isFalse();
            assertThat(db.rows()).hasSize(1);
        }

        @Test
        void autoCommitIsRestoredAfterAFailure() throws SQLException {
            Connection c = db.connection();

            assertThatThrownBy(() -> barrier("saga", "autoFail", "action").call(c, conn -> {
                throw new IllegalStateException("bug");
            })).isInstanceOf(IllegalStateException.class);

            assertThat(c.getAutoCommit()).isTrue();
            assertThat(db.rows()).isEmpty();
        }

        @Test
        void openTransactionIsJoinedAndTheCallerDecides() throws SQLException {
            Connection c = db.connection();
            c.setAutoCommit(false);

            assertThat(barrier("saga", "joined", "action").call(c, work)).isEqualTo(BarrierOutcome.EXECUTED);
            assertThat(db.rows()).as("nothing committed by the barrier").isEmpty();
            assertThat(db.commits()).isZero();

            c.rollback();
            assertThat(barrier("saga", "joined", "action").call(c, work))
                    .as("the caller's rollback removed the barrier row too").isEqualTo(BarrierOutcome.EXECUTED);
            c.commit();
            assertThat(db.rows()).hasSize(1);
        }

        @Test
        void joinedBusinessFailurePropagatesWithoutRollback() throws SQLException {
            Connection c = db.connection();
            c.setAutoCommit(false);

            assertThatThrownBy(() -> barrier("saga", "joinedFail", "action").call(c, conn -> {
                throw new DtmFailureException("no");
            })).isInstanceOf(DtmFailureException.class);

            assertThat(db.rollbacks()).as("left to the caller").isZero();
        }

        @Test
        void supplierModeJoinsAndNeverCommitsNorCloses() throws SQLException {
            Connection c = db.connection();
            c.setAutoCommit(false);

            barrier("saga", "spring", "action").call(() -> c, work);

            assertThat(db.commits()).isZero();
            assertThat(c.isClosed()).isFalse();
            c.commit();
            assertThat(db.rows()).hasSize(1);
        }

        @Test
        void supplierModeRefusesAConnectionOutsideATransaction() {
            Connection c = db.connection();

            assertThatThrownBy(() -> barrier("saga", "noTx", "action").call(() -> c, work))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("auto-commit")
                    .hasMessageContaining("@Transactional");
            assertThat(db.statements()).isEmpty();
            assertThat(ran).hasValue(0);
        }

        @Test
        void aFailedCommitIsRethrownAfterARollback() {
            db.failNextCommitAfterApplying();

            assertThatThrownBy(() -> barrier("saga", "commitLost", "action").call(db.dataSource(), work))
                    .isInstanceOf(SQLException.class).hasMessageContaining("commit");

            assertThat(db.rollbacks()).isEqualTo(1);
            assertThat(db.openConnections()).isZero();
        }
    }

    @Nested
    class QueryPrepared {
        @Test
        void withoutTheLocalTransactionItWritesTheRollbackMarker() throws SQLException {
            assertThat(barrier("msg", "qp", "msg").queryPrepared(db.dataSource())).isEqualTo(BranchResult.FAILURE);

            assertThat(db.row("qp", "00", "msg", "01")).get().extracting(FakeBarrierDatabase.Row::reason)
                    .isEqualTo("rollback");
            assertThat(barrier("msg", "qp", "msg").queryPrepared(db.dataSource())).isEqualTo(BranchResult.FAILURE);
        }

        @Test
        void afterTheLocalTransactionItSucceeds() throws SQLException {
            BranchBarrier local = BranchBarrier.builder().transType(TransType.MSG).gid("qpOk").branchId("00")
                    .op(BranchOp.MSG).build();
            local.call(db.dataSource(), work);

            BranchBarrier check = BranchBarrier.fromQuery(Map.of("trans_type", "msg", "gid", "qpOk",
                    "branch_id", "00", "op", "msg"));
            assertThat(check.queryPrepared(db.connection())).isEqualTo(BranchResult.SUCCESS);
            assertThat(db.rows()).hasSize(1);
        }
    }

    @Nested
    class Dialects {
        @Test
        void mariaDbUsesInsertIgnoreWithBoundValues() throws SQLException {
            barrier("saga", "g'; drop table x; --", "compensate").call(db.dataSource(), work);

            assertThat(db.statements()).containsExactly(
                    "insert ignore into dtm_barrier.barrier(trans_type,gid,branch_id,op,barrier_id,reason) "
                            + "values(?,?,?,?,?,?)",
                    "insert ignore into dtm_barrier.barrier(trans_type,gid,branch_id,op,barrier_id,reason) "
                            + "values(?,?,?,?,?,?)");
            assertThat(db.rows()).extracting(FakeBarrierDatabase.Row::gid).containsOnly("g'; drop table x; --");
        }

        @Test
        void postgresUsesTheNamedConstraint() throws SQLException {
            FakeBarrierDatabase pg = new FakeBarrierDatabase("PostgreSQL");
            BranchBarrier b = BranchBarrier.builder().query(Map.of("trans_type", "saga", "gid", "pg",
                    "branch_id", "01", "op", "action")).tableName("busi.barrier").build();

            b.call(pg.dataSource(), work);

            assertThat(pg.statements()).containsExactly("insert into busi.barrier(trans_type,gid,branch_id,op,"
                    + "barrier_id,reason) values(?,?,?,?,?,?) on conflict on constraint uniq_barrier do nothing");
            assertThat(b.dialect()).contains(BarrierDialect.POSTGRES);
        }

        @Test
        void productNames() {
            assertThat(BarrierDialect.fromProductName("MySQL")).isEqualTo(BarrierDialect.MYSQL);
            assertThat(BarrierDialect.fromProductName("MariaDB")).isEqualTo(BarrierDialect.MYSQL);
            assertThat(BarrierDialect.fromProductName("PostgreSQL")).isEqualTo(BarrierDialect.POSTGRES);
            assertThatThrownBy(() -> BarrierDialect.fromProductName("H2"))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("'H2'")
                    .hasMessageContaining("dialect(...)");
        }

        @Test
        void anUnsupportedDatabaseIsRefusedBeforeAnyWrite() {
            FakeBarrierDatabase h2 = new FakeBarrierDatabase("H2");

            assertThatThrownBy(() -> barrier("saga", "h2", "action").call(h2.dataSource(), work))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(h2.statements()).isEmpty();
            assertThat(h2.openConnections()).isZero();
        }
    }
}
