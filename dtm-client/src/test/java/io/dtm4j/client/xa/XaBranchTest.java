package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** XaBranch without a database: query checks, the statements it sends in each phase, and its error paths. */
class XaBranchTest {
    private static final String URL = "http://busi.test/api/busi/TransInXa";
    private static final String BARRIER_MYSQL = "insert ignore into dtm_barrier.barrier(trans_type, gid, branch_id, "
            + "op, barrier_id, reason) values(?,?,?,?,?,?)";

    private final Coordinator coordinator = Coordinator.builder().store(new InMemoryTransactionStore())
            .invoker(new ScriptedBranchInvoker()).executor(new DirectExecutorService()).build();
    private final DtmClient client = DtmClient.embedded(coordinator);

    @AfterEach
    void close() {
        client.close();
        coordinator.close();
    }

    private static Map<String, String> query(String gid, String branchId, String op) {
        Map<String, String> q = new HashMap<>(Map.of("gid", gid, "branch_id", branchId, "op", op, "trans_type", "xa"));
        if (op.equals("action")) {
            q.put("phase2_url", URL);
        }
        return q;
    }

    private XaBranch branch(RecordingDataSource db) {
        return XaBranch.builder().client(client).dataSource(db.dataSource()).build();
    }

    private void prepareGlobal(String gid) {
        coordinator.prepare(TransRequest.builder(gid, TransType.XA).build());
    }

    @Test
    void actionOnMysqlStartsInsertsWorksRegistersThenPrepares() {
        prepareGlobal("g1");
        RecordingDataSource db = new RecordingDataSource("MariaDB");

        branch(db).handle(query("g1", "01", "action"), c -> db.log.add("work"));

        assertThat(db.log).containsExactly("connect", "XA START 'g1-01'",
                BARRIER_MYSQL + " [xa, g1, 01, action, 01, action]", "work", "XA END 'g1-01'",
                "XA PREPARE 'g1-01'", "close");
        assertThat(coordinator.query("g1").orElseThrow().branches())
                .extracting(b -> b.branchId() + " " + b.op() + " " + b.url())
                .containsExactly("01 " + BranchOp.ROLLBACK + " " + URL, "01 " + BranchOp.COMMIT + " " + URL);
    }

    @Test
    void actionOnPostgresBeginsWithAutoCommitOffAndPreparesTransaction() {
        prepareGlobal("g2");
        RecordingDataSource db = new RecordingDataSource("PostgreSQL");

        branch(db).handle(query("g2", "01", "action"), c -> db.log.add("work"));

        assertThat(db.log).containsExactly("connect", "autocommit=false",
                "insert into dtm_barrier.barrier(trans_type, gid, branch_id, op, barrier_id, reason) "
                        + "values(?,?,?,?,?,?) on conflict ON CONSTRAINT uniq_barrier do nothing "
                        + "[xa, g2, 01, action, 01, action]",
                "work", "PREPARE TRANSACTION 'g2-01'", "autocommit=true", "close");
    }

    @Test
    void failingWorkRollsBackAndIsRethrown() {
        prepareGlobal("g3");
        RecordingDataSource db = new RecordingDataSource("MySQL");

        assertThatThrownBy(() -> branch(db).handle(query("g3", "02", "action"), c -> {
            throw new SQLException("Insufficient balance");
        })).isInstanceOf(SQLException.class).hasMessage("Insufficient balance");

        assertThat(db.log).containsSubsequence("XA START 'g3-02'", "XA END 'g3-02'", "XA ROLLBACK 'g3-02'", "close")
                .doesNotContain("XA PREPARE 'g3-02'");
        assertThat(coordinator.query("g3").orElseThrow().branches()).isEmpty();
    }

    @Test
    void refusedRegistrationRollsBackTheLocalBranch() {
        RecordingDataSource db = new RecordingDataSource("PostgreSQL");
        prepareGlobal("g4");
        coordinator.abort(TransRequest.builder("g4", TransType.XA).build());

        assertThatThrownBy(() -> branch(db).handle(query("g4", "01", "action"), c -> db.log.add("work")))
                .isInstanceOf(DtmFailureException.class).hasMessageContaining("registerBranch");

        assertThat(db.log).containsSubsequence("work", "rollback()", "close")
                .noneMatch(s -> s.startsWith("PREPARE TRANSACTION"));
    }

    @Test
    void existingBarrierRowMeansRolledBackAlreadyAndTheWorkDoesNotRun() {
        prepareGlobal("g5");
        RecordingDataSource db = new RecordingDataSource("MariaDB").barrierRows(0);

        assertThatThrownBy(() -> branch(db).handle(query("g5", "01", "action"), c -> db.log.add("work")))
                .isInstanceOf(DtmFailureException.class).hasMessageContaining("gid=g5 branch=01 op=action: ")
                .hasMessageContaining("barrier row");

        assertThat(db.log).doesNotContain("work").contains("XA ROLLBACK 'g5-01'");
        assertThat(coordinator.query("g5").orElseThrow().branches()).isEmpty();
    }

    @Test
    void failedPrepareRollsBack() {
        prepareGlobal("g6");
        RecordingDataSource db = new RecordingDataSource("MariaDB").failOn(s -> s.startsWith("XA PREPARE"));

        assertThatThrownBy(() -> branch(db).handle(query("g6", "01", "action"), c -> { }))
                .isInstanceOf(DtmException.class)
                .hasMessageStartingWith("gid=g6 branch=01 op=action: XA PREPARE failed: injected failure");

        assertThat(db.log).containsSubsequence("XA PREPARE 'g6-01'", "XA END 'g6-01'", "XA ROLLBACK 'g6-01'");
    }

    @Test
    void commitAndRollbackRunOnAutoCommitAndRollbackLeavesABarrierRow() {
        RecordingDataSource db = new RecordingDataSource("MariaDB");
        XaBranch xa = branch(db);

        xa.handle(query("g7", "01", "commit"), c -> db.log.add("work"));
        xa.handle(query("g7", "02", "rollback"), c -> db.log.add("work"));

        assertThat(db.log).containsExactly("connect", "XA COMMIT 'g7-01'", "close",
                "connect", "XA ROLLBACK 'g7-02'", BARRIER_MYSQL + " [xa, g7, 02, action, 01, rollback]", "close");
    }

    @Test
    void postgresPhaseTwoStatements() {
        RecordingDataSource db = new RecordingDataSource("PostgreSQL");
        XaBranch xa = branch(db);

        xa.handle(query("g8", "01", "commit"), c -> { });
        xa.handle(query("g8", "01", "rollback"), c -> { });

        assertThat(db.log).contains("COMMIT PREPARED 'g8-01'", "ROLLBACK PREPARED 'g8-01'");
    }

    @Test
    void unknownXidInPhaseTwoCountsAsDone() {
        RecordingDataSource db = new RecordingDataSource("MariaDB").failOn(s -> s.startsWith("XA "));
        XaBranch xa = branch(db);

        xa.handle(query("g9", "01", "commit"), c -> { });
        xa.handle(query("g9", "01", "rollback"), c -> { });

        assertThat(db.log).containsSubsequence("XA COMMIT 'g9-01'", "XA RECOVER", "close", "XA ROLLBACK 'g9-01'",
                "XA RECOVER", BARRIER_MYSQL + " [xa, g9, 01, action, 01, rollback]");
    }

    @Test
    void otherPhaseTwoErrorsAreThrown() {
        RecordingDataSource db = new RecordingDataSource("PostgreSQL").failOn(s -> s.startsWith("COMMIT PREPARED"));

        assertThatThrownBy(() -> branch(db).handle(query("g10", "01", "commit"), c -> { }))
                .isInstanceOf(DtmException.class)
                .hasMessageStartingWith("gid=g10 branch=01 op=commit: XA commit failed");
        assertThat(db.log).endsWith("close");
    }

    @Test
    void badQueriesAreRefusedBeforeTakingAConnection() {
        RecordingDataSource db = new RecordingDataSource("MariaDB");
        XaBranch xa = branch(db);

        Map<String, String> noGid = query("g", "01", "commit");
        noGid.remove("gid");
        assertThatThrownBy(() -> xa.handle(noGid, c -> { })).isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("gid is required");
        assertThatThrownBy(() -> xa.handle(query("a'b", "01", "commit"), c -> { }))
                .isInstanceOf(InvalidRequestException.class).hasMessageNotContaining("a'b");
        assertThatThrownBy(() -> xa.handle(query("g", "0'1", "rollback"), c -> { }))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("branch_id");
        assertThatThrownBy(() -> xa.handle(query("g", "01", "confirm"), c -> { }))
                .isInstanceOf(InvalidRequestException.class)
                .hasMessageContaining("op must be action, commit or rollback");
        Map<String, String> noPhase2 = query("g", "01", "action");
        noPhase2.remove("phase2_url");
        assertThatThrownBy(() -> xa.handle(noPhase2, c -> { }))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("phase2_url");
        Map<String, String> tcc = query("g", "01", "commit");
        tcc.put("trans_type", "tcc");
        assertThatThrownBy(() -> xa.handle(tcc, c -> { }))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("trans_type must be xa");

        assertThat(db.connections()).isZero();
    }

    @Test
    void xidTooLongForMysqlIsRefused() {
        RecordingDataSource db = new RecordingDataSource("MariaDB");
        XaBranch xa = XaBranch.builder().client(client).dataSource(db.dataSource()).dialect(XaDialect.MYSQL).build();

        assertThatThrownBy(() -> xa.handle(query("g".repeat(62), "01", "commit"), c -> { }))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("64");
        assertThat(db.connections()).isZero();
        xa.handle(query("g".repeat(61), "01", "commit"), c -> { });
    }

    @Test
    void unsupportedDatabaseIsNamed() {
        RecordingDataSource db = new RecordingDataSource("H2");

        assertThatThrownBy(() -> branch(db).handle(query("g11", "01", "commit"), c -> { }))
                .isInstanceOf(DtmException.class).hasMessageContaining("not 'H2'");
        assertThat(db.log).endsWith("close");
    }

    @Test
    void dialectsAndLiterals() {
        assertThat(XaDialect.ofProductName("MariaDB")).contains(XaDialect.MYSQL);
        assertThat(XaDialect.ofProductName("MySQL")).contains(XaDialect.MYSQL);
        assertThat(XaDialect.ofProductName("PostgreSQL")).contains(XaDialect.POSTGRESQL);
        assertThat(XaDialect.ofProductName("Oracle")).isEmpty();
        assertThat(XaDialect.literal("gid-01")).isEqualTo("'gid-01'");
        assertThatThrownBy(() -> XaDialect.literal("g'-01")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> XaDialect.literal("g\\-01")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void builderChecks() {
        assertThatThrownBy(() -> XaBranch.builder().client(client).build()).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> XaBranch.builder().barrierTable("x; drop table y"))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(XaBranch.builder().barrierTable("busi_barrier").client(client)
                .dataSource(new RecordingDataSource("MySQL").dataSource()).build())
                .hasToString("XaBranch[dialect not detected yet, barrier=busi_barrier]");
    }
}
