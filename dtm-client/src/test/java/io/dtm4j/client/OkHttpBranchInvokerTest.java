package io.dtm4j.client;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import io.dtm4j.core.spi.BranchCall;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.anyRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.anyUrl;
import static com.github.tomakehurst.wiremock.client.WireMock.binaryEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

class OkHttpBranchInvokerTest {
    private static WireMockServer busi;
    private static OkHttpBranchInvoker invoker;

    @BeforeAll
    static void start() {
        busi = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort()
                .containerThreads(16));
        busi.start();
        invoker = OkHttpBranchInvoker.builder().build();
    }

    @AfterAll
    static void stop() {
        invoker.close();
        busi.stop();
    }

    @BeforeEach
    void reset() {
        busi.resetAll();
    }

    private static String url(String path) {
        return "http://127.0.0.1:" + busi.port() + path;
    }

    private static BranchCall call(String url, String body, TransType type) {
        return new BranchCall("g1", type, "01", "action", url,
                body == null ? null : body.getBytes(StandardCharsets.UTF_8), "http", Map.of(), Duration.ofSeconds(3));
    }

    private static void answer(int status, String body) {
        busi.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(status).withBody(body)));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "200 | {\"dtm_result\":\"SUCCESS\"}         | SUCCESS",
            "200 | ''                                    | SUCCESS",
            "409 | {\"error\":\"no money\"}             | FAILURE",
            "425 | ''                                    | ONGOING",
            "500 | internal                              | ERROR",
            "404 | not found                             | ERROR",
            "201 | created                               | ERROR",
            "204 | ''                                    | ERROR",
            "200 | {\"dtm_result\":\"FAILURE\"}         | FAILURE",
            "200 | {\"dtm_result\":\"ONGOING\"}         | ONGOING",
            "200 | ONGOING or FAILURE                    | ONGOING",
            "409 | still ONGOING                         | ONGOING",
            "425 | FAILURE                               | ONGOING",
            "500 | FAILURE                               | FAILURE",
            "503 | failure in lower case is not a match  | ERROR",
    })
    void classifiesAsDtmDoes(int status, String body, BranchResult expected) {
        answer(status, body);
        BranchOutcome o = invoker.invoke(call(url("/busi/action"), "{}", TransType.SAGA));
        assertThat(o.result()).isEqualTo(expected);
    }

    @Test
    void failureDetailIsTheResponseBody() {
        answer(409, "{\"error\":\"no money\"}\n");
        assertThat(invoker.invoke(call(url("/a"), "{}", TransType.SAGA)).detail())
                .isEqualTo("{\"error\":\"no money\"}");
    }

    @Test
    void errorDetailNamesTheStatus() {
        answer(502, "bad gateway");
        assertThat(invoker.invoke(call(url("/a"), "{}", TransType.SAGA)).detail()).isEqualTo("HTTP 502: bad gateway");
    }

    @Test
    void postsTheBodyAsItIsWithQueryParamsAndHeaders() {
        answer(200, "{}");
        byte[] body = "{\"amount\":30, \"name\":\"Zoë\"}".getBytes(StandardCharsets.UTF_8);
        BranchCall c = new BranchCall("g-post", TransType.SAGA, "02", "compensate", url("/busi/comp"), body, "http",
                Map.of("Authorization", "Bearer t", "X-Trace", "abc"), Duration.ofSeconds(3));
        assertThat(invoker.invoke(c).result()).isEqualTo(BranchResult.SUCCESS);
        busi.verify(postRequestedFor(urlPathEqualTo("/busi/comp"))
                .withQueryParam("gid", equalTo("g-post"))
                .withQueryParam("trans_type", equalTo("saga"))
                .withQueryParam("branch_id", equalTo("02"))
                .withQueryParam("op", equalTo("compensate"))
                .withHeader("Content-Type", equalTo("application/json"))
                .withHeader("Authorization", equalTo("Bearer t"))
                .withHeader("X-Trace", equalTo("abc"))
                .withRequestBody(binaryEqualTo(body)));
    }

    @Test
    void getsWhenTheBodyIsEmpty() {
        answer(200, "{}");
        invoker.invoke(new BranchCall("g1", TransType.MSG, "00", "msg", url("/busi/query"), new byte[0], "http",
                Map.of(), Duration.ofSeconds(3)));
        busi.verify(getRequestedFor(urlPathEqualTo("/busi/query"))
                .withQueryParam("op", equalTo("msg"))
                .withQueryParam("branch_id", equalTo("00"))
                .withHeader("Content-Type", equalTo("application/json")));
    }

    @Test
    void postsForXaEvenWithAnEmptyBody() {
        answer(200, "{}");
        invoker.invoke(call(url("/busi/xa"), "", TransType.XA));
        busi.verify(postRequestedFor(urlPathEqualTo("/busi/xa")).withQueryParam("trans_type", equalTo("xa")));
    }

    @Test
    void keepsExistingQueryParametersAndEncodesValues() {
        answer(200, "{}");
        BranchCall c = new BranchCall("g:1@x", TransType.TCC, "01", "confirm", url("/busi/c?tenant=a%20b&x=1"),
                "{}".getBytes(StandardCharsets.UTF_8), "http", Map.of(), Duration.ofSeconds(3));
        invoker.invoke(c);
        busi.verify(postRequestedFor(urlPathEqualTo("/busi/c"))
                .withQueryParam("tenant", equalTo("a b"))
                .withQueryParam("x", equalTo("1"))
                .withQueryParam("gid", equalTo("g:1@x")));
        assertThat(busi.getAllServeEvents().get(0).getRequest().getUrl())
                .isEqualTo("/busi/c?tenant=a%20b&x=1&branch_id=01&gid=g%3A1%40x&op=confirm&trans_type=tcc");
    }

    @Test
    void branchHeadersMayOverrideTheContentType() {
        answer(200, "{}");
        invoker.invoke(new BranchCall("g1", TransType.SAGA, "01", "action", url("/a"),
                "x".getBytes(StandardCharsets.UTF_8),
                "http", Map.of("Content-Type", "text/plain"), Duration.ofSeconds(3)));
        busi.verify(postRequestedFor(urlPathEqualTo("/a")).withHeader("Content-Type", equalTo("text/plain")));
    }

    @Test
    void timeoutIsAnError() {
        busi.stubFor(any(anyUrl()).willReturn(aResponse().withStatus(200).withBody("late").withFixedDelay(3_000)));
        BranchCall c = new BranchCall("g1", TransType.SAGA, "01", "action", url("/slow"),
                "{}".getBytes(StandardCharsets.UTF_8), "http", Map.of(), Duration.ofMillis(200));
        long start = System.nanoTime();
        BranchOutcome o = invoker.invoke(c);
        long ms = (System.nanoTime() - start) / 1_000_000;
        assertThat(o.result()).isEqualTo(BranchResult.ERROR);
        assertThat(o.detail()).contains("timed out after 200 ms").doesNotContain("gid=");
        assertThat(ms).isLessThan(2_500);
    }

    @Test
    void connectionRefusedIsAnError() throws IOException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
            port = s.getLocalPort();
        }
        BranchOutcome o = invoker.invoke(call("http://127.0.0.1:" + port + "/gone", "{}", TransType.SAGA));
        assertThat(o.result()).isEqualTo(BranchResult.ERROR);
        assertThat(o.detail()).contains("connection refused");
    }

    /**
     * A branch server that answers HTTP/1.0 and closes every connection (Python's http.server does): OkHttp may
     * still pool the connection; the next call must not fail on it.
     */
    @Test
    void aServerThatClosesEveryConnectionIsCalledAgainWithoutAnError() throws Exception {
        String reply = "{\"dtm_result\":\"SUCCESS\"}";
        try (ServerSocket server = new ServerSocket(0, 8, InetAddress.getByName("127.0.0.1"))) {
            server.setSoTimeout(10_000);
            ExecutorService acceptor = Executors.newSingleThreadExecutor();
            try {
                Future<Integer> served = acceptor.submit(() -> {
                    int n = 0;
                    for (; n < 3; n++) {
                        try (var socket = server.accept()) {
                            var in = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                                    StandardCharsets.ISO_8859_1));
                            int length = 0;
                            for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                                if (line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:")) {
                                    length = Integer.parseInt(line.substring(15).trim());
                                }
                            }
                            in.skip(length);
                            socket.getOutputStream().write(("HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n"
                                    + "Content-Length: " + reply.length() + "\r\n\r\n" + reply)
                                    .getBytes(StandardCharsets.ISO_8859_1));
                            socket.getOutputStream().flush();
                            socket.shutdownOutput();
                        }
                    }
                    return n;
                });
                String url = "http://127.0.0.1:" + server.getLocalPort() + "/api/busi/TransIn";
                for (int i = 0; i < 3; i++) {
                    BranchOutcome o = invoker.invoke(call(url, "{\"amount\":30}", TransType.SAGA));
                    assertThat(o.result()).as("call %d: %s", i, o).isEqualTo(BranchResult.SUCCESS);
                }
                assertThat(served.get(10, java.util.concurrent.TimeUnit.SECONDS)).isEqualTo(3);
            } finally {
                acceptor.shutdownNow();
            }
        }
    }

    @Test
    void redirectsAreNotFollowed() {
        busi.stubFor(any(urlPathEqualTo("/moved")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", url("/target"))));
        busi.stubFor(any(urlPathEqualTo("/target")).willReturn(aResponse().withStatus(200)));
        BranchOutcome o = invoker.invoke(call(url("/moved"), "{}", TransType.SAGA));
        assertThat(o.result()).isEqualTo(BranchResult.ERROR);
        assertThat(o.detail()).startsWith("HTTP 302");
        busi.verify(0, anyRequestedFor(urlPathEqualTo("/target")));
    }

    @Test
    void onlyTheFirstPartOfAHugeBodyIsRead() {
        answer(200, "x".repeat(OkHttpBranchInvoker.DEFAULT_MAX_RESPONSE_BYTES) + "FAILURE");
        assertThat(invoker.invoke(call(url("/big"), "{}", TransType.SAGA)).result()).isEqualTo(BranchResult.SUCCESS);
    }

    @Test
    void grpcAndJsonRpcTargetsAreNotCalled() {
        answer(200, "{}");
        BranchOutcome grpc = invoker.invoke(new BranchCall("g1", TransType.SAGA, "01", "action",
                "localhost:58081/busi.Busi/TransIn", new byte[]{1}, "grpc", Map.of(), Duration.ofSeconds(1)));
        BranchOutcome rpc = invoker.invoke(new BranchCall("g1", TransType.SAGA, "01", "action",
                url("/api/json-rpc?method=TransIn"), "{}".getBytes(StandardCharsets.UTF_8), "json-rpc", Map.of(),
                Duration.ofSeconds(1)));
        assertThat(grpc.result()).isEqualTo(BranchResult.ERROR);
        assertThat(grpc.detail()).contains("protocol grpc not supported yet");
        assertThat(rpc.result()).isEqualTo(BranchResult.ERROR);
        assertThat(rpc.detail()).contains("protocol json-rpc not supported yet");
        busi.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void anHttpUrlIsCalledOverHttpWhateverTheProtocolSays() {
        answer(200, "{}");
        BranchOutcome o = invoker.invoke(new BranchCall("g1", TransType.SAGA, "01", "action", url("/a"),
                new byte[0], "grpc", Map.of(), Duration.ofSeconds(1)));
        assertThat(o.result()).isEqualTo(BranchResult.SUCCESS);
    }

    @Test
    void badUrlsAndHeadersAreErrorsNotExceptions() {
        assertThat(invoker.invoke(call("http://", "{}", TransType.SAGA)).result()).isEqualTo(BranchResult.ERROR);
        BranchOutcome badHeader = invoker.invoke(new BranchCall("g1", TransType.SAGA, "01", "action", url("/a"),
                new byte[0], "http", Map.of("X-Bad", "line1\nline2"), Duration.ofSeconds(1)));
        assertThat(badHeader.result()).isEqualTo(BranchResult.ERROR);
        assertThat(badHeader.detail()).contains("invalid branch header 'X-Bad'");
        busi.verify(0, anyRequestedFor(anyUrl()));
    }

    @Test
    void manyConcurrentCallsShareThePool() throws Exception {
        answer(200, "{}");
        int n = 64;
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<BranchOutcome>> fs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                fs.add(pool.submit(() -> invoker.invoke(call(url("/p"), "{}", TransType.SAGA))));
            }
            for (Future<BranchOutcome> f : fs) {
                assertThat(f.get().result()).isEqualTo(BranchResult.SUCCESS);
            }
        } finally {
            pool.shutdownNow();
        }
        busi.verify(n, postRequestedFor(urlPathEqualTo("/p")).withHeader("X-None", absent()));
    }
}
