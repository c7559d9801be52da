package io.dtm4j.client;

import io.dtm4j.client.workflow.HttpResultMapper;
import io.dtm4j.client.workflow.WorkflowException;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.TransType;
import okhttp3.HttpUrl;
import okhttp3.MediaType;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.RequestBody;
import okhttp3.Response;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;

/**
 * The HTTP calls of workflow steps (OkHttp), as DTM's workflow client makes them: {@code POST} with
 * {@code Content-Type: application/json} and the query parameters {@code branch_id}, {@code gid}, {@code op} and
 * {@code trans_type=workflow} set on the URL; the answer comes back raw, for the workflow's result mapper. The
 * OkHttp client is created on first use and released by {@link #close()}. Thread-safe.
 */
final class WorkflowHttp implements AutoCloseable {
    /** Largest response body accepted: it becomes the step's recorded data. */
    static final int MAX_RESPONSE_BYTES = 16 * 1024 * 1024;
    private static final MediaType JSON = MediaType.get("application/json");

    private final Duration timeout;
    private OkHttpClient client;
    private boolean closed;

    /** An answer: HTTP status and body. */
    record Answer(int status, byte[] body) {
    }

    WorkflowHttp(Duration timeout) {
        this.timeout = timeout;
    }

    /**
     * Posts {@code body} to {@code url} for step {@code (branchId, op)} of workflow {@code gid} and classifies the
     * answer with {@code mapper}: SUCCESS and FAILURE become a step outcome to record.
     *
     * @param where the message prefix naming the step
     * @throws DtmOngoingException      the answer is ONGOING (not recorded)
     * @throws WorkflowException        the answer is ERROR, or no complete answer came (not recorded)
     * @throws IllegalArgumentException when the URL cannot be parsed
     */
    WorkflowStep step(String url, byte[] body, String gid, String branchId, String op, HttpResultMapper mapper,
                      String where) {
        Answer a = post(url, body, gid, branchId, op, where);
        BranchResult result = Objects.requireNonNull(mapper.classify(a.status(), a.body()),
                "the HttpResultMapper returned null");
        String what = "POST " + url.split("\\?", 2)[0] + " answered HTTP " + a.status();
        return switch (result) {
            case SUCCESS -> WorkflowStep.succeed(a.body());
            case FAILURE -> WorkflowStep.failed(a.body(), null);
            case ONGOING -> throw new DtmOngoingException(where + what + " (ONGOING); it runs again when the "
                    + "workflow is resumed");
            case ERROR -> throw new WorkflowException(where + what + bodyText(a.body()) + "; it runs again when "
                    + "the workflow is resumed");
        };
    }

    private static String bodyText(byte[] body) {
        String s = new String(body, StandardCharsets.UTF_8).strip();
        return s.isEmpty() ? "" : ": " + WorkflowStep.shorten(s);
    }

    /**
     * Posts {@code body} to {@code url} for step {@code (branchId, op)} of workflow {@code gid}.
     *
     * @param where the message prefix naming the step
     * @throws WorkflowException        when no complete answer came (network error, timeout, body too large)
     * @throws IllegalArgumentException when the URL cannot be parsed
     */
    private Answer post(String url, byte[] body, String gid, String branchId, String op, String where) {
        HttpUrl base = HttpUrl.parse(url);
        if (base == null) {
            throw new IllegalArgumentException(where + "invalid URL '" + url + "'");
        }
        HttpUrl target = base.newBuilder()
                .setQueryParameter("branch_id", branchId)
                .setQueryParameter("gid", gid)
                .setQueryParameter("op", op)
                .setQueryParameter("trans_type", TransType.WORKFLOW.wireName())
                .build();
        Request request = new Request.Builder().url(target).post(RequestBody.create(body, JSON)).build();
        try (Response response = client().newCall(request).execute();
             InputStream in = response.body().byteStream()) {
            byte[] answer = in.readNBytes(MAX_RESPONSE_BYTES + 1);
            if (answer.length > MAX_RESPONSE_BYTES) {
                throw new WorkflowException(where + "POST " + describe(target) + " answered more than "
                        + MAX_RESPONSE_BYTES + " bytes, too large to record");
            }
            return new Answer(response.code(), answer);
        } catch (InterruptedIOException e) {
            String what = Thread.currentThread().isInterrupted() ? "was interrupted"
                    : "got no answer within " + timeout.toMillis() + " ms";
            throw new WorkflowException(where + "POST " + describe(target) + " " + what, e);
        } catch (IOException e) {
            throw new WorkflowException(where + "POST " + describe(target) + " failed: " + e, e);
        }
    }

    /** The URL without its query, for messages. */
    static String describe(HttpUrl url) {
        return url.scheme() + "://" + url.host() + ":" + url.port() + url.encodedPath();
    }

    private synchronized OkHttpClient client() {
        if (closed) {
            throw new IllegalStateException("the DtmClient is closed");
        }
        if (client == null) {
            client = new OkHttpClient.Builder().callTimeout(timeout).connectTimeout(timeout).readTimeout(timeout)
                    .writeTimeout(timeout).build();
        }
        return client;
    }

    @Override
    public synchronized void close() {
        closed = true;
        if (client != null) {
            client.dispatcher().executorService().shutdown();
            client.connectionPool().evictAll();
            client = null;
        }
    }
}
