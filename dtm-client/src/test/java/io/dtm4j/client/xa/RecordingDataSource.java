package io.dtm4j.client.xa;

import javax.sql.DataSource;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

/**
 * A JDBC fake that records the SQL it is given instead of running it: enough to check the statements
 * {@link XaBranch} sends, in order, without a database. Statements matching {@link #failOn} throw. Not
 * thread-safe.
 */
final class RecordingDataSource {
    final List<String> log = new ArrayList<>();
    private final String productName;
    private Predicate<String> failOn = sql -> false;
    private int barrierRows = 1;
    private int connections;

    RecordingDataSource(String productName) {
        this.productName = productName;
    }

    /** Statements for which {@code p} holds throw an SQLException (with MySQL's XAER_NOTA code when they say so). */
    RecordingDataSource failOn(Predicate<String> p) {
        this.failOn = p;
        return this;
    }

    /** What the barrier insert reports as inserted rows; default 1. */
    RecordingDataSource barrierRows(int rows) {
        this.barrierRows = rows;
        return this;
    }

    int connections() {
        return connections;
    }

    DataSource dataSource() {
        return proxy(DataSource.class, (p, m, a) -> switch (m.getName()) {
            case "getConnection" -> {
                connections++;
                log.add("connect");
                yield connection();
            }
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    private Connection connection() {
        boolean[] autoCommit = {true};
        return proxy(Connection.class, (p, m, a) -> switch (m.getName()) {
            case "getMetaData" -> proxy(DatabaseMetaData.class, (p2, m2, a2) -> productName);
            case "getAutoCommit" -> autoCommit[0];
            case "setAutoCommit" -> {
                autoCommit[0] = (Boolean) a[0];
                log.add("autocommit=" + a[0]);
                yield null;
            }
            case "createStatement" -> statement();
            case "prepareStatement" -> prepared((String) a[0]);
            case "rollback" -> {
                log.add("rollback()");
                yield null;
            }
            case "close" -> {
                log.add("close");
                yield null;
            }
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    private Statement statement() {
        return proxy(Statement.class, (p, m, a) -> switch (m.getName()) {
            case "execute" -> {
                run((String) a[0]);
                yield false;
            }
            case "executeQuery" -> {
                run((String) a[0]);
                yield proxy(ResultSet.class, (p2, m2, a2) -> m2.getName().equals("next") ? Boolean.FALSE : null);
            }
            case "close" -> null;
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    private PreparedStatement prepared(String sql) {
        List<Object> params = new ArrayList<>();
        return proxy(PreparedStatement.class, (p, m, a) -> switch (m.getName()) {
            case "setString" -> {
                params.add(a[1]);
                yield null;
            }
            case "executeUpdate" -> {
                run(sql + " " + params);
                yield barrierRows;
            }
            case "close" -> null;
            default -> throw new UnsupportedOperationException(m.getName());
        });
    }

    private void run(String sql) throws SQLException {
        log.add(sql);
        if (failOn.test(sql)) {
            throw sql.startsWith("XA COMMIT") || sql.startsWith("XA ROLLBACK")
                    ? new SQLException("XAER_NOTA: Unknown XID", "XAE04", 1397)
                    : new SQLException("injected failure of " + sql, "HY000", 1105);
        }
    }

    @SuppressWarnings("unchecked")
    private static <T> T proxy(Class<T> type, InvocationHandler h) {
        return (T) Proxy.newProxyInstance(RecordingDataSource.class.getClassLoader(), new Class<?>[] {type}, h);
    }
}
