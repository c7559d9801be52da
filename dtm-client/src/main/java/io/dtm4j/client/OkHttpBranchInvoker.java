package io.dtm4j.client;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;
import okhttp3.Call;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.Dns;
import okhttp3.HttpUrl;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Calls branch ops over HTTP with OkHttp, as DTM's server does ({@code spec/server-protocol.md} 1.5):
 * {@code POST|GET url?branch_id=&gid=&op=&trans_type=} (appended, existing query parameters kept),
 * {@code Content-Type: application/json} then the {@code branch_headers}, the stored body as it is, the
 * call's own timeout and no redirects followed; OkHttp retries only a connection that failed before the request
 * could be sent (a pooled connection the server had closed). An optional {@link BranchUrlPolicy} refuses URLs.
 *
 * <p>The answer is classified as in spec section 0: status 425 or a body containing {@code ONGOING} is
 * ONGOING; else 409 or a body containing {@code FAILURE} is FAILURE; else any status but 200 is ERROR;
 * else SUCCESS. Only the first {@link Builder#maxResponseBytes} of a body are read. A network error, a
 * timeout, a bad URL or header, or a gRPC / JSON-RPC target (not supported yet) is ERROR with a short
 * detail; {@link #invoke} never throws.
 *
 * <p>Thread-safe: one instance serves every call of a coordinator over a shared connection pool. Close it
 * to release the pool, unless the OkHttp client was supplied by the caller.
 */
public final class OkHttpBranchInvoker implements BranchInvoker, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OkHttpBranchInvoker.class);

    /** Idle connections kept per pool. */
    public static final int DEFAULT_MAX_IDLE_CONNECTIONS = 256;
    /**
     * How long an idle connection is kept: 4 s, below the idle timeouts of common servers (Node 5 s, JDK
     * HttpServer 30 s, Tomcat 20 s), so that a pooled connection is rarely one the server has closed.
     */
    public static final Duration DEFAULT_KEEP_ALIVE = Duration.ofSeconds(4);
    /** How much of a response body is read and classified: 64 KiB. */
    public static final int DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;
    /** Timeout used when a call carries none (the engine always sets one). */
    static final Duration FALLBACK_TIMEOUT = Duration.ofSeconds(3);

    private static final int MAX_CONCURRENT_CALLS = 4096;
    /** Parsed branch URLs kept; the map is emptied when it reaches this size. */
    private static final int MAX_PARSED_URLS = 1024;

    private final OkHttpClient client;
    private final boolean ownsClient;
    private final int maxResponseBytes;
    private final BranchUrlPolicy urlPolicy;
    /**
     * Branch URLs as OkHttp parsed them: the same few URLs are called over and over, and parsing one (host
     * canonicalisation with IDN mapping) was 7% of a standalone server's CPU. {@link HttpUrl} is immutable.
     */
    private final Map<String, HttpUrl> parsedUrls = new ConcurrentHashMap<>();

    private OkHttpBranchInvoker(Builder b) {
        this.ownsClient = b.client == null;
        OkHttpClient.Builder cb;
        if (b.client == null) {
            Dispatcher dispatcher = new Dispatcher();
            dispatcher.setMaxRequests(MAX_CONCURRENT_CALLS);
            dispatcher.setMaxRequestsPerHost(MAX_CONCURRENT_CALLS);
            cb = new OkHttpClient.Builder()
                    .dispatcher(dispatcher)
                    .connectionPool(new ConnectionPool(b.maxIdleConnections, b.keepAlive.toMillis(),
                            TimeUnit.MILLISECONDS));
        } else {
            cb = b.client.newBuilder();
        }
        // Every limit comes from the per-call timeout, so a long request_timeout is not cut by a read timeout.
        cb.connectTimeout(Duration.ZERO).readTimeout(Duration.ZERO).writeTimeout(Duration.ZERO)
                .callTimeout(Duration.ZERO)
                .followRedirects(false)
                .followSslRedirects(false)
                // A pooled connection the branch server already closed (HTTP/1.0 servers close after each reply)
                // fails at once; OkHttp then retries on a new connection. Branch calls are idempotent by DTM's
                // contract, and without this the call would wait a whole RetryInterval as an ERROR.
                .retryOnConnectionFailure(true);
        if (b.urlPolicy != null) {
            // Checked again on the addresses actually connected to: DNS may answer differently than at submit.
            BranchUrlPolicy policy = b.urlPolicy;
            cb.dns(host -> {
                List<InetAddress> addresses = Dns.SYSTEM.lookup(host);
                Optional<String> refused = policy.refusal(host, addresses, -1);
                if (refused.isPresent()) {
                    throw new UnknownHostException("refused by the branch URL policy: " + refused.get());
                }
                return addresses;
            });
        }
        this.client = cb.build();
        this.urlPolicy = b.urlPolicy;
        this.maxResponseBytes = b.maxResponseBytes;
    }

    /** Returns a builder with the defaults above. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public BranchOutcome invoke(BranchCall call) {
        if (!isPlainHttp(call)) {
            return BranchOutcome.of(BranchResult.ERROR, "protocol " + call.protocol() + " not supported yet ("
                    + call.url() + ")");
        }
        if (urlPolicy != null) {
            Optional<String> refused = urlPolicy.refusal(call.url());
            if (refused.isPresent()) {
                return BranchOutcome.of(BranchResult.ERROR, "refused by the branch URL policy: " + refused.get());
            }
        }
        Request request;
        try {
            request = request(call);
        } catch (IllegalArgumentException e) {
            return BranchOutcome.of(BranchResult.ERROR, e.getMessage());
        }
        long started = System.nanoTime();
        BranchOutcome outcome = execute(call, request);
        if (LOG.isDebugEnabled()) {
            LOG.debug("gid={} branch={} op={}: {} {} -> {} in {} ms", call.gid(), call.branchId(), call.op(),
                    request.method(), where(request.url()), outcome.result(),
                    (System.nanoTime() - started) / 1_000_000);
        }
        return outcome;
    }

    /** DTM's protocol choice: HTTP when the protocol is http or the URL is http(s), unless it is JSON-RPC. */
    private static boolean isPlainHttp(BranchCall call) {
        String url = call.url();
        boolean httpUrl = url.startsWith("http://") || url.startsWith("https://");
        if (!"http".equals(call.protocol()) && !httpUrl) {
            return false;
        }
        return !("json-rpc".equals(call.protocol()) && url.contains("method"));
    }

    private Request request(BranchCall call) {
        HttpUrl base = parse(call.url());
        if (base == null) {
            throw new IllegalArgumentException("invalid branch URL '" + call.url() + "'");
        }
        // Sorted as Go's url.Values.Encode writes them.
        HttpUrl url = base.newBuilder()
                .addQueryParameter("branch_id", call.branchId())
                .addQueryParameter("gid", call.gid())
                .addQueryParameter("op", call.op())
                .addQueryParameter("trans_type", call.transType().wireName())
                .build();
        Request.Builder rb = new Request.Builder().url(url).header("Content-Type", "application/json");
        for (Map.Entry<String, String> h : call.headers().entrySet()) {
            try {
                rb.header(h.getKey(), h.getValue());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("invalid branch header '" + h.getKey() + "': " + e.getMessage(), e);
            }
        }
        // A null media type keeps the Content-Type header above, for GET and POST alike.
        RequestBody body = "POST".equals(call.httpMethod()) ? RequestBody.create(call.body(), null) : null;
        return rb.method(call.httpMethod(), body).build();
    }

    private HttpUrl parse(String url) {
        HttpUrl parsed = parsedUrls.get(url);
        if (parsed == null) {
            parsed = HttpUrl.parse(url);
            if (parsed != null) {
                if (parsedUrls.size() >= MAX_PARSED_URLS) {
                    parsedUrls.clear();
                }
                parsedUrls.put(url, parsed);
            }
        }
        return parsed;
    }

    private BranchOutcome execute(BranchCall call, Request request) {
        Duration timeout = call.timeout().isZero() || call.timeout().isNegative() ? FALLBACK_TIMEOUT : call.timeout();
        Call c = client.newCall(request);
        c.timeout().timeout(timeout.toMillis(), TimeUnit.MILLISECONDS);
        try (Response response = c.execute()) {
            String body = read(response);
            return classify(response.code(), body);
        } catch (InterruptedIOException e) {
            return BranchOutcome.of(BranchResult.ERROR, request.method() + " " + where(request.url())
                    + ": timed out after " + timeout.toMillis() + " ms");
        } catch (ConnectException e) {
            return BranchOutcome.of(BranchResult.ERROR, request.method() + " " + where(request.url())
                    + ": connection refused");
        } catch (UnknownHostException e) {
            String why = e.getMessage() != null && e.getMessage().startsWith("refused") ? e.getMessage() : "unknown host";
            return BranchOutcome.of(BranchResult.ERROR, request.method() + " " + where(request.url()) + ": " + why);
        } catch (IOException | RuntimeException e) {
            return BranchOutcome.of(BranchResult.ERROR, request.method() + " " + where(request.url()) + ": "
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        }
    }

    /** The first {@link Builder#maxResponseBytes} of the body; a body of known, small length in one exact read. */
    private String read(Response response) throws IOException {
        long length = response.body().contentLength();
        if (length >= 0 && length <= maxResponseBytes) {
            // sized by Content-Length: no 64 KiB buffer for a 25-byte answer
            return new String(response.body().bytes(), StandardCharsets.UTF_8);
        }
        try (InputStream in = response.body().byteStream()) {
            return new String(in.readNBytes(maxResponseBytes), StandardCharsets.UTF_8);
        }
    }

    /** Spec section 0, in this order: ONGOING, FAILURE, other non-200, SUCCESS. */
    static BranchOutcome classify(int status, String body) {
        if (status == 425 || body.contains("ONGOING")) {
            return BranchOutcome.of(BranchResult.ONGOING, body.strip());
        }
        if (status == 409 || body.contains("FAILURE")) {
            return BranchOutcome.of(BranchResult.FAILURE, body.strip());
        }
        if (status != 200) {
            return BranchOutcome.of(BranchResult.ERROR, "HTTP " + status + (body.isBlank() ? "" : ": " + body.strip()));
        }
        return BranchOutcome.of(BranchResult.SUCCESS, body.strip());
    }

    /** The URL without its query, for messages: the query repeats the gid and may carry user values. */
    private static String where(HttpUrl url) {
        return url.scheme() + "://" + url.host() + ":" + url.port() + url.encodedPath();
    }

    /** Releases the connection pool and the dispatcher's threads, when this invoker created them. */
    @Override
    public void close() {
        if (ownsClient) {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
        }
    }

    /** Builder of {@link OkHttpBranchInvoker}; not thread-safe. */
    public static final class Builder {
        private OkHttpClient client;
        private int maxIdleConnections = DEFAULT_MAX_IDLE_CONNECTIONS;
        private Duration keepAlive = DEFAULT_KEEP_ALIVE;
        private int maxResponseBytes = DEFAULT_MAX_RESPONSE_BYTES;
        private BranchUrlPolicy urlPolicy;

        private Builder() {
        }

        /**
         * Refuses calls the policy forbids (as an ERROR naming the rule), checked on the URL before each call and
         * on the addresses the host resolves to when connecting. Default: none, every http(s) URL is called.
         */
        public Builder urlPolicy(BranchUrlPolicy value) {
            this.urlPolicy = Objects.requireNonNull(value, "urlPolicy");
            return this;
        }

        /**
         * Shares an existing OkHttp client's pool and dispatcher (its timeouts, redirect and retry settings
         * are overridden as described above). Such a client is not closed by {@link #close()}.
         */
        public Builder client(OkHttpClient value) {
            this.client = Objects.requireNonNull(value, "client");
            return this;
        }

        /** Idle connections kept in the owned pool; default 256; at least 1. */
        public Builder maxIdleConnections(int value) {
            if (value < 1) {
                throw new IllegalArgumentException("maxIdleConnections must be at least 1, got " + value);
            }
            this.maxIdleConnections = value;
            return this;
        }

        /** How long an idle connection is kept in the owned pool; default 4 s; must be positive. */
        public Builder keepAlive(Duration value) {
            Objects.requireNonNull(value, "keepAlive");
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException("keepAlive must be positive, got " + value);
            }
            this.keepAlive = value;
            return this;
        }

        /** How many bytes of a response body are read and classified; default 64 KiB; 1 KiB to 16 MiB. */
        public Builder maxResponseBytes(int value) {
            if (value < 1024 || value > 16 * 1024 * 1024) {
                throw new IllegalArgumentException("maxResponseBytes must be 1024 to 16777216, got " + value);
            }
            this.maxResponseBytes = value;
            return this;
        }

        /** Builds the invoker. */
        public OkHttpBranchInvoker build() {
            return new OkHttpBranchInvoker(this);
        }
    }
}
