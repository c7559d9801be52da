package io.dtm4j.server;

import io.dtm4j.server.ConfigLoader.ConfigException;
import io.dtm4j.server.ConfigLoader.Loaded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    private Path file(String yaml) throws IOException {
        Path p = dir.resolve("config.yml");
        Files.writeString(p, yaml);
        return p;
    }

    private ServerConfig load(String yaml) throws Exception {
        return ConfigLoader.load(file(yaml), Map.of()).config();
    }

    private void rejects(String yaml, String... parts) throws IOException {
        Path p = file(yaml);
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessageContainingAll(parts)
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n").startsWith(p.toString()));
    }

    @Test
    void defaultsAreDtmsWithSqlite() throws Exception {
        ServerConfig c = ConfigLoader.load(null, Map.of()).config();
        assertThat(c).isEqualTo(ServerConfig.defaults());
        assertThat(c.httpPort()).isEqualTo(36789);
        assertThat(c.storeDriver()).isEqualTo("sqlite");
        assertThat(c.dataDir()).isEqualTo(Path.of("dtm-data"));
        assertThat(c.retryInterval()).isEqualTo(Duration.ofSeconds(10));
        assertThat(c.timeoutToFail()).isEqualTo(Duration.ofSeconds(35));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void readsTheSupportedKeys() throws Exception {
        ServerConfig c = load("""
                HttpPort: 8080
                Store:
                  Driver: 'mem'
                  DataDir: /var/lib/dtm
                RetryInterval: 12
                TimeoutToFail: 60
                RequestTimeout: "5"
                LogLevel: DEBUG
                HTTPServer:
                  MaxBodyBytes: 2048
                """);
        assertThat(c.httpPort()).isEqualTo(8080);
        assertThat(c.logLevel()).isEqualTo("debug");
        assertThat(c.storeDriver()).isEqualTo("mem");
        assertThat(c.dataDir()).isEqualTo(Path.of("/var/lib/dtm"));
        assertThat(List.of(c.retryInterval(), c.timeoutToFail(), c.requestTimeout()))
                .containsExactly(Duration.ofSeconds(12), Duration.ofSeconds(60), Duration.ofSeconds(5));
        assertThat(c.maxBodyBytes()).isEqualTo(2048);
    }

    @Test
    void boltdbIsReadAsSqlite() throws Exception {
        assertThat(load("Store:\n  Driver: boltdb\n").storeDriver()).isEqualTo("sqlite");
    }

    @Test
    void fileOverridesEnvironmentWhichOverridesDefaults() throws Exception {
        Map<String, String> env = Map.of("HTTP_PORT", "9000", "STORE_DRIVER", "mem", "RETRY_INTERVAL", "11",
                "REQUEST_TIMEOUT", "4");
        assertThat(ConfigLoader.load(null, env).config().httpPort()).isEqualTo(9000);
        ServerConfig c = ConfigLoader.load(file("HttpPort: 9100\n"), env).config();
        assertThat(c.httpPort()).isEqualTo(9100);
        assertThat(c.storeDriver()).isEqualTo("mem");
        assertThat(c.retryInterval()).isEqualTo(Duration.ofSeconds(11));
        assertThat(c.requestTimeout()).isEqualTo(Duration.ofSeconds(4));
    }

    @Test
    void badEnvironmentValuesNameTheVariable() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("HTTP_PORT", "web")))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("environment HTTP_PORT: must be a whole number");
    }

    @Test
    void theSeedManualsFilesLoadWithWarningsForWhatIsNotSupportedYet() throws Exception {
        Loaded loaded = ConfigLoader.load(file("""
                MicroService:
                  Driver: 'default'
                  Target: 'etcd://localhost:2379/dtmservice'
                  EndPoint: 'localhost:36789'
                Store:
                  Driver: 'boltdb'
                  Host: 'localhost'
                  Port: 6379
                  User: ''
                  Password: ''
                HTTPServer:
                  Port: 36790
                  Address: '0.0.0.0'
                  ReadTimeout: '30s'
                  WriteTimeout: '30s'
                Log:
                  Level: 'warn'
                  Outputs: ['stderr', 'dtm.log']
                """), Map.of());
        assertThat(loaded.config().httpPort()).isEqualTo(36790);
        assertThat(loaded.config().logLevel()).isEqualTo("warn");
        assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).contains("line 3, column 3: MicroService.Target:"
                + " ignored, not supported by dtm4j yet"));
        assertThat(loaded.warnings()).noneSatisfy(w -> assertThat(w).contains("MicroService.Driver"));
        assertThat(loaded.config().log().outputs()).containsExactly("stderr", "dtm.log");
        assertThat(loaded.warnings()).noneSatisfy(w -> assertThat(w).contains("Log.Outputs"));
        assertThat(loaded.warnings()).noneSatisfy(w -> assertThat(w).contains("HTTPServer.Port"));
    }

    @Test
    void aServiceRegistryDriverIsRefusedAsNotSupportedYet() throws IOException {
        rejects("MicroService:\n  Driver: 'dtm-driver-gozero'\n  Target: 'etcd://localhost:2379/dtmservice'\n",
                "line 2, column 3: MicroService.Driver: 'dtm-driver-gozero' is not supported yet by dtm4j",
                "set it to 'default'");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("MICRO_SERVICE_DRIVER", "dtm-driver-kratos")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("environment MICRO_SERVICE_DRIVER: 'dtm-driver-kratos' is not supported yet by dtm4j: it "
                        + "registers with no service registry; remove the key or set it to 'default', and point "
                        + "clients at the server's HTTP address");
    }

    @Test
    void securityKeys() throws Exception {
        String hashed = ApiToken.entry("vera", ApiToken.Role.VIEWER, "vera-viewer-token-000002");
        SecuritySettings s = load("""
                AdminBasePath: /ops/dtm/
                Admin:
                  Address: 127.0.0.1:36788
                  AllowRemote: 1
                Auth:
                  Tokens: ['alice:operator:alice-operator-token-0001', '%s']
                BranchUrl:
                  Allow: 'busi.internal, *.svc.cluster.local, 10.0.0.0/8'
                  Deny: 169.254.0.0/16
                """.formatted(hashed)).security();
        assertThat(s.adminBasePath()).isEqualTo("/ops/dtm");
        assertThat(s.adminListener()).contains(new java.net.InetSocketAddress("127.0.0.1", 36788));
        assertThat(s.allowRemote()).isTrue();
        assertThat(s.tokenNames()).containsExactly("ApiToken[alice operator]", "ApiToken[vera viewer]");
        assertThat(s.branchAllow()).containsExactly("busi.internal", "*.svc.cluster.local", "10.0.0.0/8");
        assertThat(s.summary()).doesNotContain("alice-operator-token-0001");
        assertThat(ConfigLoader.load(null, Map.of("AUTH_TOKENS", "ci:api:ci-token-ci-token-ci-token", "ADMIN_ADDRESS",
                ":36788")).config().security()).satisfies(e -> {
                    assertThat(e.tokenNames()).containsExactly("ApiToken[ci api]");
                    assertThat(e.adminHost()).isEqualTo("127.0.0.1");
                });
        assertThat(ServerConfig.defaults().security().branchDeny()).containsExactly("169.254.0.0/16", "fe80::/10");
    }

    @Test
    void badSecurityValuesNameTheKeyAndNeverTheSecret() throws IOException {
        rejects("Auth:\n  Tokens: ['alice:admin:alice-operator-token-0001']\n", "Auth.Tokens: entry 1: token "
                + "'alice': role must be viewer, operator or api, got 'admin'");
        Path p = file("Auth:\n  Tokens: ['a:viewer:secret-secret-01', 'b:viewer:short']\n");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of())).hasMessageContaining("entry 2: token 'b' is shorter")
                .message().doesNotContain("secret-secret-01");
        rejects("Auth:\n  Tokens: ['a:viewer:secret-secret-01', 'a:api:secret-secret-02']\n",
                "two tokens are named 'a'");
        rejects("Admin:\n  Address: localhost\n", "Admin.Address: must be host:port");
        rejects("Admin:\n  Address: localhost:99999\n", "Admin.Address: port must be a whole number from 0 to 65535");
        rejects("AdminBasePath: dtm\n", "AdminBasePath: must be a path such as /dtm");
        rejects("BranchUrl:\n  Deny: '10.0.0.0/40'\n", "BranchUrl.Deny: '10.0.0.0/40': the prefix length must be 0 to 32");
        rejects("Admin:\n  AllowRemote: yes\n", "Admin.AllowRemote: must be 0 or 1 (or true/false)");
    }

    @Test
    void mistypedKeysAndValuesGetTheClosestKnownOne() throws IOException {
        rejects("Stroe:\n  Driver: redis\n", "Stroe.Driver: unknown key (did you mean 'Store.Driver'?)");
        rejects("HttpPrt: 1\n", "HttpPrt: unknown key (did you mean 'HttpPort'?)");
        rejects("RetryIntervall: 10\n", "(did you mean 'RetryInterval'?)");
        rejects("MicroService:\n  EndPiont: x\n", "(did you mean 'MicroService.EndPoint'?)");
        rejects("Store:\n  Driver: postgre\n", "Store.Driver: must be sqlite", "got 'postgre' (did you mean "
                + "'postgres'?)");
        rejects("Store:\n  Driver: reddis\n", "(did you mean 'redis'?)");
        rejects("LogLevel: inf\n", "got 'inf' (did you mean 'info'?)");
        rejects("Log:\n  Format: jsno\n", "got 'jsno' (did you mean 'json'?)");
        Path unrelated = file("Store:\n  Driver: oracle\n");
        assertThatThrownBy(() -> ConfigLoader.load(unrelated, Map.of())).message().doesNotContain("did you mean");
    }

    /** The shipped example loads as it is, and names every key and its environment variable. */
    @Test
    void theShippedExampleCoversEveryKey() throws Exception {
        Path example = Path.of("src/assembly/dtm/config.example.yml");
        assertThat(ConfigLoader.load(example, Map.of()).config()).isEqualTo(ServerConfig.defaults());
        String text = Files.readString(example);
        for (ConfigKeys.Key k : ConfigKeys.KEYS) {
            String leaf = k.name().substring(k.name().lastIndexOf('.') + 1);
            if (k.name().equals("Store.Database") || k.name().equals("HTTPServer.Port") || k.name().equals("Log.Level")
                    || k.name().equals("Log.RotationConfigJSON")) {
                continue; // aliases of Store.Db, HttpPort, LogLevel and Log.MaxFileSize/MaxHistory (DTM's JSON form)
            }
            assertThat(text).as(k.name()).containsPattern("(?m)^\\s*#?\\s*" + leaf + ":");
            if (!k.env().isEmpty()) {
                assertThat(text).as(k.name()).contains("[" + k.env() + "]");
            }
        }
    }

    @Test
    void unknownKeysAreErrorsNamingTheKeyAndWhere() throws IOException {
        rejects("HttpPort: 1\nStore:\n  Drivr: sqlite\n", "line 3, column 3: Store.Drivr: unknown key", "known keys:",
                "Store.Driver");
        rejects("httpport: 80\n", "line 1, column 1: httpport: unknown key (did you mean 'HttpPort'?");
    }

    @Test
    void malformedYamlIsOneLineWithLineAndColumn() throws IOException {
        rejects("HttpPort: 1\nStore:\n  Driver: [sqlite\n", "line ", "column ",
                "not valid YAML: while parsing a flow sequence; expected ',' or ']'");
        Path p = file("HttpPort: 1\nStore:\n  Driver: [sqlite\n");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of())).message().doesNotContain("^", "in 'reader'");
        rejects("HttpPort: 1\n  bad indent: 2\n", "line 2", "not valid YAML");
    }

    @Test
    void wrongValues() throws IOException {
        rejects("HttpPort: web\n", "line 1, column 1: HttpPort: must be a whole number from 0 to 65535, got 'web'");
        rejects("HttpPort: 70000\n", "HttpPort: must be a whole number from 0 to 65535");
        rejects("RetryInterval: 0\n", "RetryInterval: must be a whole number from 1");
        rejects("RequestTimeout: 1.5\n", "RequestTimeout: must be a whole number");
        rejects("Store:\n  Driver: sqlserver\n", "'sqlserver' is not supported by dtm4j; use postgres, mysql");
        rejects("Store:\n  Driver: oracle\n", "must be sqlite (or boltdb, read as sqlite), mem, postgres, mysql, "
                + "mariadb or redis, got 'oracle'");
        rejects("LogLevel: loud\n", "LogLevel: must be debug, info, warn or error");
        rejects("HttpPort: [1, 2]\n", "HttpPort: must be a single value, not a list");
        rejects("- HttpPort: 1\n", "the file must be a mapping of keys");
        rejects("RetryInterval: 20\nTimeoutToFail: 15\n", "TimeoutToFail (15 s) must not be shorter than "
                + "RetryInterval (20 s)");
    }

    @Test
    void emptyFileAndEmptyValuesKeepDefaults() throws Exception {
        assertThat(load("")).isEqualTo(ServerConfig.defaults());
        assertThat(load("HttpPort:\nStore:\n  Driver: ''\n")).isEqualTo(ServerConfig.defaults());
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("nope.yml");
        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of())).isInstanceOf(ConfigException.class)
                .hasMessage(missing + ": no such file; give an existing config.yml with -c");
    }

    @Test
    void summaryHasNoSecrets() throws Exception {
        ServerConfig c = load("Store:\n  Driver: sqlite\n  Password: hunter2\n");
        assertThat(c.summary()).contains("Store.Driver=sqlite").doesNotContain("hunter2");
    }

    // ---------------------------------------------------------------- Store.* (issue 4)

    /** The seed manual's production example, its password from the environment. */
    private static final String MANUAL_MYSQL = """
            Store:
              Driver: 'mysql'
              Host: 'mysql-cluster.internal.com'
              Port: 3306
              User: 'dtm_prod'
              Password: '${DB_PASSWORD}'  # 建议使用环境变量
              Database: 'dtm_production'
              MaxOpenConns: 50
              MaxIdleConns: 10
            """;

    @Test
    void theManualsProductionStoreLoadsWithItsPasswordFromTheEnvironment() throws Exception {
        Loaded loaded = ConfigLoader.load(file(MANUAL_MYSQL), Map.of("DB_PASSWORD", "s3cret-Pw"));
        StoreConfig s = loaded.config().store();
        assertThat(s.driver()).isEqualTo("mysql");
        assertThat(s.host()).isEqualTo("mysql-cluster.internal.com");
        assertThat(s.port()).isEqualTo(3306);
        assertThat(s.user()).isEqualTo("dtm_prod");
        assertThat(s.password()).isEqualTo("s3cret-Pw");
        assertThat(s.database()).isEqualTo("dtm_production");
        assertThat(s.maxOpenConns()).isEqualTo(50);
        assertThat(s.maxIdleConns()).isEqualTo(10);
        assertThat(s.connMaxLifetime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(loaded.warnings()).isEmpty();
        assertThat(loaded.config().summary()).contains("Store.Driver=mysql", "Store.Host=mysql-cluster.internal.com",
                "Store.Port=3306", "Store.User=dtm_prod", "Store.Db=dtm_production", "Store.Password=***")
                .doesNotContain("s3cret-Pw");
        assertThat(loaded.config().toString()).doesNotContain("s3cret-Pw");
        assertThat(s.toString()).doesNotContain("s3cret-Pw");
    }

    @Test
    void storeDefaultsAreDtms() throws Exception {
        StoreConfig s = ConfigLoader.load(null, Map.of()).config().store();
        assertThat(s.database()).isEqualTo("dtm");
        assertThat(s.schema()).isEqualTo("public");
        assertThat(s.port()).isZero();
        assertThat(s.connMaxLifetime()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.dataExpire()).isEqualTo(Duration.ofSeconds(604_800));
        assertThat(s.finishedDataExpire()).isEqualTo(Duration.ofSeconds(86_400));
        assertThat(s.redisPrefix()).isEqualTo("{a}");
        assertThat(s.maxOpenConns()).as("the store's own pool default").isEqualTo(StoreConfig.NOT_SET);
        assertThat(s.finishedRetention()).isEqualTo(Duration.ofDays(7));
        assertThat(s.startupTimeout()).isEqualTo(Duration.ofSeconds(60));
        assertThat(s.connectTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void everyStoreKeyHasDtmsEnvironmentVariable() throws Exception {
        Map<String, String> env = Map.ofEntries(Map.entry("STORE_DRIVER", "postgres"),
                Map.entry("STORE_HOST", "db.internal"), Map.entry("STORE_PORT", "5433"),
                Map.entry("STORE_USER", "dtm"), Map.entry("STORE_PASSWORD", " spaced pw "),
                Map.entry("STORE_DB", "dtmdb"), Map.entry("STORE_SCHEMA", "dtm_s"),
                Map.entry("STORE_MAX_OPEN_CONNS", "40"), Map.entry("STORE_MAX_IDLE_CONNS", "4"),
                Map.entry("STORE_CONN_MAX_LIFE_TIME", "7"), Map.entry("STORE_DATA_EXPIRE", "100"),
                Map.entry("STORE_FINISHED_DATA_EXPIRE", "50"), Map.entry("STORE_REDIS_PREFIX", "{b}"),
                Map.entry("STORE_FINISHED_RETENTION", "3600"), Map.entry("STORE_STARTUP_TIMEOUT", "9"),
                Map.entry("STORE_CONNECT_TIMEOUT", "2"), Map.entry("STORE_REDIS_SENTINEL_MASTER", "mymaster"));
        StoreConfig s = ConfigLoader.load(null, env).config().store();
        assertThat(s).isEqualTo(new StoreConfig("postgres", StoreConfig.DEFAULT_DATA_DIR, "db.internal", 5433, "dtm",
                " spaced pw ", "dtmdb", "dtm_s", 40, 4, Duration.ofMinutes(7), Duration.ofSeconds(2),
                Duration.ofSeconds(100), Duration.ofSeconds(50), "{b}", "mymaster", Duration.ofHours(1),
                Duration.ofSeconds(9)));
    }

    /** DTM's rule: the YAML path, CamelCase split into words, upper case, joined with '_'. */
    @Test
    void environmentNamesFollowDtmsRule() {
        for (ConfigKeys.Key k : ConfigKeys.KEYS) {
            if (!k.env().isEmpty()) {
                String derived = k.name().replaceAll("([a-z0-9])([A-Z])", "$1_$2")
                        .replaceAll("([A-Z])([A-Z][a-z])", "$1_$2").replace('.', '_').toUpperCase(Locale.ROOT);
                assertThat(k.env()).as(k.name()).isEqualTo(derived);
            }
        }
        assertThat(ConfigKeys.find("Store.ConnMaxLifeTime").orElseThrow().env()).isEqualTo("STORE_CONN_MAX_LIFE_TIME");
    }

    @Test
    void theFileOverridesStoreVariables() throws Exception {
        StoreConfig s = ConfigLoader.load(file("Store:\n  Driver: redis\n  Host: file-host\n  Port: 6380\n"),
                Map.of("STORE_DRIVER", "mysql", "STORE_HOST", "env-host", "STORE_PORT", "1")).config().store();
        assertThat(List.of(s.driver(), s.host(), s.port())).containsExactly("redis", "file-host", 6380);
    }

    @Test
    void dbAndTheManualsDatabaseAreOneSetting() throws Exception {
        assertThat(load("Store:\n  Db: a\n").store().database()).isEqualTo("a");
        assertThat(load("Store:\n  Database: b\n").store().database()).isEqualTo("b");
        rejects("Store:\n  Db: a\n  Database: b\n", "line 3, column 3: Store.Database: sets the same as Store.Db; "
                + "give only one of them");
        rejects("HttpPort: 1\nHTTPServer:\n  Port: 2\n", "HTTPServer.Port: sets the same as HttpPort");
    }

    @Test
    void driversAndTheirAliases() throws Exception {
        assertThat(load(pg("Driver: postgresql")).storeDriver()).isEqualTo("postgres");
        assertThat(load("Store:\n  Driver: MariaDB\n  Host: h\n  Port: 3306\n  User: u\n").storeDriver())
                .isEqualTo("mariadb");
        assertThat(load("Store:\n  Driver: redis\n  Host: h\n  Port: 6379\n").storeDriver()).isEqualTo("redis");
    }

    private static String pg(String driverLine) {
        return "Store:\n  " + driverLine + "\n  Host: h\n  Port: 5432\n  User: u\n";
    }

    @Test
    void dtmsChecksNameTheMissingKey() throws IOException {
        rejects("Store:\n  Driver: mysql\n  Port: 3306\n  User: u\n",
                ": Store.Host is required when Store.Driver is mysql");
        rejects("Store:\n  Driver: postgres\n  Host: h\n  User: u\n",
                ": Store.Port is required when Store.Driver is postgres (PostgreSQL listens on 5432 by default)");
        rejects("Store:\n  Driver: mariadb\n  Host: h\n  Port: 3306\n",
                ": Store.User is required when Store.Driver is mariadb");
        rejects("Store:\n  Driver: redis\n  Port: 6379\n", ": Store.Host is required when Store.Driver is redis");
        rejects("Store:\n  Driver: redis\n  Host: h\n", ": Store.Port is required when Store.Driver is redis");
        rejects("Store:\n  Driver: postgres\n  Host: a,b\n  Port: 5432\n  User: u\n",
                "Store.Host must be one host when Store.Driver is postgres");
        rejects("Store:\n  Driver: mysql\n  Host: h\n  Port: 1\n  User: u\n  MaxOpenConns: 5\n  MaxIdleConns: 6\n",
                "Store.MaxIdleConns (6) must not be larger than Store.MaxOpenConns (5)");
        rejects("Store:\n  Driver: redis\n  Host: h\n  Port: 6379\n  Db: dtm7\n",
                "Store.Db must be a Redis database number (e.g. 0) when Store.Driver is redis, got 'dtm7'");
    }

    @Test
    void checksOfTheEnvironmentAloneNameTheEnvironment() {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("STORE_DRIVER", "postgres")))
                .isInstanceOf(ConfigException.class)
                .hasMessage("environment: Store.Host is required when Store.Driver is postgres "
                        + "(e.g. Host: 'localhost')");
    }

    @Test
    void redisClusterWhenTheHostHoldsCommasAndSentinelByItsMasterName() throws Exception {
        StoreConfig single = load("Store:\n  Driver: redis\n  Host: r1\n  Port: 6380\n").store();
        assertThat(single.cluster()).isFalse();
        assertThat(single.address()).isEqualTo("r1:6380");

        StoreConfig cluster = load("Store:\n  Driver: redis\n  Host: 'r1:7000, r2:7001,r3:7002'\n").store();
        assertThat(cluster.cluster()).as("DTM's rule: commas mean a cluster; Port is not needed").isTrue();
        assertThat(cluster.redisNodes()).containsExactly("r1:7000", "r2:7001", "r3:7002");
        assertThat(cluster.product()).isEqualTo("Redis Cluster");

        StoreConfig sentinel = load("Store:\n  Driver: redis\n  Host: s1,s2:26380\n  Port: 26379\n"
                + "  RedisSentinelMaster: mymaster\n  Db: 3\n").store();
        assertThat(sentinel.sentinel()).isTrue();
        assertThat(sentinel.cluster()).isFalse();
        assertThat(sentinel.redisNodes()).containsExactly("s1:26379", "s2:26380");
        assertThat(sentinel.redisDatabase()).isEqualTo(3);
        assertThat(sentinel.product()).isEqualTo("Redis Sentinel");
        assertThat(load("Store:\n  Driver: redis\n  Host: r\n  Port: 1\n").store().redisDatabase())
                .as("DTM's default Db 'dtm' is database 0 on Redis").isZero();
    }

    @Test
    void unitsAreDtms() throws Exception {
        StoreConfig s = load(pg("Driver: postgres") + "  ConnMaxLifeTime: 2\n  DataExpire: 60\n"
                + "  FinishedDataExpire: 30\n  FinishedRetention: 0\n  StartupTimeout: 0\n").store();
        assertThat(s.connMaxLifetime()).as("minutes").isEqualTo(Duration.ofMinutes(2));
        assertThat(s.dataExpire()).as("seconds").isEqualTo(Duration.ofSeconds(60));
        assertThat(s.finishedDataExpire()).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.finishedRetention()).as("0 = off").isZero();
        assertThat(s.startupTimeout()).isZero();
        assertThat(s.summary()).contains("Store.FinishedRetention=off");
        rejects("Store:\n  MaxOpenConns: 1\n", "Store.MaxOpenConns: must be a whole number from 2 to 10000");
        rejects("Store:\n  ConnMaxLifeTime: 1441\n", "Store.ConnMaxLifeTime: must be a whole number from 0 to 1440");
        rejects("Store:\n  FinishedRetention: -1\n", "Store.FinishedRetention: must be a whole number from 0");
    }

    @Test
    void storeKeysTheDriverDoesNotUseAreWarnings() throws Exception {
        Loaded loaded = ConfigLoader.load(file("Store:\n  Driver: mem\n  Host: h\n  Password: pw-in-file\n"),
                Map.of("STORE_PORT", "5432"));
        assertThat(loaded.warnings()).containsExactly(
                "environment STORE_PORT: ignored, Store.Driver is mem",
                dir.resolve("config.yml") + ": line 3, column 3: Store.Host: ignored, Store.Driver is mem",
                dir.resolve("config.yml") + ": line 4, column 3: Store.Password: ignored, Store.Driver is mem");
        Loaded pgWithDir = ConfigLoader.load(file(pg("Driver: postgres") + "  DataDir: /x\n"), Map.of());
        assertThat(pgWithDir.warnings()).singleElement().asString().endsWith("Store.DataDir: ignored, Store.Driver "
                + "is postgres");
    }

    // ---------------------------------------------------------------- ${VAR} placeholders

    @Test
    void placeholdersComeFromTheEnvironment() throws Exception {
        Map<String, String> env = Map.of("DB_HOST", "db1", "DB_PASSWORD", "pw$1{x}");
        ServerConfig c = ConfigLoader.load(file(pg("Driver: postgres").replace("Host: h", "Host: '${DB_HOST}.lan'")
                + "  Password: ${DB_PASSWORD}\n  Schema: ${DTM_SCHEMA:-dtm_default}\n  RedisPrefix: '$${literal}'\n"),
                env).config();
        assertThat(c.store().host()).isEqualTo("db1.lan");
        assertThat(c.store().password()).as("replacement text is not re-scanned").isEqualTo("pw$1{x}");
        assertThat(c.store().schema()).isEqualTo("dtm_default");
        assertThat(c.store().redisPrefix()).isEqualTo("${literal}");
    }

    @Test
    void aMissingVariableIsAnErrorNamingIt() throws IOException {
        rejects(MANUAL_MYSQL, "line 6, column 3: Store.Password: environment variable DB_PASSWORD is not set "
                + "(used as ${DB_PASSWORD}); set it, or write ${DB_PASSWORD:-default}");
        rejects("Store:\n  Password: 'abc${DB-PASS}'\n", "Store.Password: malformed placeholder; write ${NAME}");
        rejects("Store:\n  Host: '${UNCLOSED'\n", "Store.Host: malformed placeholder");
    }

    @Test
    void placeholdersInKeysNotUsedYetAreNotResolved() throws Exception {
        Loaded loaded = ConfigLoader.load(file("AlertWebHook: '${NOT_SET_ANYWHERE}'\n"), Map.of());
        assertThat(loaded.warnings()).singleElement().asString().contains("AlertWebHook: ignored");
    }

    @Test
    void thePasswordIsInNoErrorMessage() throws IOException {
        String pw = "Hunter2-secret";
        Map<String, String> env = Map.of("STORE_PASSWORD", pw);
        for (String yaml : List.of("Store:\n  Driver: postgres\n", "Store:\n  Driver: mysql\n  Host: h\n  Port: x\n",
                "Store:\n  Driver: redis\n  Host: h\n", "Store:\n  Password: " + pw + "\n  Port: [1]\n",
                "Store:\n  Password: " + pw + "\n  Bogus: 1\n", "Store:\n  Password: '" + pw + "${'\n")) {
            Path p = file(yaml);
            assertThatThrownBy(() -> ConfigLoader.load(p, env)).isInstanceOf(ConfigException.class)
                    .satisfies(e -> assertThat(e.getMessage()).as(yaml).doesNotContain(pw));
        }
    }

    @Test
    void knownKeysOfTheSameSectionAreSuggested() throws IOException {
        rejects("Store:\n  Hots: h\n", "Store.Hots: unknown key (did you mean 'Store.Host'?); known keys: "
                + "Store.ConnMaxLifeTime",
                "Store.Host", "Store.RedisSentinelMaster");
        Path p = file("Store:\n  Hots: h\n");
        assertThatThrownBy(() -> ConfigLoader.load(p, Map.of())).message().doesNotContain("HttpPort");
        rejects("Bogus: 1\n", "Bogus: unknown key; known keys: ", "HttpPort", "Store.*");
    }
}
