package io.dtm4j.server;

import com.sun.net.httpserver.HttpServer;
import io.dtm4j.client.BranchUrlPolicy;
import io.dtm4j.core.Coordinator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * DTM's HTTP API ({@code spec/server-protocol.md} 1.2) over a {@link Coordinator}, so that every existing
 * DTM client works unchanged. Served by the JDK's built-in HTTP server on an owned pool of threads named
 * {@code dtm-http-N} (see {@code docs/decisions/001-http-server.md}).
 *
 * <pre>{@code
 * DtmServer server = DtmServer.builder().coordinator(coordinator).port(0).build();
 * server.start();
 * int port = server.port();   // the bound port
 * ...
 * server.close();             // stop accepting, let running requests finish (up to 5 s)
 * }</pre>
 *
 * <p>The coordinator belongs to the caller: closing the server does not close it. Thread-safe.
 */
public final class DtmServer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DtmServer.class);
    private static final String NODELAY = "sun.net.httpserver.nodelay";
    private static final String MAX_REQ_TIME = "sun.net.httpserver.maxReqTime";

    static {
        // Without TCP_NODELAY the JDK server's separate header and body writes meet delayed ACKs: 40 ms a call.
        if (System.getProperty(NODELAY) == null) {
            System.setProperty(NODELAY, "true");
        }
    }

    /** DTM's HTTP port. */
    public static final int DEFAULT_PORT = 36789;
    /** Default bind address: every interface, as DTM. */
    public static final String DEFAULT_HOST = "0.0.0.0";
    /** Default cap on a request body: 1 MiB. */
    public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
    /** Default number of request threads; a wait_result request holds one while its branches run. */
    public static final int DEFAULT_WORKER_THREADS = 200;
    /**
     * Default time {@code GET /api/ready} waits for the store's ping: 800 ms, so that the answer comes within
     * Kubernetes' default probe timeout of 1 s.
     */
    public static final Duration DEFAULT_READINESS_TIMEOUT = Duration.ofMillis(800);
    /**
     * Default time a client gets to send a request's headers and body: 30 s; a slower one is disconnected, so idle
     * or trickling connections cannot hold the server's threads (slowloris).
     */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);
    /** Default time running requests get to finish on {@link #close()}. */
    public static final Duration DEFAULT_SHUTDOWN_GRACE = Duration.ofSeconds(5);

    private static final int BACKLOG = 1024;
    private static final long POLL_MILLIS = 10;

    private final String host;
    private final int configuredPort;
    private final int workerThreads;
    private final Duration shutdownGrace;
    private final Duration readTimeout;
    private final String version;
    private final ApiHandler handler;
    private final ReadinessCheck readiness;
    private final AccessGuard guard;
    private final DtmRoutes routes;
    private final BranchUrlPolicy urlPolicy;
    private final String adminHost;
    private final int adminPort;
    private HttpServer http;
    private HttpServer adminHttp;
    private ThreadPoolExecutor executor;
    private boolean closed;

    private DtmServer(Builder b) {
        this.host = b.host;
        this.configuredPort = b.port;
        this.workerThreads = b.workerThreads;
        this.shutdownGrace = b.shutdownGrace;
        this.readTimeout = b.readTimeout;
        this.version = b.version;
        this.adminHost = b.adminHost;
        this.adminPort = b.adminPort;
        this.readiness = new ReadinessCheck(b.coordinator.store(), b.readinessTimeout);
        ServerMetrics metrics = b.metrics != null ? b.metrics : new ServerMetrics();
        metrics.attach(b.version, b.coordinator.store(), readiness::storeUp);
        this.urlPolicy = b.urlPolicy;
        this.routes = new DtmRoutes(b.coordinator, b.version, b.timeoutToFail.multipliedBy(3), readiness,
                metrics, b.urlPolicy);
        Optional<InetSocketAddress> admin = b.adminHost == null ? Optional.empty()
                : Optional.of(new InetSocketAddress(b.adminHost, b.adminPort));
        this.guard = new AccessGuard(b.tokens, b.allowRemoteAdmin, admin);
        this.handler = new ApiHandler(routes, metrics, b.maxBodyBytes, new AdminUi(b.adminBasePath), guard);
    }

    /** Returns a builder; {@link Builder#coordinator} is required. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Binds the port and starts serving.
     *
     * @return this server
     * @throws UncheckedIOException  when the address cannot be bound (e.g. the port is in use); its cause
     *                               is the {@link java.net.BindException}
     * @throws IllegalStateException when already started or closed
     */
    public synchronized DtmServer start() {
        if (http != null || closed) {
            throw new IllegalStateException("DtmServer.start(): already " + (closed ? "closed" : "started"));
        }
        // The JDK reads it once, when the first server of the JVM starts; -Dsun.net.httpserver.maxReqTime wins.
        if (System.getProperty(MAX_REQ_TIME) == null) {
            System.setProperty(MAX_REQ_TIME, Long.toString(Math.max(1, readTimeout.toSeconds())));
        }
        HttpServer server = bind(host, configuredPort);
        HttpServer admin = null;
        if (adminHost != null) {
            try {
                admin = bind(adminHost, adminPort);
            } catch (UncheckedIOException e) {
                server.stop(0);
                throw e;
            }
        }
        executor = newExecutor(workerThreads);
        server.createContext("/", handler.on(AccessGuard.Listener.PUBLIC));
        server.setExecutor(executor);
        server.start();
        http = server;
        if (admin != null) {
            routes.urlPolicy(urlPolicy.withAdminListener(admin.getAddress()));
            admin.createContext("/", handler.on(AccessGuard.Listener.ADMIN));
            admin.setExecutor(executor);
            admin.start();
            adminHttp = admin;
        }
        LOG.info("access: {}", guard.describe(host + ":" + port(),
                admin == null ? "" : adminHost + ":" + admin.getAddress().getPort()));
        return this;
    }

    private static HttpServer bind(String host, int port) {
        try {
            return HttpServer.create(new InetSocketAddress(host, port), BACKLOG);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** The admin listener's bound port once started, when there is one. */
    public synchronized OptionalInt adminPort() {
        if (adminHost == null) {
            return OptionalInt.empty();
        }
        return OptionalInt.of(adminHttp != null ? adminHttp.getAddress().getPort() : adminPort);
    }

    private static ThreadPoolExecutor newExecutor(int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "dtm-http-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        pool.allowCoreThreadTimeOut(true);
        return pool;
    }

    /** Returns the bound port once started (the real one when built with port 0), else the configured one. */
    public synchronized int port() {
        return http != null ? http.getAddress().getPort() : configuredPort;
    }

    /** Returns the bind address. */
    public String host() {
        return host;
    }

    /** Returns the version the server reports on {@code /api/dtmsvr/version}. */
    public String version() {
        return version;
    }

    /**
     * Stops the server: new requests get 503 at once, running ones get up to the shutdown grace to finish,
     * then the port is released and the request threads stop. Idempotent.
     */
    @Override
    public void close() {
        HttpServer server;
        HttpServer admin;
        ThreadPoolExecutor pool;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            server = http;
            admin = adminHttp;
            pool = executor;
        }
        readiness.close();
        if (server == null) {
            return;
        }
        handler.stopAccepting();
        long deadline = System.nanoTime() + shutdownGrace.toNanos();
        try {
            while (handler.inFlight() > 0 && System.nanoTime() < deadline) {
                Thread.sleep(POLL_MILLIS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (handler.inFlight() > 0) {
            LOG.warn("stopping the HTTP server with {} requests still running", handler.inFlight());
        }
        // stop(0), not stop(grace): on JDK 17 stop(n) waits the full n seconds even when idle.
        server.stop(0);
        if (admin != null) {
            admin.stop(0);
        }
        pool.shutdown();
        try {
            if (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
                pool.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            pool.shutdownNow();
        }
    }

    /** The version of this build: {@code v} + the jar's Implementation-Version, or {@code v0.0.0-dev}. */
    static String buildVersion() {
        String v = DtmServer.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "v0.0.0-dev" : "v" + v;
    }

    /** Builder of {@link DtmServer}; not thread-safe. */
    public static final class Builder {
        private Coordinator coordinator;
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private int workerThreads = DEFAULT_WORKER_THREADS;
        private Duration shutdownGrace = DEFAULT_SHUTDOWN_GRACE;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;
        private Duration timeoutToFail = Coordinator.DEFAULT_TIMEOUT_TO_FAIL;
        private Duration readinessTimeout = DEFAULT_READINESS_TIMEOUT;
        private String version = buildVersion();
        private ServerMetrics metrics;
        private String adminBasePath = "";
        private String adminHost;
        private int adminPort;
        private boolean allowRemoteAdmin;
        private List<ApiToken> tokens = List.of();
        private BranchUrlPolicy urlPolicy = BranchUrlPolicy.defaults();

        private Builder() {
        }

        /**
         * Serves the admin UI under this path (DTM's {@code AdminBasePath}, e.g. {@code /dtm}) instead of at
         * {@code /}. Default: empty.
         *
         * @throws IllegalArgumentException unless empty or {@code /} followed by letters, digits, {@code _ - /}
         *                                  and not ending in {@code /}
         */
        public Builder adminBasePath(String value) {
            String v = Objects.requireNonNull(value, "adminBasePath");
            if (!v.isEmpty() && !v.matches("(/[A-Za-z0-9_-]+)+")) {
                throw new IllegalArgumentException("adminBasePath must be empty or like /dtm or /ops/dtm, got '" + v
                        + "'");
            }
            adminBasePath = v;
            return this;
        }

        /**
         * Serves the admin UI and the operator routes on a listener of their own (DTM's port then serves only the
         * client, health and version routes). Default: none.
         *
         * @param port 0 = any free port
         */
        public Builder adminListener(String host, int port) {
            this.adminHost = Objects.requireNonNull(host, "host");
            if (port < 0 || port > 65_535) {
                throw new IllegalArgumentException("admin port must be 0 to 65535, got " + port);
            }
            this.adminPort = port;
            return this;
        }

        /**
         * Time a client gets to send a request (headers and body); default 30 s. JVM-wide: the JDK takes it from
         * the first server started in the process.
         */
        public Builder readTimeout(Duration value) {
            Objects.requireNonNull(value, "readTimeout");
            if (value.toSeconds() < 1) {
                throw new IllegalArgumentException("readTimeout must be at least 1 s, got " + value);
            }
            this.readTimeout = value;
            return this;
        }

        /** Without tokens, opens the admin UI and operator routes to every client, not only loopback ones. */
        public Builder allowRemoteAdmin(boolean value) {
            this.allowRemoteAdmin = value;
            return this;
        }

        /**
         * Bearer tokens, each {@code name:role:sha256:<hex>} or {@code name:role:<token>} (roles viewer, operator,
         * api); with any, every route but health and version needs one. Default: none.
         *
         * @throws IllegalArgumentException naming a malformed entry (never its secret)
         */
        public Builder tokens(List<String> entries) {
            List<ApiToken> parsed = new ArrayList<>();
            Set<String> names = new HashSet<>();
            for (String e : entries) {
                ApiToken t = ApiToken.parse(e);
                if (!names.add(t.name())) {
                    throw new IllegalArgumentException("two tokens are named '" + t.name() + "'");
                }
                parsed.add(t);
            }
            this.tokens = List.copyOf(parsed);
            return this;
        }

        /** Which branch URLs transactions may name; checked at submit. Default {@link BranchUrlPolicy#defaults()}. */
        public Builder urlPolicy(BranchUrlPolicy value) {
            this.urlPolicy = Objects.requireNonNull(value, "urlPolicy");
            return this;
        }

        /** The coordinator behind the API; required. Not closed by the server. */
        public Builder coordinator(Coordinator value) {
            this.coordinator = Objects.requireNonNull(value, "coordinator");
            return this;
        }

        /** Bind address; default {@code 0.0.0.0} (every interface). */
        public Builder host(String value) {
            Objects.requireNonNull(value, "host");
            if (value.isBlank()) {
                throw new IllegalArgumentException("host must not be blank; use 0.0.0.0 for every interface");
            }
            this.host = value;
            return this;
        }

        /** Port; default 36789; 0 picks a free one ({@link #port()} tells which). */
        public Builder port(int value) {
            if (value < 0 || value > 65535) {
                throw new IllegalArgumentException("port must be 0 to 65535, got " + value);
            }
            this.port = value;
            return this;
        }

        /** Largest request body accepted, in bytes; larger ones get 413; default 1 MiB; 1 KiB to 64 MiB. */
        public Builder maxBodyBytes(int value) {
            if (value < 1024 || value > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("maxBodyBytes must be 1024 to 67108864, got " + value);
            }
            this.maxBodyBytes = value;
            return this;
        }

        /** Request threads; default 200; 1 to 10000. Idle threads stop after 60 s. */
        public Builder workerThreads(int value) {
            if (value < 1 || value > 10_000) {
                throw new IllegalArgumentException("workerThreads must be 1 to 10000, got " + value);
            }
            this.workerThreads = value;
            return this;
        }

        /** How long {@link #close()} lets running requests finish; default 5 s; zero or more. */
        public Builder shutdownGrace(Duration value) {
            Objects.requireNonNull(value, "shutdownGrace");
            if (value.isNegative()) {
                throw new IllegalArgumentException("shutdownGrace must not be negative, got " + value);
            }
            this.shutdownGrace = value;
            return this;
        }

        /**
         * The coordinator's TimeoutToFail, for resetCronTime's default {@code timeout} (3 x this, as DTM);
         * default 35 s.
         */
        public Builder timeoutToFail(Duration value) {
            Objects.requireNonNull(value, "timeoutToFail");
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException("timeoutToFail must be positive, got " + value);
            }
            this.timeoutToFail = value;
            return this;
        }

        /**
         * How long {@code GET /api/ready} waits for the store's ping before it answers 503; default 800 ms;
         * positive.
         */
        public Builder readinessTimeout(Duration value) {
            Objects.requireNonNull(value, "readinessTimeout");
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException("readinessTimeout must be positive, got " + value);
            }
            this.readinessTimeout = value;
            return this;
        }

        /** The version reported by the version routes; default {@code v<Implementation-Version>}. */
        public Builder version(String value) {
            this.version = Objects.requireNonNull(value, "version");
            return this;
        }

        /**
         * The metrics to serve on {@code /api/metrics}; pass the instance given to the coordinator's
         * {@code events(...)} too, for the transaction and branch metrics. Default a new {@link ServerMetrics}, with
         * the HTTP, store and JVM metrics only. One instance serves one server.
         */
        public Builder metrics(ServerMetrics value) {
            this.metrics = Objects.requireNonNull(value, "metrics");
            return this;
        }

        /** Builds the server; call {@link DtmServer#start()} to serve. */
        public DtmServer build() {
            if (coordinator == null) {
                throw new IllegalStateException("DtmServer.builder(): coordinator(...) is required");
            }
            return new DtmServer(this);
        }
    }
}
