package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.TransactionView;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import io.dtm4j.store.jdbc.JdbcTransactionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import static io.dtm4j.core.BranchStatus.PREPARED;
import static io.dtm4j.core.BranchStatus.SUCCEED;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real crash between XA phase one and phase two: a child JVM ({@link XaCrashChild}) runs an embedded
 * coordinator on a SQLite store, the busi service and an XA transfer, and is killed with
 * {@code destroyForcibly()} (SIGKILL) once the branches are prepared — before the submit, or after it while
 * the second commit is in flight. A new coordinator on the same SQLite file, with the busi back on the same
 * port, must then finish the transaction through recovery: roll both prepared branches back after the timeout
 * (no submit), or commit them (submitted), leaving no prepared XA transaction in the database.
 */
@Timeout(180)
class XaCrashIT {
    private static final Duration EVENT_BOUND = Duration.ofSeconds(60);
    private static final String START = "10000";

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private Process child;
    private XaTestDb db;
    private String gid;
    private String accounts;

    @AfterEach
    void tearDown() throws Exception {
        if (child != null && child.isAlive()) {
            child.destroyForcibly();
            child.waitFor(10, TimeUnit.SECONDS);
        }
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        if (db != null) {
            db.rollbackPrepared(gid);
            if (accounts != null) {
                db.dropTable(accounts);
            }
        }
    }

    @ParameterizedTest(name = "{0} killed {1}")
    @CsvSource({"MARIADB, BEFORE_SUBMIT", "MARIADB, DURING_COMMIT", "POSTGRES, BEFORE_SUBMIT",
            "POSTGRES, DURING_COMMIT"})
    void recoveryFinishesPreparedBranchesAfterACrash(XaTestDb.Kind kind, String mode) throws Exception {
        boolean beforeSubmit = mode.equals("BEFORE_SUBMIT");
        String schema = "it_xa_crash_" + kind.name().toLowerCase(Locale.ROOT);
        gid = "xacrash-" + kind.tag + "-" + (beforeSubmit ? "before" : "during");
        db = XaTestDb.of(kind, schema).open(gid);
        db.deleteBarrierRows(gid);
        accounts = db.accountsTable(beforeSubmit ? "before" : "during");
        db.createAccounts(accounts, Long.parseLong(START));
        Path data = Files.createDirectories(dir.resolve("dtm-data"));

        BlockingQueue<String> events = startChild(kind, schema, data, mode);
        int port = Integer.parseInt(await(events, "busi ").substring("busi ".length()));
        await(events, beforeSubmit ? "prepared" : "phase2");
        assertThat(db.preparedXids(gid)).as("prepared before the kill")
                .containsExactlyElementsOf(beforeSubmit ? List.of(gid + "-01", gid + "-02") : List.of(gid + "-02"));

        child.destroyForcibly();
        assertThat(child.waitFor(10, TimeUnit.SECONDS)).as("killed child exited").isTrue();
        long killed = System.nanoTime();

        MutableClock clock = new MutableClock(Instant.now().plusSeconds(60)); // past the lease and the 35 s timeout
        JdbcTransactionStore store = closing(JdbcTransactionStore.sqlite(data));
        OkHttpBranchInvoker invoker = closing(OkHttpBranchInvoker.builder().build());
        Coordinator coordinator = closing(Coordinator.builder().store(store).invoker(invoker).clock(clock)
                .executor(new DirectExecutorService()).build());
        DtmClient client = closing(DtmClient.builder().coordinator(coordinator).branchInvoker(invoker).build());
        XaBusi busi = closing(startBusiOn(port, XaBranch.builder().client(client).dataSource(db.dataSource())
                .barrierTable(db.barrierTable()).build()));
        GlobalTransaction stored = coordinator.query(gid).orElseThrow().global();
        assertThat(stored.status()).as("stored state after the kill")
                .isEqualTo(beforeSubmit ? GlobalStatus.PREPARED : GlobalStatus.SUBMITTED);

        TransactionView done = recover(coordinator, clock);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killed);
        System.out.printf("XaCrashIT %s killed %s: gid=%s %s %d ms after the kill (new coordinator, busi and "
                + "recovery); phase two after the restart: %s%n", kind, mode, gid, done.global().status().wireName(),
                ms, busi.requests());

        List<BranchStatus> statuses = done.branches().stream().map(Branch::status).toList();
        if (beforeSubmit) {
            assertThat(done.global().status()).isEqualTo(GlobalStatus.FAILED);
            assertThat(done.global().rollbackReason()).matches("^Timeout after \\d+ seconds$");
            assertThat(statuses).containsExactly(SUCCEED, PREPARED, SUCCEED, PREPARED);
            assertThat(busi.requests()).containsExactly("TransOutXa 01 rollback", "TransInXa 02 rollback");
            assertThat(db.balance(accounts, 1)).isEqualTo(Long.parseLong(START));
            assertThat(db.balance(accounts, 2)).isEqualTo(Long.parseLong(START));
            assertThat(db.barrierRows(gid)).containsExactly("xa 01 action 01 rollback", "xa 02 action 01 rollback");
        } else {
            assertThat(done.global().status()).isEqualTo(GlobalStatus.SUCCEED);
            assertThat(statuses).containsExactly(PREPARED, SUCCEED, PREPARED, SUCCEED);
            assertThat(busi.requests()).as("commit 01 again (already done: unknown xid), then 02")
                    .endsWith("TransInXa 02 commit");
            assertThat(db.balance(accounts, 1)).isEqualTo(Long.parseLong(START) - XaScenarios.AMOUNT);
            assertThat(db.balance(accounts, 2)).isEqualTo(Long.parseLong(START) + XaScenarios.AMOUNT);
            assertThat(db.barrierRows(gid)).containsExactly("xa 01 action 01 action", "xa 02 action 01 action");
        }
        assertThat(db.preparedXids(gid)).as("prepared XA transactions left").isEmpty();
    }

    /** Runs recovery steps, a minute apart on the clock, until the transaction is final (at most 5). */
    private TransactionView recover(Coordinator coordinator, MutableClock clock) {
        for (int i = 0; i < 5; i++) {
            coordinator.recoverOnce();
            TransactionView v = coordinator.query(gid).orElseThrow();
            if (v.global().status() == GlobalStatus.SUCCEED || v.global().status() == GlobalStatus.FAILED) {
                return v;
            }
            clock.advance(Duration.ofMinutes(1));
        }
        throw new AssertionError("gid=" + gid + " not final after 5 recovery steps: "
                + coordinator.query(gid).orElseThrow().global().status());
    }

    private BlockingQueue<String> startChild(XaTestDb.Kind kind, String schema, Path data, String mode)
            throws IOException {
        Path log = dir.resolve("child.log");
        Path logback = dir.resolve("logback-child.xml");
        Files.writeString(logback, "<configuration><appender name=\"E\" class=\"ch.qos.logback.core.ConsoleAppender\">"
                + "<target>System.err</target><encoder><pattern>%d %-5level %logger{20} %msg%n</pattern></encoder>"
                + "</appender><root level=\"INFO\"><appender-ref ref=\"E\"/></root></configuration>");
        List<String> cmd = List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.timezone=UTC", "-Xmx256m", "-Dlogback.configurationFile=" + logback,
                "-cp", System.getProperty("java.class.path"), XaCrashChild.class.getName(),
                kind.name(), schema, accounts, data.toString(), gid, mode);
        child = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        BlockingQueue<String> events = new LinkedBlockingQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    if (line.startsWith("XA-CHILD ")) {
                        events.add(line.substring("XA-CHILD ".length()));
                    }
                }
            } catch (IOException e) {
                // the child was killed
            }
        }, "xa-crash-child-stdout");
        reader.setDaemon(true);
        reader.start();
        return events;
    }

    private String await(BlockingQueue<String> events, String prefix) throws InterruptedException, IOException {
        long deadline = System.nanoTime() + EVENT_BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            String e = events.poll(200, TimeUnit.MILLISECONDS);
            if (e != null && e.startsWith(prefix)) {
                return e;
            }
            if (e == null && !child.isAlive()) {
                break;
            }
        }
        Path log = dir.resolve("child.log");
        throw new AssertionError("child did not report '" + prefix + "' within " + EVENT_BOUND + " (alive="
                + child.isAlive() + "); its log:\n" + (Files.exists(log) ? Files.readString(log) : "(none)"));
    }

    /** The busi on the port the stored phase2 URLs name; the killed child's socket may take a moment to go. */
    private XaBusi startBusiOn(int port, XaBranch xa) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (true) {
            try {
                return XaBusi.start(xa, accounts, port);
            } catch (BindException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(100);
            }
        }
    }

    private <T extends AutoCloseable> T closing(T resource) {
        open.add(resource);
        return resource;
    }
}
