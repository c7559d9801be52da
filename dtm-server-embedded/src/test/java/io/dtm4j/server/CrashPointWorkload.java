package io.dtm4j.server;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.DtmFailureException;
import io.dtm4j.client.DtmTransportException;
import io.dtm4j.core.DtmException;
import io.dtm4j.server.DtmHttp.Reply;

import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * The bank transfers a crash-point case sends to the server, and what the client saw of each. A transfer moves
 * {@code amount} from an account in one database of {@link LedgerBusi} to an account in the other, as a saga
 * (TransOut, TransIn), a TCC (TransOutTry/Confirm/Cancel, TransInTry/Confirm/Cancel) or an XA transaction
 * (TransOutXa, TransInXa). A failing transfer bounces on purpose: its second saga step, its TCC try or its XA
 * action debits more than any account holds, so the business answers FAILURE and the transfer must end
 * {@code failed} with no net effect. Not thread-safe.
 */
final class CrashPointWorkload {
    /** A debit no account can pay. */
    static final long BOUNCING_AMOUNT = 1_000_000_000L;

    /** How a transfer is run. */
    enum Kind {
        /** Saga submitted without wait_result: the reply comes right after the intent is stored. */
        SAGA,
        /** Saga with wait_result: the reply comes after the round, 200 succeed or 409 failed. */
        SAGA_WAIT,
        /** TCC through {@link DtmClient#tcc}, waitResult. */
        TCC,
        /** XA through {@link DtmClient#xa} and the branch side's XaBranch, waitResult. */
        XA
    }

    /** What the client was told. */
    enum Ack {
        /** 200: accepted (SAGA) or finished succeed (the others). */
        SUCCESS,
        /** The transaction was refused as a failure (409, or a FAILURE that the client then aborted). */
        FAILURE,
        /** No reply: the server went away while the request was open. */
        NO_REPLY,
        /** Something else; the detail says what. */
        OTHER;

        boolean acknowledged() {
            return this == SUCCESS || this == FAILURE;
        }
    }

    /** One planned transfer. */
    record Plan(String gid, Kind kind, String fromDb, int fromUser, String toDb, int toUser, long amount,
                boolean fails) {
        /** The status the transfer must end in when the client was acknowledged. */
        String expectedStatus() {
            return fails ? "failed" : "succeed";
        }
    }

    /** What the client saw of one transfer. */
    record Sent(Plan plan, Ack ack, String detail) {
    }

    private final LedgerBusi busi;

    CrashPointWorkload(LedgerBusi busi) {
        this.busi = busi;
    }

    /**
     * {@code n} transfers of one kind, gids {@code <prefix><i>}; those at the indexes in {@code failing} bounce.
     * Transfers alternate their direction between the two databases and walk through {@code users} accounts.
     */
    static List<Plan> plans(String prefix, Kind kind, int n, Set<Integer> failing, int users) {
        List<Plan> plans = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String from = i % 2 == 0 ? LedgerBusi.MARIADB : LedgerBusi.POSTGRES;
            String to = i % 2 == 0 ? LedgerBusi.POSTGRES : LedgerBusi.MARIADB;
            plans.add(new Plan(prefix + i, kind, from, 1 + i % users, to, 1 + (i + 1) % users, 10 + i,
                    failing.contains(i)));
        }
        return plans;
    }

    /**
     * Runs the transfers in order until one gets no reply (the server halted) or all were sent; returns what the
     * client saw of each transfer it sent.
     */
    List<Sent> runUntilNoReply(List<Plan> plans, DtmChild server, DtmClient client) {
        List<Sent> sent = new ArrayList<>();
        for (Plan p : plans) {
            Sent s = run(p, server, client);
            sent.add(s);
            if (s.ack() == Ack.NO_REPLY) {
                break;
            }
        }
        return sent;
    }

    private Sent run(Plan p, DtmChild server, DtmClient client) {
        return switch (p.kind()) {
            case SAGA, SAGA_WAIT -> saga(p, server);
            case TCC, XA -> twoPhase(p, client);
        };
    }

    private Sent saga(Plan p, DtmChild server) {
        GoTrans saga = GoTrans.saga(p.gid())
                .add(busi.url("TransOut"), busi.url("TransOutRevert"), payload(p.fromDb(), p.fromUser(), p.amount()));
        if (p.fails()) {
            saga.add(busi.url("TransOut"), busi.url("TransOutRevert"),
                    payload(p.toDb(), p.toUser(), BOUNCING_AMOUNT));
        } else {
            saga.add(busi.url("TransIn"), busi.url("TransInRevert"), payload(p.toDb(), p.toUser(), p.amount()));
        }
        if (p.kind() == Kind.SAGA_WAIT) {
            saga.waitResult();
        }
        Reply r;
        try {
            r = server.dtm.submit(saga.json());
        } catch (UncheckedIOException e) {
            return new Sent(p, Ack.NO_REPLY, e.getMessage());
        }
        Ack ack = r.status() == 200 ? Ack.SUCCESS : r.status() == 409 ? Ack.FAILURE : Ack.OTHER;
        return new Sent(p, ack, r.toString());
    }

    private Sent twoPhase(Plan p, DtmClient client) {
        String out = payload(p.fromDb(), p.fromUser(), p.fails() ? BOUNCING_AMOUNT : p.amount());
        String in = payload(p.toDb(), p.toUser(), p.amount());
        try {
            if (p.kind() == Kind.TCC) {
                client.tcc(p.gid()).waitResult().execute(tcc -> {
                    tcc.callBranch(out, busi.url("TransOutTry"), busi.url("TransOutConfirm"),
                            busi.url("TransOutCancel"));
                    return tcc.callBranch(in, busi.url("TransInTry"), busi.url("TransInConfirm"),
                            busi.url("TransInCancel"));
                });
            } else {
                client.xa(p.gid()).waitResult().execute(xa -> {
                    xa.callBranch(out, busi.url("TransOutXa/" + p.fromDb()));
                    return xa.callBranch(in, busi.url("TransInXa/" + p.toDb()));
                });
            }
            return new Sent(p, Ack.SUCCESS, "200");
        } catch (DtmTransportException e) {
            return new Sent(p, Ack.NO_REPLY, e.getMessage());
        } catch (DtmFailureException e) {
            // a refused branch: the client aborted; only an abort that got its reply acknowledges the failure
            boolean abortLost = Arrays.stream(e.getSuppressed()).anyMatch(x -> x instanceof DtmTransportException);
            return new Sent(p, abortLost ? Ack.NO_REPLY : Ack.FAILURE, e.getMessage());
        } catch (DtmException e) {
            return new Sent(p, Ack.OTHER, e.toString());
        }
    }

    private static String payload(String db, int user, long amount) {
        return "{\"db\":\"" + db + "\",\"user\":" + user + ",\"amount\":" + amount + "}";
    }
}
