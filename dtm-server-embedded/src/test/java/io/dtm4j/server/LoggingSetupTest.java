package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.server.ConfigLoader.ConfigException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LoggingSetupTest {
    private static final Logger LOG = LoggerFactory.getLogger("io.dtm4j.test.LoggingSetupTest");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @AfterEach
    void restoreDefaultLogging() throws ConfigException {
        LogSetup.apply(ServerConfig.DEFAULT_LOG_LEVEL, LogSetup.Settings.defaults());
    }

    private ServerConfig load(String yaml) throws Exception {
        Path p = dir.resolve("config.yml");
        Files.writeString(p, yaml);
        return ConfigLoader.load(p, Map.of()).config();
    }

    private ServerConfig startLogging(String yaml) throws Exception {
        ServerConfig c = load(yaml);
        LogSetup.apply(c.logLevel(), c.log());
        return c;
    }

    private List<String> lines(Path log) throws IOException, ConfigException {
        restoreDefaultLogging(); // stops (and flushes) the file appenders
        return Files.readAllLines(log);
    }

    @Test
    void defaultsAreOneTextLinePerEventOnStderr() throws Exception {
        LogSetup.Settings d = ConfigLoader.load(null, Map.of()).config().log();
        assertThat(d).isEqualTo(LogSetup.Settings.defaults());
        assertThat(d.outputs()).containsExactly("stderr");
        assertThat(d.format()).isEqualTo("text");
        assertThat(d.rotation()).isFalse();
        assertThat(d.maxFileSizeMb()).isEqualTo(100);
        assertThat(d.maxHistory()).isEqualTo(7);
    }

    @Test
    void outputsToAFileInText() throws Exception {
        Path log = dir.resolve("logs/dtm.log");
        startLogging("Log:\n  Level: warn\n  Outputs: '" + log + "'\n");
        LOG.info("not shown at warn");
        LOG.warn("gid={} something to see", "g-1");
        List<String> lines = lines(log);
        assertThat(lines).hasSize(1);
        assertThat(lines.get(0)).contains(" WARN ").contains("LoggingSetupTest - gid=g-1 something to see");
    }

    @Test
    void jsonIsOneObjectPerLineWithLevelLoggerMessageAndGid() throws Exception {
        Path log = dir.resolve("dtm.json.log");
        startLogging("Log:\n  Format: json\n  Outputs: '" + log + "'\n");
        LOG.info("plain \"quoted\"\nsecond line");
        MDC.put("gid", "gid-mdc");
        try {
            LOG.info("inside a transaction");
        } finally {
            MDC.remove("gid");
        }
        LOG.warn("gid={} branch=01 failed", "gid-msg", new IllegalStateException("boom"));
        List<String> lines = lines(log);
        assertThat(lines).hasSize(3);
        JsonNode first = JSON.readTree(lines.get(0));
        assertThat(first.get("level").asText()).isEqualTo("INFO");
        assertThat(first.get("logger").asText()).isEqualTo("io.dtm4j.test.LoggingSetupTest");
        assertThat(first.get("message").asText()).isEqualTo("plain \"quoted\"\nsecond line");
        assertThat(first.has("time")).isTrue();
        assertThat(first.has("gid")).isFalse();
        assertThat(JSON.readTree(lines.get(1)).get("gid").asText()).isEqualTo("gid-mdc");
        JsonNode third = JSON.readTree(lines.get(2));
        assertThat(third.get("gid").asText()).isEqualTo("gid-msg");
        assertThat(third.get("level").asText()).isEqualTo("WARN");
        assertThat(third.get("error").asText()).contains("IllegalStateException: boom");
    }

    @Test
    void acceptsRotationSettingsAndRotates() throws Exception {
        Path log = dir.resolve("rot.log");
        ServerConfig c = startLogging("Log:\n  Outputs: '" + log + "'\n  RotationEnable: 1\n"
                + "  MaxFileSize: 1\n  MaxHistory: 3\n");
        assertThat(c.log()).isEqualTo(new LogSetup.Settings(List.of(log.toString()), "text", true, 1, 3));
        String big = "x".repeat(10_000);
        for (int i = 0; i < 120; i++) { // about 1.2 MB
            LOG.warn(big);
        }
        Thread.sleep(1_100); // LogSetup has Logback look at the size at most once a second
        LOG.warn("after the limit");
        restoreDefaultLogging();
        assertThat(dir.resolve("rot.log.1")).exists();
        assertThat(Files.size(dir.resolve("rot.log.1"))).isGreaterThan(1L << 20);
        assertThat(Files.readAllLines(log)).singleElement().satisfies(l -> assertThat(l).endsWith("after the limit"));
    }

    @Test
    void readsDtmsRotationConfigJsonAndEnvironment() throws Exception {
        ServerConfig c = ConfigLoader.load(null, Map.of("LOG_OUTPUTS", "stdout, /tmp/x.log", "LOG_ROTATION_ENABLE",
                "1", "LOG_ROTATION_CONFIG_JSON", "{\"maxsize\":50,\"maxage\":0,\"maxbackups\":4,\"compress\":false}",
                "LOG_FORMAT", "JSON")).config();
        assertThat(c.log()).isEqualTo(new LogSetup.Settings(List.of("stdout", "/tmp/x.log"), "json", true, 50, 4));
    }

    @Test
    void badLogValuesAreConfigErrorsNamingTheKey() {
        assertThatThrownBy(() -> load("Log:\n  Format: xml\n")).isInstanceOf(ConfigException.class)
                .hasMessageContainingAll("Log.Format", "text or json", "xml");
        assertThatThrownBy(() -> load("Log:\n  RotationEnable: yes please\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("Log.RotationEnable");
        assertThatThrownBy(() -> load("Log:\n  MaxHistory: 99\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("Log.MaxHistory");
        assertThatThrownBy(() -> load("Log:\n  RotationConfigJSON: 'not json'\n"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("Log.RotationConfigJSON");
        assertThatThrownBy(() -> load("Log:\n  Outputs: 'stderr,,x'\n")).isInstanceOf(ConfigException.class)
                .hasMessageContaining("Log.Outputs");
    }

    @Test
    void anUnopenableFileIsAnError() throws Exception {
        Path notADir = Files.writeString(dir.resolve("plain"), "");
        ServerConfig c = load("Log:\n  Outputs: '" + notADir.resolve("dtm.log") + "'\n");
        assertThatThrownBy(() -> LogSetup.apply(c.logLevel(), c.log())).isInstanceOf(ConfigException.class)
                .hasMessageContaining("Log.Outputs");
    }

    @Test
    void theStartUpLogNeverShowsTheStorePassword() throws Exception {
        Path log = dir.resolve("startup.log");
        String secret = "s3cr3t-Pa55";
        Path p = dir.resolve("config.yml");
        Files.writeString(p, "Store:\n  Driver: sqlite\n  Password: '" + secret + "'\nLog:\n  Level: debug\n"
                + "  Outputs: '" + log + "'\n");
        ConfigLoader.Loaded loaded = ConfigLoader.load(p, Map.of());
        ServerConfig c = loaded.config();
        LogSetup.apply(c.logLevel(), c.log());
        // what DtmMain logs at start-up: the warnings, then the summary; the whole config at debug
        loaded.warnings().forEach(LOG::warn);
        LOG.info("dtm listening with store {} ({})", c.storeDriver(), c.summary());
        LOG.debug("config {}", c);
        List<String> lines = lines(log);
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("Store.Password"));
        assertThat(lines).anySatisfy(l -> assertThat(l).contains("dtm listening"));
        assertThat(String.join("\n", lines)).doesNotContain(secret);
    }
}
