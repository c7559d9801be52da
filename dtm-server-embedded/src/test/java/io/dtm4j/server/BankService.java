package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmOngoingException;
import io.dtm4j.client.barrier.BarrierDialect;
import io.dtm4j.client.barrier.BarrierOutcome;
import io.dtm4j.client.barrier.BarrierWork;
import io.dtm4j.client.barrier.BranchBarrier;
import io.dtm4j.client.workflow.WorkflowOptions;
import io.dtm4j.client.xa.XaBranch;
import io.dtm4j.client.xa.XaDialect;
import io.dtm4j.core.BranchResult;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * The bank of {@link BankInvariantIT}: accounts in a MariaDB database or a PostgreSQL schema of their own, and a
 * JDK {@link HttpServer} under {@code /api/bank/} with the branches of a transfer for every transaction type. Each
 * branch changes the accounts behind the sub-transaction barrier, in the same local transaction as the barrier
 * rows (spec {@code clients-and-barrier.md} 10):
 * <ul>
 *   <li>saga, msg and workflow: {@code TransOut} / {@code TransOutRevert} on {@code from}, {@code TransIn} /
 *       {@code TransInRevert} on {@code to}; {@code QueryPrepared} is the msg back-check on the barrier table;
 *       {@code WorkflowResume} hands the coordinator's resume calls to the client's workflows;</li>
 *   <li>TCC: {@code TccOutTry} freezes the amount ({@code frozen}), {@code TccOutConfirm} takes it from the balance,
 *       {@code TccOutCancel} releases it; {@code TccInTry} announces it ({@code incoming}), {@code TccInConfirm}
 *       credits it, {@code TccInCancel} withdraws the announcement;</li>
 *   <li>XA: {@code XaOut} and {@code XaIn} through {@link XaBranch} (phase one and phase two on the same URL).</li>
 * </ul>
 * Business rules, so that transfers fail for real and roll back: a debit or a freeze needs
 * {@code balance - frozen >= amount} (insufficient balance: FAILURE), and the last account is closed: every
 * credit to it, or announcement, is a FAILURE. Payload {@code {"from":1,"to":2,"amount":30}}.
 *
 * <p>The nemesis arms faults on a route for its next calls ({@link #arm}): 500, ONGOING, a request held past
 * the request timeout before it runs, or a reply dropped after the commit. Thread-safe.
 */
final class BankService implements AutoCloseable {
    /** The name of the transfer workflow. */
    static final String WORKFLOW = "bank-transfer";
    /** Routes the nemesis may arm. */
    static final List<String> ROUTES = List.of("TransOut", "TransOutRevert", "TransIn", "TransInRevert", "TccOutTry",
            "TccOutConfirm", "TccOutCancel", "TccInTry", "TccInConfirm", "TccInCancel", "XaOut", "XaIn",
            "QueryPrepared", "WorkflowResume");
    /** The TCC tries, for the late-try fault. */
    static final List<String> TRY_ROUTES = List.of("TccOutTry", "TccInTry");
    private static final String PREFIX = "/api/bank/";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Lock waits end after this long (a prepared XA branch holds its rows until phase two), seconds. */
    private static final int LOCK_TIMEOUT_SECONDS = 5;

    /** A fault the nemesis arms on a route for its next calls. */
    enum Fault {
        /** 500 without running the branch: an error, retried with back-off. */
        ERROR,
        /** 425 ONGOING without running the branch: retried at the same interval. */
        ONGOING,
        /** The request is held before it runs, longer than its caller waits: the retry, or the cancel, comes first. */
        SLOW,
        /** The branch runs and commits, then the connection is closed unanswered: the retry is a duplicate. */
        DROP_REPLY
    }

    private record Armed(Fault fault, AtomicInteger left, long untilNanos, long holdMillis) {
    }

    private final ItStore db;
    private final String schema;
    private final int accounts;
    private final HikariDataSource pool;
    private final UnpooledDataSource unpooled;
    private final ExecutorService threads;
    private final HttpServer server;
    private final Map<String, Armed> armed = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();
    private final Set<String> crashAfterFirstStep = ConcurrentHashMap.newKeySet();
    private volatile DtmClient client;
    private volatile XaBranch xa;

    /**
     * (Re)creates {@code schema} with {@code accounts} open accounts holding {@code balance} each, one closed account
     * with 0 and an empty barrier table, and starts the service on 127.0.0.1. Call {@link #attach} before use.
     */
    BankService(ItStore db, ItStore.Endpoint endpoint, String schema, int accounts, long balance)
            throws SQLException, IOException {
        this.db = db;
        this.schema = schema;
        this.accounts = accounts;
        String url = db == ItStore.MARIADB
                ? db.jdbcUrl(endpoint, schema) + "&sessionVariables=innodb_lock_wait_timeout=" + LOCK_TIMEOUT_SECONDS
                : db.jdbcUrl(endpoint, "dtm") + "?options=-c%20lock_timeout%3D" + LOCK_TIMEOUT_SECONDS * 1000;
        this.unpooled = new UnpooledDataSource(url, endpoint.user(), endpoint.password());
        // a prepared XA branch of an earlier run holds its locks, and the schema cannot be dropped under them
        BankChecker.rollbackPreparedXa(db, new UnpooledDataSource(db.jdbcUrl(endpoint, "dtm"), endpoint.user(),
                endpoint.password()), BankInvariantIT.GID_PREFIX);
        db.reset(endpoint, schema);
        this.pool = pool(url, endpoint);
        BranchBarrier.createTableIfAbsent(pool, dialect(), barrierTable());
        try (Connection c = pool.getConnection(); Statement st = c.createStatement()) {
            st.execute("create table " + accountTable() + "(id int primary key, balance bigint not null, "
                    + "frozen bigint not null, incoming bigint not null, closed int not null)");
            for (int a = 1; a <= accounts + 1; a++) {
                st.execute("insert into " + accountTable() + " values(" + a + ", " + (a <= accounts ? balance : 0)
                        + ", 0, 0, " + (a <= accounts ? 0 : 1) + ")");
            }
        }
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newFixedThreadPool(48, r -> {
            Thread t = new Thread(r, "bank-busi-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        server.setExecutor(threads);
        server.createContext(PREFIX, this::handle);
        server.start();
    }

    /**
     * Connects the service to the SDK client of the coordinator: XA branches register through it, and the
     * transfer workflow is registered with it, with {@code workflowOptions} (its resume URL must be
     * {@code url("WorkflowResume")}).
     */
    void attach(DtmClient dtm, WorkflowOptions workflowOptions) {
        this.client = dtm;
        this.xa = XaBranch.builder().client(dtm).dataSource(unpooled)
                .dialect(db == ItStore.MARIADB ? XaDialect.MYSQL : XaDialect.POSTGRESQL)
                .barrierTable(barrierTable()).build();
        dtm.workflows().register(WORKFLOW, (wf, input) -> {
            wf.branch().onRollback(ctx -> ctx.call(url("TransOutRevert"), input)).call(url("TransOut"), input);
            if (crashAfterFirstStep.remove(wf.gid())) {
                // neither FAILURE nor success: the run stops and the workflow stays prepared, as if the client died
                throw new IllegalStateException("gid=" + wf.gid() + ": client crash injected after TransOut");
            }
            wf.branch().onRollback(ctx -> ctx.call(url("TransInRevert"), input)).call(url("TransIn"), input);
            return new byte[0];
        }, workflowOptions);
    }

    /** Makes the next run of workflow {@code gid} stop after its first step, as a client that died there. */
    void crashWorkflowAfterFirstStep(String gid) {
        crashAfterFirstStep.add(gid);
    }

    /** The URL of a route, e.g. {@code url("TransIn")}. */
    String url(String route) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + PREFIX + route;
    }

    /** The number of open accounts; account {@code accounts + 1} is the closed one. */
    int accounts() {
        return accounts;
    }

    ItStore db() {
        return db;
    }

    /** The pooled data source of the bank's database (msg local transactions, checks). */
    HikariDataSource dataSource() {
        return pool;
    }

    /** A data source opening a new connection per call (XA on MariaDB needs that). */
    UnpooledDataSource unpooled() {
        return unpooled;
    }

    String barrierTable() {
        return schema + ".barrier";
    }

    String accountTable() {
        return schema + ".account";
    }

    BarrierDialect dialect() {
        return db == ItStore.MARIADB ? BarrierDialect.MYSQL : BarrierDialect.POSTGRES;
    }

    /**
     * Arms {@code fault} on {@code route} for its next {@code times} calls or until {@code forMillis} passed, whichever
     * comes first; a SLOW call is held {@code holdMillis}. Replaces what was armed there.
     */
    void arm(String route, Fault fault, int times, long forMillis, long holdMillis) {
        armed.put(route, new Armed(fault, new AtomicInteger(times),
                System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(forMillis), holdMillis));
    }

    /** Removes every armed fault. */
    void disarmAll() {
        armed.clear();
    }

    /** Counters: barrier outcomes, answers by status, faults that fired by kind. */
    Map<String, Long> counts() {
        Map<String, Long> out = new TreeMap<>();
        counts.forEach((k, v) -> out.put(k, v.sum()));
        return out;
    }

    /** The local debit of a msg transfer, inside the msg barrier's transaction ({@code doAndSubmitDb}). */
    void debitLocally(Connection c, int from, long amount) throws SQLException {
        debit(c, from, amount);
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
        try {
            threads.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        pool.close();
    }

    private void count(String key) {
        counts.computeIfAbsent(key, k -> new LongAdder()).increment();
    }

    private Fault fire(String route) {
        Armed a = armed.get(route);
        if (a == null) {
            return null;
        }
        if (System.nanoTime() > a.untilNanos() || a.left().getAndDecrement() <= 0) {
            armed.remove(route, a);
            return null;
        }
        count("fault fired " + a.fault());
        if (a.fault() == Fault.SLOW) {
            sleep(a.holdMillis());
        }
        return a.fault();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            String route = ex.getRequestURI().getPath().substring(PREFIX.length());
            Map<String, String> query = queryParams(ex.getRequestURI().getRawQuery());
            byte[] body = ex.getRequestBody().readAllBytes();
            Fault fault = fire(route);
            int status;
            String answer;
            if (fault == Fault.ERROR) {
                status = 500;
                answer = "{\"error\":\"injected\"}";
            } else if (fault == Fault.ONGOING) {
                status = 425;
                answer = "{\"dtm_result\":\"ONGOING\"}";
            } else {
                try {
                    dispatch(route, query, body);
                    status = 200;
                    answer = "{\"dtm_result\":\"SUCCESS\"}";
                } catch (DtmFailureException e) {
                    status = 409;
                    answer = "{\"dtm_result\":\"FAILURE\"}";
                } catch (DtmOngoingException e) {
                    status = 425;
                    answer = "{\"dtm_result\":\"ONGOING\"}";
                } catch (Exception e) {
                    // never the words FAILURE or ONGOING in a 500: the caller would read them as results
                    status = 500;
                    answer = "{\"error\":\"" + e.getClass().getSimpleName() + "\"}";
                    count("error " + route + " " + e.getClass().getSimpleName()
                            + (e instanceof SQLException x ? "/" + x.getSQLState() : ""));
                }
            }
            count("answer " + status);
            if (fault == Fault.DROP_REPLY) {
                return; // closed unanswered: the caller sees a broken connection although the branch committed
            }
            byte[] b = answer.getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            try (OutputStream out = ex.getResponseBody()) {
                ex.sendResponseHeaders(status, b.length);
                out.write(b);
            } catch (IOException e) {
                count("reply lost");
            }
        }
    }

    private void dispatch(String route, Map<String, String> q, byte[] body) throws Exception {
        JsonNode t = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        int from = t.path("from").asInt();
        int to = t.path("to").asInt();
        long amount = t.path("amount").asLong();
        switch (route) {
            case "TransOut" -> barrier(q, c -> debit(c, from, amount));
            case "TransOutRevert" -> barrier(q, c -> change(c, "balance = balance + ?", amount, from));
            case "TransIn" -> barrier(q, c -> credit(c, to, amount));
            case "TransInRevert" -> barrier(q, c -> change(c, "balance = balance - ?", amount, to));
            case "TccOutTry" -> barrier(q, c -> freeze(c, from, amount));
            case "TccOutConfirm" -> barrier(q, c -> change(c, "balance = balance - ?, frozen = frozen - ?", amount,
                    from));
            case "TccOutCancel" -> barrier(q, c -> change(c, "frozen = frozen - ?", amount, from));
            case "TccInTry" -> barrier(q, c -> announce(c, to, amount));
            case "TccInConfirm" -> barrier(q, c -> change(c, "balance = balance + ?, incoming = incoming - ?",
                    amount, to));
            case "TccInCancel" -> barrier(q, c -> change(c, "incoming = incoming - ?", amount, to));
            case "XaOut" -> xa.handle(q, c -> debit(c, from, amount));
            case "XaIn" -> xa.handle(q, c -> credit(c, to, amount));
            case "QueryPrepared" -> queryPrepared(q);
            case "WorkflowResume" -> client.workflows().resume(q, body);
            default -> throw new IllegalArgumentException("no route " + route);
        }
    }

    private void barrier(Map<String, String> q, BarrierWork<SQLException> work) throws SQLException {
        BarrierOutcome o = BranchBarrier.builder().query(q).tableName(barrierTable()).dialect(dialect()).build()
                .call(pool, work);
        count("barrier " + o);
    }

    private void queryPrepared(Map<String, String> q) throws SQLException {
        BranchResult r = BranchBarrier.builder().query(q).tableName(barrierTable()).dialect(dialect()).build()
                .queryPrepared(pool);
        count("back-check " + r);
        if (r == BranchResult.FAILURE) {
            throw new DtmFailureException("gid=" + q.get("gid") + ": the local transaction did not commit");
        }
    }

    private void debit(Connection c, int user, long amount) throws SQLException {
        if (update(c, "balance = balance - ? where id = ? and closed = 0 and balance - frozen >= ?", amount, user,
                amount) != 1) {
            throw new DtmFailureException("account " + user + ": insufficient balance for " + amount);
        }
    }

    private void freeze(Connection c, int user, long amount) throws SQLException {
        if (update(c, "frozen = frozen + ? where id = ? and closed = 0 and balance - frozen >= ?", amount, user,
                amount) != 1) {
            throw new DtmFailureException("account " + user + ": insufficient balance to freeze " + amount);
        }
    }

    private void credit(Connection c, int user, long amount) throws SQLException {
        if (update(c, "balance = balance + ? where id = ? and closed = 0", amount, user) != 1) {
            throw new DtmFailureException("account " + user + " is closed");
        }
    }

    private void announce(Connection c, int user, long amount) throws SQLException {
        if (update(c, "incoming = incoming + ? where id = ? and closed = 0", amount, user) != 1) {
            throw new DtmFailureException("account " + user + " is closed");
        }
    }

    /** An unconditional change of one account: {@code set} has one or two {@code ?} for the amount. */
    private void change(Connection c, String set, long amount, int user) throws SQLException {
        int n = set.split("\\?", -1).length - 1;
        int rows = n == 1 ? update(c, set + " where id = ?", amount, user)
                : update(c, set + " where id = ?", amount, amount, user);
        if (rows != 1) {
            throw new SQLException("no account " + user);
        }
    }

    private int update(Connection c, String setAndWhere, long... args) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + accountTable() + " set " + setAndWhere)) {
            for (int i = 0; i < args.length; i++) {
                ps.setLong(i + 1, args[i]);
            }
            return ps.executeUpdate();
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Map<String, String> queryParams(String raw) {
        Map<String, String> m = new TreeMap<>();
        if (raw == null || raw.isEmpty()) {
            return m;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            String k = eq < 0 ? pair : pair.substring(0, eq);
            String v = eq < 0 ? "" : pair.substring(eq + 1);
            m.put(URLDecoder.decode(k, StandardCharsets.UTF_8), URLDecoder.decode(v, StandardCharsets.UTF_8));
        }
        return m;
    }

    /** A data source opening a new connection on every call: XaBranch on MariaDB needs a session per branch. */
    static final class UnpooledDataSource implements DataSource {
        private final String url;
        private final String user;
        private final String password;

        UnpooledDataSource(String url, String user, String password) {
            this.url = url;
            this.user = user;
            this.password = password;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return DriverManager.getConnection(url, user, password);
        }

        @Override
        public Connection getConnection(String u, String p) throws SQLException {
            return DriverManager.getConnection(url, u, p);
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
            // not used
        }

        @Override
        public void setLoginTimeout(int seconds) {
            // not used
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> iface) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> iface) {
            return false;
        }
    }

    private static HikariDataSource pool(String url, ItStore.Endpoint e) {
        HikariConfig c = new HikariConfig();
        c.setJdbcUrl(url);
        c.setUsername(e.user());
        c.setPassword(e.password());
        c.setMaximumPoolSize(24);
        c.setConnectionTimeout(10_000);
        c.setPoolName("bank");
        return new HikariDataSource(c);
    }
}
