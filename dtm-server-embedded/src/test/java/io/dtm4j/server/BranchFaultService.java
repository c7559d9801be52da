package io.dtm4j.server;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import com.github.tomakehurst.wiremock.core.WireMockConfiguration;
import com.github.tomakehurst.wiremock.http.Fault;
import com.github.tomakehurst.wiremock.stubbing.Scenario;
import com.github.tomakehurst.wiremock.stubbing.ServeEvent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.any;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;

/**
 * A branch service on WireMock (127.0.0.1, any free port) whose routes answer a script: the first call gets the
 * first {@link Answer}, the second the second, and the last answer is repeated for ever. Answers cover what a real
 * service or the network in between may do to a branch call: a status with a body, a slow answer, a reset
 * connection, an empty reply, a broken or random byte stream. Counts and orders the calls it received. Thread-safe.
 */
final class BranchFaultService implements AutoCloseable {
    /** Time given to a slow answer to be written once its delay has passed. */
    private static final Duration SEND_MARGIN = Duration.ofMillis(200);

    private final WireMockServer wm;

    /**
     * One scripted reply.
     *
     * @param fault a broken exchange sent instead of {@code status} and {@code body}; null for a plain HTTP reply
     */
    record Answer(int status, String body, Duration delay, Fault fault) {
        Answer {
            Objects.requireNonNull(body, "body");
            Objects.requireNonNull(delay, "delay");
        }

        /** 200 with DTM's success envelope. */
        static Answer success() {
            return status(200, "{\"dtm_result\":\"SUCCESS\"}");
        }

        /** This status and body. */
        static Answer status(int status, String body) {
            return new Answer(status, body, Duration.ZERO, null);
        }

        /** A broken exchange instead of an HTTP reply. */
        static Answer fault(Fault fault) {
            return new Answer(200, "", Duration.ZERO, Objects.requireNonNull(fault, "fault"));
        }

        /** This answer, sent only after {@code delay}. */
        Answer after(Duration delay) {
            return new Answer(status, body, delay, fault);
        }

        private ResponseDefinitionBuilder response() {
            ResponseDefinitionBuilder r = fault != null ? aResponse().withFault(fault)
                    : aResponse().withStatus(status).withBody(body);
            return delay.isZero() ? r : r.withFixedDelay(Math.toIntExact(delay.toMillis()));
        }
    }

    private BranchFaultService() {
        wm = new WireMockServer(WireMockConfiguration.options().bindAddress("127.0.0.1").dynamicPort()
                .containerThreads(16));
        wm.start();
    }

    /** Starts a service with no routes (every call answers 404 until {@link #script} adds one). */
    static BranchFaultService start() {
        return new BranchFaultService();
    }

    /** The absolute URL of {@code path} (which starts with {@code /}). */
    String url(String path) {
        return "http://127.0.0.1:" + wm.port() + path;
    }

    /** Answers calls to {@code path} (any method, any query) with {@code answers} in turn, the last one for ever. */
    void script(String path, Answer... answers) {
        if (answers.length == 0) {
            throw new IllegalArgumentException("script of " + path + " needs at least one answer");
        }
        String scenario = "script " + path;
        for (int i = 0; i < answers.length; i++) {
            String state = i == 0 ? Scenario.STARTED : "call " + (i + 1);
            var stub = any(urlPathEqualTo(path)).inScenario(scenario).whenScenarioStateIs(state)
                    .willReturn(answers[i].response());
            wm.stubFor(i + 1 < answers.length ? stub.willSetStateTo("call " + (i + 2)) : stub);
        }
    }

    /** How many calls {@code path} has received. */
    int calls(String path) {
        return (int) events().stream().filter(e -> pathOf(e).equals(path)).count();
    }

    /** The paths called, oldest first. */
    List<String> paths() {
        List<String> out = new ArrayList<>();
        for (ServeEvent e : events()) {
            out.add(pathOf(e));
        }
        return out;
    }

    /** The query parameter {@code name} of each call to {@code path}, oldest first. */
    List<String> queryParams(String path, String name) {
        List<String> out = new ArrayList<>();
        for (ServeEvent e : events()) {
            if (pathOf(e).equals(path)) {
                out.add(e.getRequest().queryParameter(name).firstValue());
            }
        }
        return out;
    }

    /**
     * Waits until every slow answer {@code path} was given has been sent, into a connection its caller may have
     * closed long ago: WireMock reports nothing then, so this waits once, until the latest call's arrival plus its
     * delay plus {@link #SEND_MARGIN}. Returns at once when there were no slow answers.
     */
    void awaitSlowAnswersSent(String path) throws InterruptedException {
        long until = 0;
        for (ServeEvent e : events()) {
            Integer delay = e.getResponseDefinition().getFixedDelayMilliseconds();
            if (pathOf(e).equals(path) && delay != null) {
                until = Math.max(until, e.getRequest().getLoggedDate().getTime() + delay);
            }
        }
        long wait = until == 0 ? 0 : until + SEND_MARGIN.toMillis() - System.currentTimeMillis();
        if (wait > 0) {
            Thread.sleep(wait);
        }
    }

    /** Forgets every route and call: the state of a fresh service. */
    void reset() {
        wm.resetAll();
    }

    /** The journal, oldest first (WireMock lists it newest first). */
    private List<ServeEvent> events() {
        List<ServeEvent> all = new ArrayList<>(wm.getAllServeEvents());
        Collections.reverse(all);
        return all;
    }

    private static String pathOf(ServeEvent e) {
        String url = e.getRequest().getUrl();
        int q = url.indexOf('?');
        return q < 0 ? url : url.substring(0, q);
    }

    @Override
    public void close() {
        wm.stop();
    }
}
