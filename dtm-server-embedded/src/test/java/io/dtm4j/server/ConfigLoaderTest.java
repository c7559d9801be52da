package io.dtm4j.server;

import io.dtm4j.server.ConfigLoader.ConfigException;
import io.dtm4j.server.ConfigLoader.Loaded;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
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
        assertThat(c).isEqualTo(new ServerConfig(8080, "0.0.0.0", "mem", Path.of("/var/lib/dtm"),
                Duration.ofSeconds(12), Duration.ofSeconds(60), Duration.ofSeconds(5), "debug", 2048));
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
                  Driver: 'dtm-driver-gozero'
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
        assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).contains("line 2, column 3: MicroService.Driver:"
                + " ignored, not supported by dtm4j yet"));
        assertThat(loaded.warnings()).anySatisfy(w -> assertThat(w).contains("Log.Outputs"));
        assertThat(loaded.warnings()).noneSatisfy(w -> assertThat(w).contains("HTTPServer.Port"));
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
        rejects("Store:\n  Driver: mysql\n", "'mysql' is not supported by this build yet; use sqlite or mem");
        rejects("Store:\n  Driver: oracle\n", "must be sqlite (or boltdb, read as sqlite) or mem");
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
}
