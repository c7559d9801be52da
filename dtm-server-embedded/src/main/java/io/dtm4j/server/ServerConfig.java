package io.dtm4j.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The standalone server's settings, after defaults, environment and {@code config.yml} were applied
 * ({@link ConfigLoader}). Immutable.
 *
 * @param httpPort       {@code HttpPort} (seed manual: {@code HTTPServer.Port}); 0 = any free port
 * @param host           {@code HTTPServer.Address}; default every interface
 * @param storeDriver    {@code Store.Driver}: {@code sqlite} (default; {@code boltdb} is read as sqlite) or
 *                       {@code mem}
 * @param dataDir        {@code Store.DataDir}: where the SQLite file lives; default {@code ./dtm-data}
 * @param retryInterval  {@code RetryInterval}: base retry interval and recovery lease
 * @param timeoutToFail  {@code TimeoutToFail}: timeout of prepared msg/tcc/xa/workflow transactions
 * @param requestTimeout {@code RequestTimeout}: timeout of each branch call
 * @param logLevel       {@code LogLevel} / {@code Log.Level}: debug, info, warn or error
 * @param maxBodyBytes   {@code HTTPServer.MaxBodyBytes} (dtm4j's): larger request bodies get 413
 */
record ServerConfig(int httpPort, String host, String storeDriver, Path dataDir, Duration retryInterval,
                    Duration timeoutToFail, Duration requestTimeout, String logLevel, int maxBodyBytes) {

    static final int DEFAULT_HTTP_PORT = 36789;
    static final String DEFAULT_HOST = "0.0.0.0";
    static final String DRIVER_SQLITE = "sqlite";
    static final String DRIVER_MEM = "mem";
    static final Path DEFAULT_DATA_DIR = Path.of("dtm-data");
    /** DTM's defaults, in seconds: RetryInterval 10, TimeoutToFail 35, RequestTimeout 3. */
    static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofSeconds(10);
    static final Duration DEFAULT_TIMEOUT_TO_FAIL = Duration.ofSeconds(35);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(3);
    static final String DEFAULT_LOG_LEVEL = "info";

    static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HTTP_PORT, DEFAULT_HOST, DRIVER_SQLITE, DEFAULT_DATA_DIR,
                DEFAULT_RETRY_INTERVAL, DEFAULT_TIMEOUT_TO_FAIL, DEFAULT_REQUEST_TIMEOUT, DEFAULT_LOG_LEVEL,
                DtmServer.DEFAULT_MAX_BODY_BYTES);
    }

    ServerConfig withHttpPort(int value) {
        return new ServerConfig(value, host, storeDriver, dataDir, retryInterval, timeoutToFail, requestTimeout,
                logLevel, maxBodyBytes);
    }

    ServerConfig withLogLevel(String value) {
        return new ServerConfig(httpPort, host, storeDriver, dataDir, retryInterval, timeoutToFail, requestTimeout,
                value.toLowerCase(Locale.ROOT), maxBodyBytes);
    }

    /** One line for the start-up log; holds no secrets. */
    String summary() {
        return "HttpPort=" + httpPort + " Store.Driver=" + storeDriver
                + (DRIVER_SQLITE.equals(storeDriver) ? " Store.DataDir=" + dataDir : "")
                + " RetryInterval=" + retryInterval.toSeconds() + "s TimeoutToFail=" + timeoutToFail.toSeconds()
                + "s RequestTimeout=" + requestTimeout.toSeconds() + "s";
    }
}
