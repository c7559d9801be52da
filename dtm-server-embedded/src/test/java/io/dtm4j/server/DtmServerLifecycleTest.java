package io.dtm4j.server;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.memory.InMemoryTransactionStore;
import io.dtm4j.core.testing.DirectExecutorService;
import io.dtm4j.core.testing.ScriptedBranchInvoker;
import io.dtm4j.server.RouteFixture.Reply;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static io.dtm4j.server.RouteFixture.API;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Start, port, close: the builder contract other tests and DtmMain rely on. */
class DtmServerLifecycleTest {
    private final Coordinator coordinator = Coordinator.builder().store(new InMemoryTransactionStore())
            .invoker(new ScriptedBranchInvoker()).executor(new DirectExecutorService()).build();

    @AfterEach
    void close() {
        coordinator.close();
    }

    @Test
    void portZeroBindsAFreePortAndCloseReleasesIt() throws IOException {
        DtmServer server = DtmServer.builder().coordinator(coordinator).port(0).build().start();
        int port = server.port();
        assertThat(port).isPositive();
        assertThat(server.host()).isEqualTo("0.0.0.0");
        long start = System.nanoTime();
        server.close();
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(2));
        server.close(); // idempotent
        try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("0.0.0.0"))) {
            assertThat(again.getLocalPort()).isEqualTo(port);
        }
    }

    @Test
    void startTwiceOrAfterCloseIsRefused() {
        DtmServer server = DtmServer.builder().coordinator(coordinator).port(0).build().start();
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("started");
        server.close();
        assertThatThrownBy(server::start).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    }

    @Test
    void closeWithoutStartIsHarmless() {
        DtmServer.builder().coordinator(coordinator).build().close();
    }

    @Test
    void aPortInUseFailsWithTheBindException() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            DtmServer server = DtmServer.builder().coordinator(coordinator).host("127.0.0.1")
                    .port(taken.getLocalPort()).build();
            assertThatThrownBy(server::start).isInstanceOf(UncheckedIOException.class)
                    .hasCauseInstanceOf(BindException.class)
                    .hasMessageContaining("cannot listen on 127.0.0.1:" + taken.getLocalPort());
        }
    }

    @Test
    void builderValidatesAtOnce() {
        assertThatThrownBy(() -> DtmServer.builder().build()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("coordinator(...) is required");
        assertThatThrownBy(() -> DtmServer.builder().port(70000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DtmServer.builder().maxBodyBytes(10)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DtmServer.builder().workerThreads(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DtmServer.builder().host(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> DtmServer.builder().shutdownGrace(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void turnsOnTcpNoDelayForTheJdkServer() {
        assertThat(DtmServer.DEFAULT_PORT).isEqualTo(36789);
        assertThat(System.getProperty("sun.net.httpserver.nodelay")).isEqualTo("true");
    }

    @Test
    void closeLetsARunningRequestFinishAndRefusesNewOnes() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Coordinator slow = Coordinator.builder().store(new InMemoryTransactionStore()).invoker(call -> {
            entered.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return BranchOutcome.success();
        }).executor(new DirectExecutorService()).build();
        try (RouteFixture client = new RouteFixture()) {
            DtmServer server = DtmServer.builder().coordinator(slow).host("127.0.0.1").port(0).build().start();
            String base = "http://127.0.0.1:" + server.port();
            CompletableFuture<Reply> running = CompletableFuture.supplyAsync(() -> client.send(
                    HttpRequest.newBuilder(URI.create(base + API + "submit"))
                            .POST(HttpRequest.BodyPublishers.ofString("{\"gid\":\"slow\",\"trans_type\":"
                                    + "\"saga\",\"wait_result\":true,\"steps\":[{\"action\":\"http://busi/a\"}],"
                                    + "\"payloads\":[\"{}\"]}"))));
            assertThat(entered.await(10, TimeUnit.SECONDS)).isTrue();
            CompletableFuture<Void> closing = CompletableFuture.runAsync(server::close);
            Thread.sleep(100);
            assertThat(closing).isNotDone();
            Reply refused = client.send(HttpRequest.newBuilder(URI.create(base + "/api/ping")));
            assertThat(refused.status()).isEqualTo(503);
            assertThat(refused.body()).contains("shutting down");
            release.countDown();
            assertThat(running.get(10, TimeUnit.SECONDS).status()).isEqualTo(200);
            closing.get(10, TimeUnit.SECONDS);
        } finally {
            slow.close();
        }
    }
}
