package io.dtm4j.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.client.wire.DtmJson;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransactionView;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * A {@link DtmTransport} to a DTM server over HTTP (OkHttp): {@code GET <base>/newGid},
 * {@code POST <base>/prepare|submit|abort|registerBranch|prepareWorkflow} with the body of {@link DtmJson}.
 * Replies are judged as DTM's Go SDK does: success only for status 200 whose body does not contain {@code FAILURE}
 * (prepareWorkflow, whose reply echoes a rollback reason: status 200 alone);
 * then 409 (or a 200 with FAILURE) → {@link DtmFailureException}, 425 → {@link DtmOngoingException},
 * anything else → {@link DtmServerException}; no answer → {@link DtmTransportException}. Thread-safe.
 */
final class HttpTransport implements DtmTransport {
    /** The route prefix DTM serves its API under. */
    static final String API_PREFIX = "/api/dtmsvr";
    private static final MediaType JSON = MediaType.get("application/json; charset=utf-8");
    private static final ObjectMapper READER = new ObjectMapper();
    private static final int MAX_MESSAGE_CHARS = 300;

    private final String baseUrl;
    private final Duration timeout;
    private final OkHttpClient http;

    HttpTransport(String baseUrl, Duration timeout) {
        this.baseUrl = normalizeBaseUrl(baseUrl);
        this.timeout = Objects.requireNonNull(timeout, "timeout");
        this.http = new OkHttpClient.Builder()
                .callTimeout(timeout)
                .connectTimeout(timeout)
                .readTimeout(timeout)
                .writeTimeout(timeout)
                .build();
    }

    /**
     * Returns the API prefix for what a user passed: {@code http://h:36789/api/dtmsvr} as it is,
     * {@code http://h:36789} or {@code h:36789} with {@code http://} and {@code /api/dtmsvr} added.
     *
     * @throws IllegalArgumentException when it is empty or not an http(s) URL
     */
    static String normalizeBaseUrl(String url) {
        if (url == null || url.isBlank()) {
            throw new IllegalArgumentException("DTM server URL is empty; give e.g. http://127.0.0.1:36789/api/dtmsvr "
                    + "or 127.0.0.1:36789");
        }
        String s = url.trim();
        if (!s.contains("://")) {
            s = "http://" + s;
        }
        HttpUrl parsed = HttpUrl.parse(s);
        if (parsed == null) {
            throw new IllegalArgumentException("'" + url + "' is not a DTM server URL; give e.g. "
                    + "http://127.0.0.1:36789/api/dtmsvr or 127.0.0.1:36789");
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        String path = parsed.encodedPath();
        return path.isEmpty() || "/".equals(path) ? s + API_PREFIX : s;
    }

    @Override
    public String newGid() {
        String url = baseUrl + "/newGid";
        Reply reply = execute("", new Request.Builder().url(url).get().build());
        judge("newGid", "", url, reply);
        String gid = textField(reply.body(), "gid");
        if (gid.isEmpty()) {
            throw new DtmServerException(reply.code(), "newGid: the reply of " + url + " has no gid: "
                    + shorten(reply.body()));
        }
        return gid;
    }

    @Override
    public void prepare(TransRequest request) {
        post("prepare", request.gid(), DtmJson.renderTransRequest(request));
    }

    @Override
    public void submit(TransRequest request) {
        post("submit", request.gid(), DtmJson.renderTransRequest(request));
    }

    @Override
    public void abort(TransRequest request) {
        post("abort", request.gid(), DtmJson.renderTransRequest(request));
    }

    @Override
    public void registerBranch(BranchRegistration registration) {
        post("registerBranch", registration.gid(), DtmJson.renderBranchRegistration(registration));
    }

    @Override
    public TransactionView prepareWorkflow(TransRequest request) {
        String url = baseUrl + "/prepareWorkflow";
        Request http = new Request.Builder().url(url)
                .post(RequestBody.create(DtmJson.renderTransRequest(request), JSON)).build();
        Reply reply = execute(request.gid(), http);
        // The reply carries the rollback reason, which may well contain FAILURE: judged by its status alone.
        if (reply.code() != 200) {
            judge("prepareWorkflow", request.gid(), url, reply);
        }
        try {
            return DtmJson.parseWorkflowProgress(reply.body().getBytes(StandardCharsets.UTF_8));
        } catch (InvalidRequestException e) {
            throw new DtmServerException(reply.code(), prefix(request.gid()) + "prepareWorkflow: the reply of " + url
                    + " is not DTM's: " + e.getMessage(), e);
        }
    }

    @Override
    public String describe() {
        return baseUrl;
    }

    @Override
    public void close() {
        http.dispatcher().executorService().shutdown();
        http.connectionPool().evictAll();
    }

    private void post(String op, String gid, byte[] body) {
        String url = baseUrl + "/" + op;
        Request request = new Request.Builder().url(url).post(RequestBody.create(body, JSON)).build();
        judge(op, gid, url, execute(gid, request));
    }

    /** A status code and body text. */
    private record Reply(int code, String body) {
    }

    private Reply execute(String gid, Request request) {
        try (Response response = http.newCall(request).execute()) {
            return new Reply(response.code(), response.body().string());
        } catch (InterruptedIOException e) {
            String what = Thread.currentThread().isInterrupted() ? "was interrupted"
                    : "got no answer within " + timeout.toMillis() + " ms";
            throw new DtmTransportException(request.url().toString(), prefix(gid) + request.method() + " "
                    + request.url() + " " + what + "; is the DTM server at " + baseUrl + " overloaded or down?", e);
        } catch (IOException e) {
            throw new DtmTransportException(request.url().toString(), prefix(gid) + request.method() + " "
                    + request.url() + " failed: " + e + "; is the DTM server running at " + baseUrl + "?", e);
        }
    }

    /** Throws unless the reply is a success by DTM's rules (status 200, no FAILURE in the body). */
    private static void judge(String op, String gid, String url, Reply reply) {
        boolean failureText = reply.body().contains("FAILURE");
        if (reply.code() == 200 && !failureText) {
            return;
        }
        String where = " (HTTP " + reply.code() + " from " + url + ")";
        String message = serverMessage(reply.body());
        if (reply.code() == 425) {
            throw new DtmOngoingException(prefix(gid) + op + " answered ONGOING: " + message + where);
        }
        if (reply.code() == 409 || reply.code() == 200) {
            throw new DtmFailureException(prefix(gid) + op + " answered FAILURE: " + message + where);
        }
        throw new DtmServerException(reply.code(), prefix(gid) + op + " failed: " + message + where);
    }

    /** DTM's error text: the {@code message} of a JSON reply, else its {@code dtm_result}, else the body. */
    private static String serverMessage(String body) {
        String m = textField(body, "message");
        if (m.isEmpty()) {
            m = textField(body, "dtm_result");
        }
        return m.isEmpty() ? shorten(body) : shorten(m);
    }

    private static String textField(String body, String field) {
        try {
            JsonNode n = READER.readTree(body);
            JsonNode v = n == null ? null : n.get(field);
            return v != null && v.isTextual() ? v.textValue() : "";
        } catch (IOException | RuntimeException e) {
            return "";
        }
    }

    private static String shorten(String s) {
        String t = s.strip();
        if (t.isEmpty()) {
            return "(empty body)";
        }
        return t.length() <= MAX_MESSAGE_CHARS ? t : t.substring(0, MAX_MESSAGE_CHARS) + "...";
    }

    private static String prefix(String gid) {
        return gid.isEmpty() ? "" : "gid=" + gid + ": ";
    }

    @Override
    public String toString() {
        return "HttpTransport[" + baseUrl + "]";
    }
}
