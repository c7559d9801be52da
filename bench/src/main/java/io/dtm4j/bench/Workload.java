package io.dtm4j.bench;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;

import java.util.List;

/**
 * The transactions of the matrix (spec performance.md 4.1), all submitted with {@code wait_result} and a client-side
 * gid: each returns normally only when the transaction ended as it should.
 */
enum Workload {
    /** 2-step saga TransOut/TransIn, compensations registered; succeeds. */
    SAGA("saga", "2-branch saga"),
    /**
     * 2-step saga whose branches each run two SQL updates in a local transaction on the store's database server
     * ({@link BusiDb}): the business work of DTM's published overhead figure.
     */
    SAGA_SQL("saga-sql", "2-branch saga, busi 2 SQL per branch"),
    /** 2-step saga whose URLs are empty (DTM: instant success): coordinator and store only. */
    SAGA_EMPTY("empty-url", "2-step saga, empty URLs"),
    /** Saga whose second action answers FAILURE: both compensations run, the saga fails. */
    SAGA_FAIL("saga-fail", "saga, 2nd branch fails"),
    /** TCC with 2 branches (register + try each, confirm each). */
    TCC("tcc", "TCC, 2 branches"),
    /** Two-phase message with 2 branches: prepare, (empty) local work, submit. */
    MSG("msg", "msg, 2 branches (DoAndSubmit)");

    /** The request body of every branch, as in DTM's own benchmark. */
    static final String BODY = "{\"amount\":30}";

    private final String id;
    private final String title;

    Workload(String id, String title) {
        this.id = id;
        this.title = title;
    }

    String id() {
        return id;
    }

    String title() {
        return title;
    }

    /** The transaction on {@code client}, its branches at the busi stub {@code busi}. */
    LoadDriver.Tx on(DtmClient client, String busi) {
        return switch (this) {
            case SAGA, SAGA_SQL -> {
                String out = busi + "/" + sagaActions().get(0);
                String in = busi + "/" + sagaActions().get(1);
                yield gid -> client.saga(gid).add(out, out + "Com", BODY).add(in, in + "Com", BODY).waitResult()
                        .submit();
            }
            case SAGA_EMPTY -> gid -> client.saga(gid).add("", "", BODY).add("", "", BODY).waitResult().submit();
            case SAGA_FAIL -> gid -> {
                try {
                    client.saga(gid).add(busi + "/TransOut", busi + "/TransOutCom", BODY)
                            .add(busi + "/" + BusiStub.SAGA_FAILING_ACTION, busi + "/TransInCom", BODY)
                            .waitResult().submit();
                } catch (DtmFailureException expected) {
                    return;
                }
                throw new AssertionError("gid=" + gid + ": the saga with a failing branch succeeded");
            };
            case TCC -> gid -> client.tcc(gid).waitResult().execute(t -> {
                t.callBranch(BODY, busi + "/TryOut", busi + "/ConfirmOut", busi + "/CancelOut");
                t.callBranch(BODY, busi + "/TryIn", busi + "/ConfirmIn", busi + "/CancelIn");
                return null;
            });
            case MSG -> gid -> client.msg(gid).add(busi + "/TransOut", BODY).add(busi + "/TransIn", BODY).waitResult()
                    .doAndSubmit(busi + "/QueryPrepared", () -> { });
        };
    }

    /**
     * The two actions of the saga workloads, whose compensations are the same names + {@code Com}; the
     * no-coordinator baseline calls them itself for the same business work.
     */
    List<String> sagaActions() {
        String suffix = this == SAGA_SQL ? BusiStub.SQL_SUFFIX : "";
        return List.of("TransOut" + suffix, "TransIn" + suffix);
    }

    /** Busi calls one such transaction makes on its happy path (what the stub should count per transaction). */
    int expectedBusiCalls() {
        return switch (this) {
            case SAGA, SAGA_SQL, MSG -> 2;
            case SAGA_EMPTY -> 0;
            case SAGA_FAIL, TCC -> 4;
        };
    }
}
