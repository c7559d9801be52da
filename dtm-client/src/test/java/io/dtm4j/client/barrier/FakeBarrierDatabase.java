package io.dtm4j.client.barrier;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An in-memory stand-in for a database holding one barrier table, behind JDBC proxies: enough of
 * {@code Connection}, {@code PreparedStatement} and {@code ResultSet} for the barrier's insert-ignore and
 * select, with per-connection transactions (own rows visible, applied on commit, dropped on rollback) and no
 * locking. It lets the barrier's algorithm and connection handling be tested without a network.
 */
public final class FakeBarrierDatabase {
    /** A barrier row as stored: key columns and reason. */
    public record Row(String transType, String gid, String branchId, String op, String barrierId, String reason) {
        List<String> key() {
            return List.of(gid, branchId, op, barrierId);
        }
    }

    private final String productName;
    private final Map<List<String>, Row> committed = new LinkedHashMap<>();
    private final List<String> statements = new CopyOnWriteArrayList<>();
    private final AtomicInteger commits = new AtomicInteger();
    private final AtomicInteger rollbacks = new AtomicInteger();
    private final AtomicInteger opened = new AtomicInteger();
    private final AtomicInteger closed = new AtomicInteger();
    private final AtomicInteger commitsToFail = new AtomicInteger();
    private volatile boolean openConnectionsWithoutAutoCommit;

    /** A database whose JDBC product name is {@code productName} ("MariaDB", "PostgreSQL"...). */
    public FakeBarrierDatabase(String productName) {
        this.productName = productName;
    }

    /** Committed rows in insertion order. */
    public synchronized List<Row> rows() {
        return List.copyOf(committed.values());
    }

    /** The committed row for a key, if any. */
    public synchronized Optional<Row> row(String gid, String branchId, String op, String barrierId) {
        return Optional.ofNullable(committed.get(List.of(gid, branchId, op, barrierId)));
    }

    /** Every SQL text prepared so far. */
    public List<String> statements() {
        return List.copyOf(statements);
    }

    public int commits() {
        return commits.get();
    }

    public int rollbacks() {
        return rollbacks.get();
    }

    /** Connections opened minus connections closed. */
    public int openConnections() {
        return opened.get() - closed.get();
    }

    /** The next commit applies its rows and then throws, as a commit whose answer was lost. */
    public void failNextCommitAfterApplying() {
        commitsToFail.incrementAndGet();
    }

    /** From now on connections from {@link #dataSource()} start with auto-commit off (a pool configured so). */
    public void openConnectionsWithoutAutoCommit() {
        this.openConnectionsWithoutAutoCommit = true;
    }

    /** A data source whose every {@code getConnection()} opens a new fake connection. */
    public DataSource dataSource() {
        return proxy(DataSource.class, (p, m, args) -> {
            if (m.getName().equals("getConnection")) {
                Connection c = connection();
                if (openConnectionsWithoutAutoCommit) {
                    c.setAutoCommit(false);
                }
                return c;
            }
            throw new UnsupportedOperationException("DataSource." + m.getName());
        });
    }

    /** A new connection in auto-commit mode. */
    public Connection connection() {
        opened.incrementAndGet();
        return new FakeConnection().proxy;
    }

    private synchronized void apply(Map<List<String>, Row> pending) {
        committed.putAll(pending);
    }

    private synchronized boolean exists(List<String> key) {
        return committed.containsKey(key);
    }

    private synchronized Row committedRow(List<String> key) {
        return committed.get(key);
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, InvocationHandler h) {
        return (T) Proxy.newProxyInstance(FakeBarrierDatabase.class.getClassLoader(), new Class<?>[] {type}, h);
    }

    /** One connection: auto-commit flag, pending rows of the open transaction. */
    private final class FakeConnection {
        private final Map<List<String>, Row> pending = new LinkedHashMap<>();
        private boolean autoCommit = true;
        private boolean isClosed;
        final Connection proxy = proxy(Connection.class, (p, m, args) -> switch (m.getName()) {
            case "getAutoCommit" -> autoCommit;
            case "setAutoCommit" -> {
                boolean on = (Boolean) args[0];
                if (on && !autoCommit && !pending.isEmpty()) {
                    commit();
                }
                autoCommit = on;
                yield null;
            }
            case "commit" -> {
                commit();
                yield null;
            }
            case "rollback" -> {
                rollbacks.incrementAndGet();
                pending.clear();
                yield null;
            }
            case "close" -> {
                if (!isClosed) {
                    isClosed = true;
                    pending.clear();
                    closed.incrementAndGet();
                }
                yield null;
            }
            case "isClosed" -> isClosed;
            case "getMetaData" -> proxy(DatabaseMetaData.class, (p2, m2, a2) -> {
                if (m2.getName().equals("getDatabaseProductName")) {
                    return productName;
                }
                throw new UnsupportedOperationException("DatabaseMetaData." + m2.getName());
            });
            case "prepareStatement" -> statement((String) args[0]);
            case "hashCode" -> System.identityHashCode(p);
            case "equals" -> p == args[0];
            case "toString" -> "FakeConnection";
            default -> throw new UnsupportedOperationException("Connection." + m.getName());
        });

        private void commit() throws SQLException {
            commits.incrementAndGet();
            apply(pending);
            pending.clear();
            if (commitsToFail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                throw new SQLException("connection reset while reading the commit answer (fake)");
            }
        }

        private PreparedStatement statement(String sql) throws SQLException {
            if (isClosed) {
                throw new SQLException("connection is closed");
            }
            statements.add(sql);
            Map<Integer, String> params = new HashMap<>();
            return proxy(PreparedStatement.class, (p, m, args) -> switch (m.getName()) {
                case "setString" -> {
                    params.put((Integer) args[0], (String) args[1]);
                    yield null;
                }
                case "executeUpdate" -> insert(sql, params);
                case "executeQuery" -> select(sql, params);
                case "close" -> null;
                default -> throw new UnsupportedOperationException("PreparedStatement." + m.getName());
            });
        }

        private int insert(String sql, Map<Integer, String> p) throws SQLException {
            if (!sql.startsWith("insert")) {
                throw new SQLException("fake database only runs the barrier insert, got: " + sql);
            }
            Row row = new Row(p.get(1), p.get(2), p.get(3), p.get(4), p.get(5), p.get(6));
            if (pending.containsKey(row.key()) || exists(row.key())) {
                return 0;
            }
            pending.put(row.key(), row);
            if (autoCommit) {
                commit();
            }
            return 1;
        }

        private ResultSet select(String sql, Map<Integer, String> p) throws SQLException {
            if (!sql.startsWith("select reason")) {
                throw new SQLException("fake database only runs the barrier select, got: " + sql);
            }
            List<String> key = List.of(p.get(1), p.get(2), p.get(3), p.get(4));
            Row row = pending.containsKey(key) ? pending.get(key) : committedRow(key);
            List<String> reasons = new ArrayList<>();
            if (row != null) {
                reasons.add(row.reason());
            }
            int[] at = {-1};
            return proxy(ResultSet.class, (rp, m, args) -> switch (m.getName()) {
                case "next" -> ++at[0] < reasons.size();
                case "getString" -> reasons.get(at[0]);
                case "close" -> null;
                default -> throw new UnsupportedOperationException("ResultSet." + m.getName());
            });
        }
    }
}
