package io.dtm4j.server;

import io.dtm4j.core.testing.ItEnvironment;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The production stores the fault tests run the standalone server on, with what a test needs for each: the
 * {@code scripts/services-up.sh} service name, the {@code Store:} lines of {@code config.yml}, a fresh place of
 * its own in the store (a PostgreSQL schema, a MariaDB database, a Redis database index) so that leftovers of
 * other tests are never claimed by the server under test, and how the server's messages name the store.
 */
enum ItStore {
    POSTGRES("postgres", "postgres", "(?i)postgres"),
    MARIADB("mariadb", "mysql", "(?i)mysql|mariadb"),
    REDIS("redis", "redis", "(?i)redis");

    /** Redis database index of the fault tests (0 is left to everybody else). */
    static final int REDIS_DB = 7;

    /** Where one instance of a store listens, and its user. */
    record Endpoint(String host, int port, String user, String password) {
        @Override
        public String toString() {
            return host + ":" + port;
        }
    }

    final String service;
    final String driver;
    final Pattern nameInMessages;

    ItStore(String service, String driver, String nameInMessages) {
        this.service = service;
        this.driver = driver;
        this.nameInMessages = Pattern.compile(nameInMessages);
    }

    /** The instance of {@code scripts/services-up.sh} named by the environment; skips or fails without it. */
    Endpoint shared() {
        return switch (this) {
            case POSTGRES -> fromJdbcUrl(ItEnvironment.postgresUrl());
            case MARIADB -> fromJdbcUrl(ItEnvironment.mariadbUrl());
            case REDIS -> new Endpoint(ItEnvironment.redisHost(), ItEnvironment.redisPort(), "", "");
        };
    }

    /**
     * The {@code Store:} section for an instance; {@code place} is the schema (PostgreSQL) or database (MariaDB)
     * that {@link #reset} prepared; Redis uses {@link #REDIS_DB}.
     */
    List<String> configLines(Endpoint e, String place) {
        List<String> lines = new ArrayList<>(List.of("Store:", "  Driver: " + driver, "  Host: " + e.host(),
                "  Port: " + e.port()));
        switch (this) {
            case POSTGRES -> lines.addAll(List.of("  User: " + e.user(), "  Password: " + e.password(),
                    "  Database: dtm", "  Schema: " + place));
            case MARIADB -> lines.addAll(List.of("  User: " + e.user(), "  Password: " + e.password(),
                    "  Database: " + place));
            case REDIS -> lines.add("  Db: " + REDIS_DB);
            default -> throw new IllegalStateException(name());
        }
        return lines;
    }

    /** Empties the test's place in the store: drops and creates the schema or database, or FLUSHDB. */
    void reset(Endpoint e, String place) throws SQLException, IOException {
        requireIdentifier(place);
        switch (this) {
            case POSTGRES -> {
                try (Connection c = DriverManager.getConnection(jdbcUrl(e, "dtm"), e.user(), e.password());
                     Statement st = c.createStatement()) {
                    st.execute("drop schema if exists " + place + " cascade");
                    st.execute("create schema " + place);
                }
            }
            case MARIADB -> {
                try (Connection c = DriverManager.getConnection(jdbcUrl(e, "dtm"), e.user(), e.password());
                     Statement st = c.createStatement()) {
                    st.execute("drop database if exists " + place);
                    st.execute("create database " + place);
                }
            }
            case REDIS -> {
                redis(e, "FLUSHDB");
            }
            default -> throw new IllegalStateException(name());
        }
    }

    /** JDBC URL of a database of a SQL store; MariaDB Connector/J when present, else MySQL Connector/J. */
    String jdbcUrl(Endpoint e, String database) {
        return switch (this) {
            case POSTGRES -> "jdbc:postgresql://" + e.host() + ":" + e.port() + "/" + database;
            case MARIADB -> mysqlUrl(e, database);
            case REDIS -> throw new IllegalStateException("Redis has no JDBC URL");
        };
    }

    private static String mysqlUrl(Endpoint e, String database) {
        String mariadb = "jdbc:mariadb://" + e.host() + ":" + e.port() + "/" + database + "?sslMode=disable";
        try {
            DriverManager.getDriver(mariadb);
            return mariadb;
        } catch (SQLException noMariadbDriver) {
            return "jdbc:mysql://" + e.host() + ":" + e.port() + "/" + database + "?sslMode=DISABLED"
                    + "&allowPublicKeyRetrieval=true";
        }
    }

    private static Endpoint fromJdbcUrl(String jdbcUrl) {
        URI u = URI.create(jdbcUrl.substring("jdbc:".length()));
        return new Endpoint(u.getHost(), u.getPort(), ItEnvironment.dbUser(), ItEnvironment.dbPassword());
    }

    private static void requireIdentifier(String s) {
        if (!s.matches("[a-z][a-z0-9_]{0,40}")) {
            throw new IllegalArgumentException("not a plain identifier: " + s);
        }
    }

    /** One Redis command over RESP on a fresh connection, in {@link #REDIS_DB} unless it is a SELECT. */
    static String redis(Endpoint e, String... args) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(e.host(), e.port()), 2000);
            s.setSoTimeout(5000);
            OutputStream out = s.getOutputStream();
            List<String[]> commands = new ArrayList<>();
            if (!args[0].equals("SELECT")) {
                commands.add(new String[] {"SELECT", Integer.toString(REDIS_DB)});
            }
            commands.add(args);
            for (String[] cmd : commands) {
                StringBuilder b = new StringBuilder("*").append(cmd.length).append("\r\n");
                for (String a : cmd) {
                    b.append('$').append(a.getBytes(StandardCharsets.UTF_8).length).append("\r\n").append(a)
                            .append("\r\n");
                }
                out.write(b.toString().getBytes(StandardCharsets.UTF_8));
            }
            out.flush();
            String reply = "";
            InputStream in = s.getInputStream();
            for (int i = 0; i < commands.size(); i++) {
                reply = readLine(in);
                if (reply.startsWith("-")) {
                    throw new IOException("redis " + String.join(" ", commands.get(i)) + ": " + reply);
                }
            }
            return reply;
        }
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) != -1 && c != '\n') {
            if (c != '\r') {
                b.append((char) c);
            }
        }
        return b.toString();
    }
}
