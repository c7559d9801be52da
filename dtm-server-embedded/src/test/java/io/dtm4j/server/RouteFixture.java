package io.dtm4j.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.spi.TransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.MutableClock;
import io.dtm4j.core.testing.ScriptedBranchInvoker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.function.Consumer;
import java.util.function.Supplier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@link DtmServer} on 127.0.0.1 and an ephemeral port, over a coordinator on an in-memory store whose
 * background rounds run inline ({@link DirectExecutorService}), a {@link ScriptedBranchInvoker} and a
 * {@link MutableClock}; plus a plain JDK HTTP client. The store can be switched to throw on every call.
 * One per test; not thread-safe.
 */
final class RouteFixture implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String API = "/api/dtmsvr/";

    final MutableClock clock = MutableClock.startingAtEpochOf2026();
    final ScriptedBranchInvoker busi = new ScriptedBranchInvoker();
    final InMemoryTransactionStore memory = new InMemoryTransactionStore();
    /** When set, every store call but close and describe (which do no I/O) throws what it supplies. */
    volatile Supplier<RuntimeException> storeFault;
    /** When set, {@code countByStatus} answers empty, as a store that cannot count does. */
    volatile boolean storeCannotCount;
    final Coordinator coordinator;
    final DtmServer server;
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    /** A raw reply. */
    record Reply(int status, String body, HttpHeaders headers) {
        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }

        String message() {
            return json().path("message").asText();
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }

    RouteFixture() {
        this(b -> { });
    }

    RouteFixture(Consumer<DtmServer.Builder> customize) {
        coordinator = Coordinator.builder().store(faultyStore()).invoker(busi).clock(clock)
                .executor(new DirectExecutorService()).build();
        DtmServer.Builder b = DtmServer.builder().coordinator(coordinator).host("127.0.0.1").port(0)
                .version("v9.9.9-test");
        customize.accept(b);
        server = b.build();
        server.start();
    }

    private TransactionStore faultyStore() {
        return (TransactionStore) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[]{TransactionStore.class}, (proxy, method, args) -> {
                    Supplier<RuntimeException> fault = storeFault;
                    if (fault != null && !method.getName().equals("close") && !method.getName().equals("describe")) {
                        throw fault.get();
                    }
                    if (storeCannotCount && method.getName().equals("countByStatus")) {
                        return Optional.empty();
                    }
                    try {
                        return method.invoke(memory, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                });
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    Reply get(String path) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).GET());
    }

    Reply post(String path, String body) {
        return post(path, body.getBytes(StandardCharsets.UTF_8));
    }

    Reply post(String path, byte[] body) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .header("Content-Type", "application/json"));
    }

    Reply method(String method, String path) {
        return send(HttpRequest.newBuilder(URI.create(url(path))).method(method, HttpRequest.BodyPublishers.noBody()));
    }

    Reply send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> r = http.send(request.timeout(Duration.ofSeconds(20)).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            return new Reply(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** The server still answers (after bad input, a fault, ...). */
    void assertAlive() {
        Reply pong = get("/api/ping");
        assertThat(pong.status()).isEqualTo(200);
        assertThat(pong.body()).isEqualTo("{\"msg\":\"pong\"}");
    }

    /** Nothing at all was stored. */
    void assertNothingStored() {
        assertThat(memory.list(ListQuery.firstPage()).transactions()).isEmpty();
    }

    /** A success envelope: 200, JSON, never empty, never the word FAILURE. */
    static void assertSuccess(Reply r) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(200);
        assertThat(r.body()).isEqualTo("{\"dtm_result\":\"SUCCESS\"}");
        assertJson(r);
    }

    static void assertJson(Reply r) {
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(r.body()).isNotEmpty();
        r.json();
    }

    /** An error envelope without dtm_result. */
    static void assertError(Reply r, int status, String... messageParts) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(status);
        assertJson(r);
        assertThat(r.json().has("dtm_result")).as("dtm_result in %s", r).isFalse();
        assertThat(r.message()).isNotBlank();
        if (messageParts.length > 0) {
            assertThat(r.message()).contains(messageParts);
        }
    }

    /** DTM's FAILURE envelope: 409, dtm_result FAILURE, a message ending in FAILURE. */
    static void assertFailure(Reply r, String... messageParts) {
        assertThat(r.status()).as("status of %s", r).isEqualTo(409);
        assertJson(r);
        assertThat(r.json().path("dtm_result").asText()).isEqualTo("FAILURE");
        assertThat(r.message()).endsWith("FAILURE");
        if (messageParts.length > 0) {
            assertThat(r.message()).contains(messageParts);
        }
    }

    @Override
    public void close() {
        server.close();
        coordinator.close();
    }
}
