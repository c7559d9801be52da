package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.barrier.BarrierDialect;
import io.dtm4j.client.barrier.BarrierOutcome;
import io.dtm4j.client.barrier.BranchBarrier;
import io.dtm4j.client.xa.XaBranch;
import io.dtm4j.client.xa.XaDialect;

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
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;

/**
 * A bank business service for the multi-node and crash-point tests, on the JDK {@link HttpServer}: saga branches
 * {@code TransOut}, {@code TransOutRevert}, {@code TransIn} and {@code TransInRevert} under {@code /api/ledger/}
 * move {@code balance} of {@code user_account} in a MariaDB database or a PostgreSQL schema, each behind a
 * {@link BranchBarrier} on that database's barrier table, in one local transaction. {@code TransIn} holds its
 * transaction open for a while (a slow business) before it updates the account, so that many sagas are in
 * flight and a repeated delivery meets the first one's barrier row lock, while the few accounts do not become
 * a queue. Payload: {@code {"db":"mariadb"|"postgres","user":1,"amount":7}}, optionally {@code "slowMs":n} to
 * make a forward branch (TransOut, TransIn) hold for that long instead of the default (TransIn only).
 *
 * <p>The same transfer as TCC branches, barrier-protected too: {@code TransOutTry} debits, {@code TransOutConfirm}
 * does nothing, {@code TransOutCancel} refunds; {@code TransInTry} does nothing, {@code TransInConfirm} credits,
 * {@code TransInCancel} does nothing. And as XA branches through {@link XaBranch} once {@link #xa} named the
 * coordinator: {@code TransOutXa/<db>} and {@code TransInXa/<db>} debit or credit in a local XA transaction of
 * that database (phase two comes without a body, so the database is in the path).
 *
 * <p>Every call is recorded with the coordinator node that made it ({@link SocketOwners}), its arrival and end
 * time and what the barrier did. Thread-safe.
 */
final class LedgerBusi implements AutoCloseable {
    static final String MARIADB = "mariadb";
    static final String POSTGRES = "postgres";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One branch call as the service saw it. {@code outcome}: a {@link BarrierOutcome}, FAILURE or ERROR:... */
    record Call(String node, String gid, String branchId, String op, String route, long arrivedNanos,
                long doneNanos, String outcome) {
        String key() {
            return gid + "/" + branchId + "/" + op;
        }
    }

    private final String schema;
    private final long slowTransInMillis;
    private final Map<String, HikariDataSource> dbs = new TreeMap<>();
    private final ExecutorService threads;
    private final HttpServer server;
    private final List<Call> calls = new ArrayList<>();
    private final Map<String, DataSource> xaSources = new TreeMap<>();
    private volatile Map<String, XaBranch> xa = Map.of();
    private volatile SocketOwners owners = new SocketOwners(List.of());

    /**
     * Creates (or recreates) {@code schema} in both databases with {@code users} accounts holding
     * {@code balance} each and an empty barrier table, and starts the service on 127.0.0.1.
     */
    LedgerBusi(ItStore.Endpoint mariadb, ItStore.Endpoint postgres, String schema, int users, long balance,
               long slowTransInMillis) throws SQLException, IOException {
        this.schema = schema;
        this.slowTransInMillis = slowTransInMillis;
        ItStore.MARIADB.reset(mariadb, schema);
        ItStore.POSTGRES.reset(postgres, schema);
        dbs.put(MARIADB, pool(ItStore.MARIADB.jdbcUrl(mariadb, schema), mariadb));
        dbs.put(POSTGRES, pool(ItStore.POSTGRES.jdbcUrl(postgres, "dtm"), postgres));
        for (String db : dbs.keySet()) {
            BranchBarrier.createTableIfAbsent(dbs.get(db), dialect(db), barrierTable());
            try (Connection c = dbs.get(db).getConnection(); Statement st = c.createStatement()) {
                st.execute("create table " + accountTable() + "(user_id int primary key, balance bigint not null)");
                for (int u = 1; u <= users; u++) {
                    st.execute("insert into " + accountTable() + " values(" + u + ", " + balance + ")");
                }
                if (!c.getAutoCommit()) {
                    c.commit();
                }
            }
        }
        // MySQL keeps a prepared XA transaction on its session until the session ends: no pool for XA there
        xaSources.put(MARIADB, new Unpooled(ItStore.MARIADB.jdbcUrl(mariadb, schema), mariadb));
        xaSources.put(POSTGRES, dbs.get(POSTGRES));
        AtomicInteger n = new AtomicInteger();
        threads = Executors.newFixedThreadPool(48, r -> {
            Thread t = new Thread(r, "ledger-busi-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 256);
        server.setExecutor(threads);
        server.createContext("/api/ledger/", this::handle);
        server.start();
    }

    /** Tells the service which processes are which coordinator node. */
    void nodes(List<SocketOwners.Candidate> nodes) {
        owners = new SocketOwners(nodes);
    }

    /** Makes the XA routes register their branches with the coordinator behind {@code client}. */
    void xa(DtmClient client) {
        Map<String, XaBranch> m = new TreeMap<>();
        xaSources.forEach((db, ds) -> m.put(db, XaBranch.builder().client(client).dataSource(ds)
                .dialect(MARIADB.equals(db) ? XaDialect.MYSQL : XaDialect.POSTGRESQL).barrierTable(barrierTable())
                .build()));
        xa = Map.copyOf(m);
    }

    /** The URL of a route, e.g. {@code url("TransIn")}. */
    String url(String route) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/ledger/" + route;
    }

    /** Every call so far, in arrival order of recording. */
    synchronized List<Call> calls() {
        return List.copyOf(calls);
    }

    long balance(String db, int user) throws SQLException {
        return queryLong(db, "select balance from " + accountTable() + " where user_id = " + user);
    }

    long total(String db) throws SQLException {
        return queryLong(db, "select coalesce(sum(balance), 0) from " + accountTable());
    }

    /** Barrier rows of a gid in one database, as {@code "branch op barrier_id reason"}, ordered. */
    List<String> barrierRows(String db, String gid) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = dbs.get(db).getConnection(); PreparedStatement ps = c.prepareStatement(
                "select branch_id, op, barrier_id, reason from " + barrierTable() + " where gid = ? "
                        + "order by branch_id, op, barrier_id")) {
            ps.setString(1, gid);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1) + " " + rs.getString(2) + " " + rs.getString(3) + " " + rs.getString(4));
                }
            }
        }
        return out;
    }

    /** Keys {@code gid/branch/op/barrier_id} that occur in more than one barrier row of one database. */
    List<String> duplicateBarrierKeys(String db) throws SQLException {
        List<String> out = new ArrayList<>();
        try (Connection c = dbs.get(db).getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("select gid, branch_id, op, barrier_id from " + barrierTable()
                     + " group by gid, branch_id, op, barrier_id having count(*) > 1")) {
            while (rs.next()) {
                out.add(rs.getString(1) + "/" + rs.getString(2) + "/" + rs.getString(3) + "/" + rs.getString(4));
            }
        }
        return out;
    }

    /** Barrier rows of the whole table in one database. */
    long barrierRowCount(String db) throws SQLException {
        return queryLong(db, "select count(*) from " + barrierTable());
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
        dbs.values().forEach(HikariDataSource::close);
    }

    private void handle(HttpExchange ex) throws IOException {
        long arrived = System.nanoTime();
        Map<String, String> query = query(ex.getRequestURI().getRawQuery());
        String route = ex.getRequestURI().getPath().substring("/api/ledger/".length());
        String node = owners.ownerOf(ex.getRemoteAddress().getPort(), server.getAddress().getPort());
        String outcome;
        int status;
        try {
            JsonNode t = JSON.readTree(ex.getRequestBody().readAllBytes());
            if (route.startsWith("TransOutXa/") || route.startsWith("TransInXa/")) {
                xaCall(ex, route, query, t == null ? JSON.missingNode() : t, node, arrived);
                return;
            }
            String db = t.path("db").asText();
            int user = t.path("user").asInt();
            long amount = t.path("amount").asLong();
            long slowMs = t.path("slowMs").asLong(route.equals("TransIn") ? slowTransInMillis : 0);
            HikariDataSource ds = dbs.get(db);
            if (ds == null) {
                throw new IllegalArgumentException("unknown db '" + db + "'");
            }
            BranchBarrier barrier = BranchBarrier.builder().tableName(barrierTable()).dialect(dialect(db))
                    .query(query).build();
            BarrierOutcome o = switch (route) {
                case "TransOut" -> barrier.call(ds, c -> {
                    sleep(slowMs);
                    move(c, user, -amount);
                });
                case "TransOutRevert" -> barrier.call(ds, c -> move(c, user, amount));
                case "TransIn" -> barrier.call(ds, c -> {
                    // slow before the update: the barrier row is locked meanwhile, the account row is not
                    sleep(slowMs);
                    move(c, user, amount);
                });
                case "TransInRevert" -> barrier.call(ds, c -> move(c, user, -amount));
                case "TransOutTry", "TransOutCancel" -> barrier.call(ds, c -> move(c, user,
                        route.endsWith("Try") ? -amount : amount));
                case "TransInConfirm" -> barrier.call(ds, c -> move(c, user, amount));
                case "TransOutConfirm", "TransInTry", "TransInCancel" -> barrier.call(ds, c -> { });
                default -> throw new IllegalArgumentException("no route " + route);
            };
            outcome = o.name();
            status = 200;
        } catch (DtmFailureException e) {
            outcome = "FAILURE";
            status = 409;
        } catch (Exception e) {
            outcome = "ERROR:" + e.getClass().getSimpleName() + (e instanceof SQLException s ? "/" + s.getSQLState()
                    : "");
            status = 500;
        }
        reply(ex, new Call(node, query.getOrDefault("gid", ""), query.getOrDefault("branch_id", ""),
                query.getOrDefault("op", ""), route, arrived, System.nanoTime(), outcome), status);
    }

    /**
     * An XA branch: phase one ({@code op=action}, the body's user and amount) or phase two (no body), on the
     * database named in the path.
     */
    private void xaCall(HttpExchange ex, String route, Map<String, String> query, JsonNode t, String node,
                        long arrived) {
        String db = route.substring(route.indexOf('/') + 1);
        String outcome;
        int status;
        try {
            XaBranch branch = xa.get(db);
            if (branch == null) {
                throw new IllegalStateException("no XA branch for db '" + db + "' (call xa(client) first)");
            }
            long delta = route.startsWith("TransOut") ? -t.path("amount").asLong() : t.path("amount").asLong();
            int user = t.path("user").asInt();
            branch.handle(query, c -> move(c, user, delta));
            outcome = "XA_" + query.getOrDefault("op", "?").toUpperCase(Locale.ROOT);
            status = 200;
        } catch (DtmFailureException e) {
            outcome = "FAILURE";
            status = 409;
        } catch (Exception e) {
            outcome = "ERROR:" + e.getClass().getSimpleName();
            status = 500;
        }
        reply(ex, new Call(node, query.getOrDefault("gid", ""), query.getOrDefault("branch_id", ""),
                query.getOrDefault("op", ""), route, arrived, System.nanoTime(), outcome), status);
    }

    private void reply(HttpExchange ex, Call call, int status) {
        record(call);
        // A 500 body must not contain FAILURE or ONGOING, which the coordinator would read as results.
        String body = status == 200 ? "{\"dtm_result\":\"SUCCESS\"}"
                : status == 409 ? "{\"dtm_result\":\"FAILURE\"}" : "{\"error\":\"temporary\"}";
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        try (OutputStream out = ex.getResponseBody()) {
            ex.sendResponseHeaders(status, b.length);
            out.write(b);
        } catch (IOException e) {
            // the caller (a killed node) went away: its effect, if any, is committed and recorded
        } finally {
            ex.close();
        }
    }

    private synchronized void record(Call c) {
        calls.add(c);
    }

    private void move(Connection c, int user, long delta) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("update " + accountTable()
                + " set balance = balance + ? where user_id = ? and balance + ? >= 0")) {
            ps.setLong(1, delta);
            ps.setInt(2, user);
            ps.setLong(3, delta);
            if (ps.executeUpdate() != 1) {
                throw new DtmFailureException("user " + user + ": insufficient balance for " + delta);
            }
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private String barrierTable() {
        return schema + ".barrier";
    }

    private String accountTable() {
        return schema + ".user_account";
    }

    private static BarrierDialect dialect(String db) {
        return MARIADB.equals(db) ? BarrierDialect.MYSQL : BarrierDialect.POSTGRES;
    }

    private long queryLong(String db, String sql) throws SQLException {
        try (Connection c = dbs.get(db).getConnection(); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new SQLException("no row: " + sql);
            }
            return rs.getLong(1);
        }
    }

    /** A new connection per {@code getConnection()}, for MySQL's XA transactions. */
    private static final class Unpooled implements DataSource {
        private final String url;
        private final ItStore.Endpoint endpoint;

        Unpooled(String url, ItStore.Endpoint endpoint) {
            this.url = url;
            this.endpoint = endpoint;
        }

        @Override
        public Connection getConnection() throws SQLException {
            return DriverManager.getConnection(url, endpoint.user(), endpoint.password());
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return DriverManager.getConnection(url, user, password);
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException("no parent logger");
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
        c.setPoolName("ledger-" + (url.contains("postgresql") ? POSTGRES : MARIADB));
        return new HikariDataSource(c);
    }

    private static Map<String, String> query(String raw) {
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
}
