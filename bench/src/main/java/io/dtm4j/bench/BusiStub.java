package io.dtm4j.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * The cheap business service of the benchmarks (spec performance.md 4.1): every endpoint under
 * {@code /api/busi/} answers a constant {@code {"dtm_result":"SUCCESS"}}, so that the coordinator is what gets
 * measured. No logging, no JSON parsing: the body is drained and dropped. One {@link LongAdder} per endpoint.
 *
 * <p>Knobs: {@link #delayMicros} before answering; {@link #failPercent} of action calls ({@code TransOut},
 * {@code TransIn}, {@code Try*}) answer FAILURE; {@link #ongoingActions} makes every action answer ONGOING (425:
 * the coordinator asks again after its retry interval, without back-off), which keeps transactions in flight for
 * the recovery test; {@link #trackGids} counts calls per gid, for its checks. The endpoint {@code TransInFail}
 * always answers FAILURE (the saga-with-a-failing-branch workload). Endpoints ending in {@value #SQL_SUFFIX} first
 * run the business work of {@link #sqlWork} (two SQL updates in a local transaction, {@link BusiDb}); without one
 * set they answer 500.
 *
 * <p>Runs on the JDK HttpServer with {@code sun.net.httpserver.nodelay=true} (without it each call waits 40 ms for
 * a delayed ACK) and a pool of threads named {@code busi-N}, which {@link JvmProbe} leaves out of the
 * coordinator's figures. Thread-safe.
 */
final class BusiStub implements AutoCloseable {
    /** Thread-name prefix of the stub's request threads. */
    static final String THREAD_PREFIX = "busi-";
    static final String SAGA_FAILING_ACTION = "TransInFail";
    /** Suffix of the endpoints that do SQL work, e.g. {@code TransOutSql}. */
    static final String SQL_SUFFIX = "Sql";

    private static final byte[] SUCCESS = "{\"dtm_result\":\"SUCCESS\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] FAILURE = "{\"dtm_result\":\"FAILURE\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ONGOING = "{\"dtm_result\":\"ONGOING\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] ERROR = "{\"dtm_result\":\"ERROR\"}".getBytes(StandardCharsets.UTF_8);

    static {
        // read once, when the JDK's server configuration class loads: set it before the first server starts
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final ExecutorService pool;
    private final int threads;
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> callsPerGid = new ConcurrentHashMap<>();
    private volatile int delayMicros;
    private volatile int failPercent;
    private volatile boolean ongoingActions;
    private volatile boolean trackGids;
    private volatile BusiDb sqlWork;

    private BusiStub(HttpServer server, ExecutorService pool, int threads) {
        this.server = server;
        this.pool = pool;
        this.threads = threads;
    }

    /** Starts the stub on 127.0.0.1 on a free port, with {@code threads} request threads. */
    static BusiStub start(int threads) {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, THREAD_PREFIX + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
            BusiStub stub = new BusiStub(server, pool, threads);
            server.createContext("/api/busi/", stub::handle);
            server.setExecutor(pool);
            server.start();
            return stub;
        } catch (IOException e) {
            pool.shutdownNow();
            throw new UncheckedIOException("cannot start the busi stub on 127.0.0.1", e);
        }
    }

    /** The base URL of the endpoints, e.g. {@code http://127.0.0.1:40123/api/busi}. */
    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/api/busi";
    }

    /** Request threads: calls that can work at once. */
    int threads() {
        return threads;
    }

    void delayMicros(int value) {
        this.delayMicros = value;
    }

    void failPercent(int value) {
        this.failPercent = value;
    }

    void ongoingActions(boolean value) {
        this.ongoingActions = value;
    }

    void trackGids(boolean value) {
        this.trackGids = value;
    }

    /** The database the {@value #SQL_SUFFIX} endpoints work on; null for none. */
    void sqlWork(BusiDb value) {
        this.sqlWork = value;
    }

    /** Calls per endpoint so far, e.g. {@code TransOut=2000}. */
    Map<String, Long> counts() {
        Map<String, Long> m = new TreeMap<>();
        calls.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** Calls of {@code endpoint} for {@code gid}, when {@link #trackGids} was on. */
    int callsFor(String gid, String endpoint) {
        AtomicInteger c = callsPerGid.get(gid + "/" + endpoint);
        return c == null ? 0 : c.get();
    }

    /** Forgets the per-gid counts. */
    void clearGids() {
        callsPerGid.clear();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            drain(ex.getRequestBody());
            String path = ex.getRequestURI().getPath();
            String endpoint = path.substring(path.lastIndexOf('/') + 1);
            calls.computeIfAbsent(endpoint, k -> new LongAdder()).increment();
            if (trackGids) {
                callsPerGid.computeIfAbsent(gidOf(ex.getRequestURI()) + "/" + endpoint, k -> new AtomicInteger())
                        .incrementAndGet();
            }
            int delay = delayMicros;
            if (delay > 0) {
                TimeUnit.MICROSECONDS.sleep(delay);
            }
            boolean action = isAction(endpoint);
            if (endpoint.endsWith(SQL_SUFFIX) && !workedOnSql(endpoint)) {
                answer(ex, 500, ERROR);
            } else if (action && ongoingActions) {
                answer(ex, 425, ONGOING);
            } else if (endpoint.equals(SAGA_FAILING_ACTION) || action && failsByChance()) {
                answer(ex, 409, FAILURE);
            } else {
                answer(ex, 200, SUCCESS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private boolean workedOnSql(String endpoint) {
        BusiDb db = sqlWork;
        if (db == null) {
            return false;
        }
        try {
            db.work(endpoint.startsWith("TransOut") ? -30 : 30);
            return true;
        } catch (SQLException e) {
            return false;
        }
    }

    private boolean failsByChance() {
        int p = failPercent;
        return p > 0 && ThreadLocalRandom.current().nextInt(100) < p;
    }

    private static boolean isAction(String endpoint) {
        return endpoint.equals("TransOut") || endpoint.equals("TransIn") || endpoint.startsWith("Try")
                || endpoint.equals("TransOut" + SQL_SUFFIX) || endpoint.equals("TransIn" + SQL_SUFFIX);
    }

    private static String gidOf(URI uri) {
        String q = uri.getRawQuery();
        if (q == null) {
            return "";
        }
        for (String kv : q.split("&")) {
            if (kv.startsWith("gid=")) {
                return kv.substring(4);
            }
        }
        return "";
    }

    private static void answer(HttpExchange ex, int status, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static void drain(InputStream in) throws IOException {
        byte[] buf = new byte[512];
        while (in.read(buf) >= 0) {
            // dropped: the stub's answers do not depend on the body
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }
}
