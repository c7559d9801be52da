package io.dtm4j.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The standalone server's settings, after defaults, environment and {@code config.yml} were applied
 * ({@link ConfigLoader}). Immutable; {@link #toString()} and {@link #summary()} hold no secrets.
 *
 * @param httpPort       {@code HttpPort} (seed manual: {@code HTTPServer.Port}); 0 = any free port
 * @param host           {@code HTTPServer.Address}; default every interface
 * @param store          the {@code Store.*} settings
 * @param retryInterval  {@code RetryInterval}: base retry interval and recovery lease
 * @param timeoutToFail  {@code TimeoutToFail}: timeout of prepared msg/tcc/xa/workflow transactions
 * @param requestTimeout {@code RequestTimeout}: timeout of each branch call
 * @param logLevel       {@code LogLevel} / {@code Log.Level}: debug, info, warn or error
 * @param maxBodyBytes   {@code HTTPServer.MaxBodyBytes} (dtm4j's): larger request bodies get 413
 * @param readTimeout    {@code HTTPServer.ReadTimeout}: time a client gets to send its request
 * @param log            the other {@code Log.*} settings: outputs, format, rotation
 * @param security       who may call what: {@code Admin.*}, {@code Auth.Tokens}, {@code BranchUrl.*}
 */
record ServerConfig(int httpPort, String host, StoreConfig store, Duration retryInterval, Duration timeoutToFail,
                    Duration requestTimeout, String logLevel, int maxBodyBytes, Duration readTimeout,
                    LogSetup.Settings log, SecuritySettings security) {

    static final int DEFAULT_HTTP_PORT = 36789;
    static final String DEFAULT_HOST = "0.0.0.0";
    static final String DRIVER_SQLITE = StoreConfig.SQLITE;
    static final String DRIVER_MEM = StoreConfig.MEM;
    static final Path DEFAULT_DATA_DIR = StoreConfig.DEFAULT_DATA_DIR;
    /** DTM's defaults, in seconds: RetryInterval 10, TimeoutToFail 35, RequestTimeout 3. */
    static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofSeconds(10);
    static final Duration DEFAULT_TIMEOUT_TO_FAIL = Duration.ofSeconds(35);
    static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(3);
    static final String DEFAULT_LOG_LEVEL = "info";

    static ServerConfig defaults() {
        return new ServerConfig(DEFAULT_HTTP_PORT, DEFAULT_HOST, StoreConfig.defaults(), DEFAULT_RETRY_INTERVAL,
                DEFAULT_TIMEOUT_TO_FAIL, DEFAULT_REQUEST_TIMEOUT, DEFAULT_LOG_LEVEL, DtmServer.DEFAULT_MAX_BODY_BYTES,
                DtmServer.DEFAULT_READ_TIMEOUT, LogSetup.Settings.defaults(), SecuritySettings.defaults());
    }

    /** {@code Store.Driver}. */
    String storeDriver() {
        return store.driver();
    }

    /** {@code Store.DataDir}. */
    Path dataDir() {
        return store.dataDir();
    }

    ServerConfig withHttpPort(int value) {
        return new ServerConfig(value, host, store, retryInterval, timeoutToFail, requestTimeout, logLevel,
                maxBodyBytes, readTimeout, log, security);
    }

    ServerConfig withLogLevel(String value) {
        return new ServerConfig(httpPort, host, store, retryInterval, timeoutToFail, requestTimeout,
                value.toLowerCase(Locale.ROOT), maxBodyBytes, readTimeout, log, security);
    }

    /** One line for the start-up log; holds no secrets. */
    String summary() {
        return "HttpPort=" + httpPort + " " + store.summary() + " RetryInterval=" + retryInterval.toSeconds()
                + "s TimeoutToFail=" + timeoutToFail.toSeconds() + "s RequestTimeout=" + requestTimeout.toSeconds()
                + "s";
    }

    @Override
    public String toString() {
        return "ServerConfig[" + summary() + " HTTPServer.Address=" + host + " LogLevel=" + logLevel
                + " " + log.summary() + " HTTPServer.MaxBodyBytes=" + maxBodyBytes + " HTTPServer.ReadTimeout=" + readTimeout.toSeconds() + "s "
                + security.summary() + "]";
    }
}
