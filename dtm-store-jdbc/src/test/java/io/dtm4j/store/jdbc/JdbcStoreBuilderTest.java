package io.dtm4j.store.jdbc;

import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.StoreUnavailableException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The builder's validation, the DBA scripts, error translation and value mapping: no database needed. */
class JdbcStoreBuilderTest {

    @Test
    void aDatabaseMustBeChosen() {
        assertThatThrownBy(() -> JdbcTransactionStore.builder().user("u").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("choose a database first");
    }

    @Test
    void serverSettingsAreValidatedAtOnceNamingTheSetting() {
        JdbcStoreBuilder b = JdbcTransactionStore.builder();
        assertThatThrownBy(() -> b.postgres("db host", 5432, "dtm", "public"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host");
        assertThatThrownBy(() -> b.postgres("db", 0, "dtm", "public"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("port must be 1 to 65535, got 0");
        assertThatThrownBy(() -> b.postgres("db", 5432, "dtm", "public; drop table x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema");
        assertThatThrownBy(() -> b.mysql("db", 3306, "dtm`x"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("database");
        assertThatThrownBy(() -> b.maxOpenConns(1)).hasMessageContaining("maxOpenConns must be 2 to 10000, got 1");
        assertThatThrownBy(() -> b.maxIdleConns(-1)).hasMessageContaining("maxIdleConns");
        assertThatThrownBy(() -> b.writers(0)).hasMessageContaining("writers must be 1 to 64, got 0");
        assertThatThrownBy(() -> b.connectTimeout(Duration.ofMillis(100))).hasMessageContaining("connectTimeout");
        assertThatThrownBy(() -> b.connMaxLifetime(Duration.ofSeconds(5))).hasMessageContaining("connMaxLifetime");
        assertThatThrownBy(() -> b.socketTimeout(Duration.ofDays(2))).hasMessageContaining("socketTimeout");
        assertThatThrownBy(() -> b.driverProperty("password", "x")).hasMessageContaining("password(...)");
        assertThatThrownBy(() -> b.driverProperty("useAffectedRows", "true")).hasMessageContaining("matched-row");
        b.connMaxLifetime(Duration.ZERO).socketTimeout(Duration.ZERO).maxIdleConns(0);
    }

    @Test
    void contradictingSettingsFailAtBuild() {
        assertThatThrownBy(() -> JdbcTransactionStore.builder().postgres("127.0.0.1", 1, "dtm", "public").build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("user is required for PostgreSQL");
        assertThatThrownBy(() -> JdbcTransactionStore.builder().mysql("127.0.0.1", 1, "dtm").user("u")
                .maxOpenConns(4).writers(4).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxOpenConns (4) must exceed writers");
        assertThatThrownBy(() -> JdbcTransactionStore.builder().mysql("127.0.0.1", 1, "dtm").user("u")
                .maxOpenConns(8).maxIdleConns(9).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("maxIdleConns (9)");
    }

    @Test
    void theDbaScriptsHoldDtmsNamesAndTheVersionRows() {
        assertThat(JdbcTransactionStore.schemaSql(SqlDialect.POSTGRES))
                .contains("CREATE TABLE IF NOT EXISTS trans_global", "CONSTRAINT gid UNIQUE (gid)",
                        "CONSTRAINT gid_branch_uniq UNIQUE (gid, branch_id, op)", "CONSTRAINT uniq_k UNIQUE (cat, k)",
                        "CREATE INDEX IF NOT EXISTS owner ON trans_global (owner)",
                        "CREATE INDEX IF NOT EXISTS status_next_cron_time ON trans_global (status, next_cron_time)",
                        "create_time timestamp(3) with time zone", "next_cron_interval int",
                        "CREATE TABLE IF NOT EXISTS dtm4j_schema_version",
                        "INSERT INTO dtm4j_schema_version (version, description) VALUES (1,",
                        "INSERT INTO dtm4j_schema_version (version, description) VALUES (2,")
                .startsWith("-- dtm4j PostgreSQL schema, version 2\n")
                .doesNotContain("timestamp(0) with time zone DEFAULT", "ALTER TABLE");
        assertThat(JdbcTransactionStore.schemaSql(SqlDialect.MYSQL))
                .contains("UNIQUE KEY `gid` (`gid`)", "KEY `owner` (`owner`)",
                        "KEY `status_next_cron_time` (`status`, `next_cron_time`)",
                        "UNIQUE KEY `gid_uniq` (`gid`, `branch_id`, `op`)", "`create_time` datetime(3)",
                        "`bin_data` mediumblob", "ENGINE = InnoDB DEFAULT CHARSET = utf8mb4",
                        "INSERT INTO dtm4j_schema_version (version, description) VALUES (1,",
                        "MODIFY `gid` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
                        "MODIFY `branch_id` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
                        "MODIFY `k` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL",
                        "INSERT INTO dtm4j_schema_version (version, description) VALUES (2,")
                .startsWith("-- dtm4j MySQL schema, version 2\n");
        assertThat(JdbcTransactionStore.schemaSql(SqlDialect.SQLITE)).contains("CREATE TABLE trans_global",
                "CONSTRAINT gid_branch_uniq UNIQUE (gid, branch_id, op)", "PRAGMA user_version = 1");
        assertThat(SchemaScripts.statements(SqlDialect.POSTGRES, SchemaScripts.MIGRATIONS.get(0))).hasSize(8)
                .noneMatch(sql -> sql.contains("--") || sql.endsWith(";"));
        assertThat(SchemaScripts.statements(SqlDialect.MYSQL, SchemaScripts.MIGRATIONS.get(0))).hasSize(3);
        assertThat(SchemaScripts.statements(SqlDialect.MYSQL, SchemaScripts.MIGRATIONS.get(1))).hasSize(3)
                .allMatch(sql -> sql.startsWith("ALTER TABLE "));
        assertThat(SchemaScripts.statements(SqlDialect.POSTGRES, SchemaScripts.MIGRATIONS.get(1)))
                .as("version 2 changes nothing on PostgreSQL").isEmpty();
        assertThat(SchemaScripts.LATEST).isEqualTo(2);
    }

    @Test
    void serverErrorsNameTheStoreAndWhatToCheck() {
        ServerErrors pg = new ServerErrors(SqlDialect.POSTGRES, "127.0.0.1:5440", "dtm", "dtm",
                "postgres://127.0.0.1:5440/dtm?schema=public", Duration.ofSeconds(3));
        SQLException refused = new SQLException("Connection to 127.0.0.1:5440 refused.", "08001",
                new ConnectException("Connection refused"));
        assertThat(pg.isUnreachable(refused)).isTrue();
        assertThat(pg.translate("gid=g: insert", refused)).isInstanceOf(StoreUnavailableException.class)
                .hasMessage("gid=g: insert failed: postgres://127.0.0.1:5440/dtm?schema=public: cannot reach"
                        + " PostgreSQL at 127.0.0.1:5440 (ConnectException: Connection refused); is PostgreSQL running"
                        + " at 127.0.0.1:5440? check the host, port and firewall");
        SQLTransientConnectionException busy = new SQLTransientConnectionException("request timed out after 3001ms");
        assertThat(pg.isUnreachable(busy)).isFalse();
        assertThat(pg.translate("ping", busy)).hasMessageContaining("no connection became free within 3000 ms")
                .hasMessageContaining("raise maxOpenConns");
        assertThat(pg.translate("open", new SQLException("password authentication failed for user \"dtm\"",
                "28P01"))).hasMessageContaining("refused user 'dtm'")
                .hasMessageContaining("check the user and password");
        assertThat(pg.translate("open", new SQLException("database \"x\" does not exist", "3D000")))
                .hasMessageContaining("the database 'dtm' does not exist at 127.0.0.1:5440");
        assertThat(pg.translate("gid=g: insert", new SQLException("value too long", "22001")))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("does not fit its column");
        assertThat(pg.isRetryable(new SQLException("deadlock detected", "40P01"))).isTrue();
        assertThat(pg.translate("gid=g: update", new SQLException("cannot execute UPDATE in a read-only transaction",
                "25006"))).hasMessageContaining("is it a replica?");

        ServerErrors my = new ServerErrors(SqlDialect.MYSQL, "db:3306", "dtm", "app", "mysql://db:3306/dtm",
                Duration.ofSeconds(3));
        assertThat(my.isRetryable(new SQLException("Deadlock found", "40001", 1213))).isTrue();
        assertThat(my.translate("open", new SQLException("Access denied for user 'app'", "28000", 1045)))
                .hasMessageContaining("MySQL at db:3306 refused user 'app'");
        assertThat(my.translate("open", new SQLException("Too many connections", "08004", 1040)))
                .hasMessageContaining("lower maxOpenConns or raise the server's max_connections");
    }

    @Test
    void intervalsAreWholeSecondsRoundedUpOnServersAndMillisecondsInSqlite() {
        Rows server = new Rows(Rows.Times.TIMESTAMPTZ, ChronoUnit.MILLIS, "s");
        assertThat(server.intervalParam(Duration.ofMillis(2500))).isEqualTo(3);
        assertThat(server.intervalParam(Duration.ofSeconds(10))).isEqualTo(10);
        assertThat(server.intervalParam(Duration.ZERO)).isEqualTo(0);
        assertThatThrownBy(() -> server.intervalParam(Duration.ofSeconds(Integer.MAX_VALUE + 1L)))
                .isInstanceOf(InvalidRequestException.class).hasMessageContaining("next_cron_interval");
        assertThat(new Rows(Rows.Times.EPOCH_MILLIS, ChronoUnit.MILLIS, "s").intervalParam(Duration.ofMillis(2500)))
                .isEqualTo(2500L);
    }

    @Test
    void instantsAreTruncatedTowardThePastToTheColumnsPrecision() {
        Rows seconds = new Rows(Rows.Times.DATETIME_UTC, ChronoUnit.SECONDS, "s");
        assertThat(seconds.stored(Instant.parse("2024-05-01T10:00:00.999Z")))
                .isEqualTo(Instant.parse("2024-05-01T10:00:00Z"));
        assertThat(seconds.stored(Instant.parse("1969-12-31T23:59:59.500Z")))
                .isEqualTo(Instant.parse("1969-12-31T23:59:59Z"));
        Rows millis = new Rows(Rows.Times.TIMESTAMPTZ, ChronoUnit.MILLIS, "s");
        assertThat(millis.stored(Instant.parse("2024-05-01T10:00:00.123999Z")))
                .isEqualTo(Instant.parse("2024-05-01T10:00:00.123Z"));
    }
}
