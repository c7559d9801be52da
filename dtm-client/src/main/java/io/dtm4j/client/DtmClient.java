package io.dtm4j.client;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.dtm4j.client.workflow.Workflows;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.Gids;
import io.dtm4j.core.spi.BranchInvoker;

import java.time.Duration;
import java.util.Objects;

/**
 * The entry point of the Java SDK: starts sagas and two-phase messages on a DTM coordinator, either a
 * remote server over HTTP ({@link #http(String)}) or a {@link Coordinator} in this process
 * ({@link #embedded(Coordinator)}). Both modes offer the same API and report refusals the same way
 * ({@link DtmFailureException}, {@link DtmOngoingException}, {@link DtmServerException}; over HTTP also
 * {@link DtmTransportException}).
 *
 * <pre>{@code
 * try (DtmClient dtm = DtmClient.http("http://127.0.0.1:36789/api/dtmsvr")) {
 *     dtm.saga()
 *        .add(busi + "/TransOut", busi + "/TransOutRevert", Map.of("amount", 30))
 *        .add(busi + "/TransIn", busi + "/TransInRevert", Map.of("amount", 30))
 *        .submit();
 * }
 * }</pre>
 *
 * <p>Thread-safe; create one per coordinator and share it. {@link #close()} releases its HTTP connections
 * and threads; it never closes an embedded coordinator.
 */
public final class DtmClient implements AutoCloseable {
    /** Default timeout of each call to the DTM server and of the client's own back-check call. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private final DtmTransport transport;
    private final ObjectMapper mapper;
    private final BranchInvoker branchInvoker;
    private final OkHttpBranchInvoker ownedInvoker;
    private final Duration timeout;
    private final WorkflowRegistry workflows;

    private DtmClient(Builder b) {
        this.mapper = b.objectMapper != null ? b.objectMapper : new ObjectMapper();
        this.timeout = b.timeout;
        this.transport = b.coordinator != null ? new EmbeddedTransport(b.coordinator)
                : new HttpTransport(b.serverUrl, b.timeout);
        if (b.branchInvoker != null) {
            this.branchInvoker = b.branchInvoker;
            this.ownedInvoker = null;
        } else {
            OkHttpBranchInvoker own = OkHttpBranchInvoker.builder().build();
            this.branchInvoker = own;
            this.ownedInvoker = own;
        }
        this.workflows = new WorkflowRegistry(transport, mapper, timeout, b.workflowResumeUrl);
    }

    /**
     * Returns a client of the DTM server at {@code serverUrl}, with defaults. Accepts the API prefix
     * {@code http://host:36789/api/dtmsvr}, a base URL without path {@code http://host:36789} (the prefix
     * {@code /api/dtmsvr} is added) or {@code host:port} (as DTM's Java SDK).
     *
     * @throws IllegalArgumentException when the URL cannot be parsed
     */
    public static DtmClient http(String serverUrl) {
        return builder().serverUrl(serverUrl).build();
    }

    /** Returns a client of a coordinator in this process, with defaults. */
    public static DtmClient embedded(Coordinator coordinator) {
        return builder().coordinator(coordinator).build();
    }

    /** Returns a builder; set exactly one of {@link Builder#serverUrl} and {@link Builder#coordinator}. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * Returns a new gid from the coordinator (over HTTP: {@code GET /newGid}).
     *
     * @throws DtmServerException    the server answered an error
     * @throws DtmTransportException the server did not answer
     */
    public String newGid() {
        return transport.newGid();
    }

    /**
     * Starts a saga with a new random gid, made here in the format of the server's newGid (22-character
     * short UUID) without a round trip, as DTM's docs recommend.
     */
    public Saga saga() {
        return saga(Gids.newGid());
    }

    /**
     * Starts a saga with the given gid (1 to 128 characters of {@code A-Z a-z 0-9 _ - . : @}).
     *
     * @throws io.dtm4j.core.InvalidRequestException when the gid is not valid
     */
    public Saga saga(String gid) {
        return new Saga(transport, mapper, gid);
    }

    /** Starts a two-phase message with a new random gid, made here like {@link #saga()}'s. */
    public Msg msg() {
        return msg(Gids.newGid());
    }

    /**
     * Starts a two-phase message with the given gid (1 to 128 characters of {@code A-Z a-z 0-9 _ - . : @}).
     *
     * @throws io.dtm4j.core.InvalidRequestException when the gid is not valid
     */
    public Msg msg(String gid) {
        return new Msg(transport, mapper, branchInvoker, timeout, gid);
    }

    /** Sets up a TCC global transaction with a new random gid, made here like {@link #saga()}'s. */
    public TccTransaction tcc() {
        return tcc(Gids.newGid());
    }

    /**
     * Sets up a TCC global transaction with the given gid (1 to 128 characters of {@code A-Z a-z 0-9 _ - . : @});
     * set its options, then {@link TccTransaction#execute} it. Its try calls go through this client's branch
     * invoker.
     *
     * @throws io.dtm4j.core.InvalidRequestException when the gid is not valid
     */
    public TccTransaction tcc(String gid) {
        return new TccTransaction(transport, mapper, branchInvoker, timeout, gid);
    }

    /**
     * Runs a TCC global transaction with a new random gid and default options; see {@link TccTransaction#execute}.
     *
     * @return what the body returned
     * @throws E whatever the body threw, after the transaction was aborted
     */
    public <R, E extends Exception> R tcc(TccBody<R, E> body) throws E {
        return tcc().execute(body);
    }

    /**
     * Runs a TCC global transaction with the given gid and default options; see {@link TccTransaction#execute}.
     *
     * @return what the body returned
     * @throws E whatever the body threw, after the transaction was aborted
     */
    public <R, E extends Exception> R tcc(String gid, TccBody<R, E> body) throws E {
        return tcc(gid).execute(body);
    }

    /** Sets up an XA global transaction with a new random gid, made here like {@link #saga()}'s. */
    public XaTransaction xa() {
        return xa(Gids.newGid());
    }

    /**
     * Sets up an XA global transaction with the given gid (1 to 128 characters of {@code A-Z a-z 0-9 _ - . : @});
     * set its options, then {@link XaTransaction#execute} it. Its action calls go through this client's branch
     * invoker.
     *
     * @throws io.dtm4j.core.InvalidRequestException when the gid is not valid
     */
    public XaTransaction xa(String gid) {
        return new XaTransaction(transport, mapper, branchInvoker, timeout, gid);
    }

    /**
     * Runs an XA global transaction with a new random gid and default options; see {@link XaTransaction#execute}.
     *
     * @return what the body returned
     * @throws E whatever the body threw, after the transaction was aborted
     */
    public <R, E extends Exception> R xa(XaBody<R, E> body) throws E {
        return xa().execute(body);
    }

    /**
     * Runs an XA global transaction with the given gid and default options; see {@link XaTransaction#execute}.
     *
     * @return what the body returned
     * @throws E whatever the body threw, after the transaction was aborted
     */
    public <R, E extends Exception> R xa(String gid, XaBody<R, E> body) throws E {
        return xa(gid).execute(body);
    }

    /**
     * Registers a branch of a prepared tcc, xa or workflow transaction ({@code POST /registerBranch}). Branch-side
     * helpers call it, e.g. {@link io.dtm4j.client.xa.XaBranch} after its local XA transaction did its work.
     *
     * @throws DtmFailureException   the transaction is missing or no longer prepared, or the branch is already
     *                               registered
     * @throws DtmServerException    another coordinator error
     * @throws DtmTransportException the server did not answer (HTTP mode)
     */
    public void registerBranch(BranchRegistration registration) {
        transport.registerBranch(Objects.requireNonNull(registration, "registration"));
    }

    /**
     * Returns this client's workflows: register them at start-up, then execute and resume them. Their steps'
     * HTTP calls use this client's timeout; the coordinator resumes them at {@link Builder#workflowResumeUrl}.
     */
    public Workflows workflows() {
        return workflows;
    }

    /** Releases the HTTP connections and threads this client owns. Idempotent. */
    @Override
    public void close() {
        workflows.close();
        transport.close();
        if (ownedInvoker != null) {
            ownedInvoker.close();
        }
    }

    @Override
    public String toString() {
        return "DtmClient[" + transport.describe() + "]";
    }

    /** Builder of {@link DtmClient}; not thread-safe. */
    public static final class Builder {
        private String serverUrl;
        private Coordinator coordinator;
        private Duration timeout = DEFAULT_TIMEOUT;
        private ObjectMapper objectMapper;
        private BranchInvoker branchInvoker;
        private String workflowResumeUrl = "";

        private Builder() {
        }

        /** Talks to a DTM server over HTTP; see {@link DtmClient#http(String)} for the accepted forms. */
        public Builder serverUrl(String value) {
            this.serverUrl = HttpTransport.normalizeBaseUrl(value);
            return this;
        }

        /** Talks to a coordinator in this process; the client never closes it. */
        public Builder coordinator(Coordinator value) {
            this.coordinator = Objects.requireNonNull(value, "coordinator");
            return this;
        }

        /**
         * Timeout of each call to the DTM server (connect, write and read together) and default timeout of the
         * back-check call of {@link Msg#doAndSubmit}; default 10 s; must be positive.
         */
        public Builder timeout(Duration value) {
            Objects.requireNonNull(value, "timeout");
            if (value.isZero() || value.isNegative()) {
                throw new IllegalArgumentException("timeout must be positive, got " + value);
            }
            this.timeout = value;
            return this;
        }

        /** Serialises payloads that are neither JSON text nor bytes; default a plain {@code ObjectMapper}. */
        public Builder objectMapper(ObjectMapper value) {
            this.objectMapper = Objects.requireNonNull(value, "objectMapper");
            return this;
        }

        /**
         * Calls business services from the client itself: the back-check of {@link Msg#doAndSubmit} when the
         * local work ended in doubt, the try of each {@link Tcc#callBranch} and the action of each
         * {@link Xa#callBranch}. Default an {@link OkHttpBranchInvoker} owned (and closed) by the client.
         */
        public Builder branchInvoker(BranchInvoker value) {
            this.branchInvoker = Objects.requireNonNull(value, "branchInvoker");
            return this;
        }

        /**
         * The URL of this service's workflow resume endpoint, which hands its calls to
         * {@link Workflows#resume}: the coordinator calls it to finish a workflow whose run stopped (DTM's
         * {@code InitHTTP} callback). Required to execute workflows; no default. With an embedded coordinator
         * whose invoker is a {@link LocalWorkflowInvoker}, a {@code local:} URL such as
         * {@link LocalWorkflowInvoker#LOCAL_RESUME_URL} resumes them in this process, without an endpoint.
         *
         * @throws IllegalArgumentException when it is not an http(s) or {@code local:} URL
         */
        public Builder workflowResumeUrl(String value) {
            this.workflowResumeUrl = Urls.resumeUrl("workflowResumeUrl", value);
            return this;
        }

        /**
         * Builds the client.
         *
         * @throws IllegalStateException when neither or both of serverUrl and coordinator are set, or a
         *                               {@code local:} workflow resume URL is set for a DTM server
         */
        public DtmClient build() {
            if ((serverUrl == null) == (coordinator == null)) {
                throw new IllegalStateException("DtmClient.builder(): set exactly one of serverUrl(...) (a DTM server) "
                        + "and coordinator(...) (an embedded coordinator)");
            }
            if (serverUrl != null && Urls.isLocal(workflowResumeUrl)) {
                throw new IllegalStateException("DtmClient.builder(): a DTM server cannot call the local: workflow "
                        + "resume URL '" + workflowResumeUrl + "'; give it this service's http(s) resume endpoint");
            }
            return new DtmClient(this);
        }
    }
}
