package io.dtm4j.core.internal;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.BranchStatus;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Builds stored rows from client requests (spec 2.5 and 3.0 "save new"), validating them first. */
final class TransactionFactory {
    /** Most steps a saga or msg may have; branch ids are two digits in DTM. */
    static final int MAX_STEPS = 99;

    private final Intervals intervals;

    TransactionFactory(Intervals intervals) {
        this.intervals = intervals;
    }

    /** A new global row and its branch rows. */
    record NewTransaction(GlobalTransaction global, List<Branch> branches) {
    }

    /** Builds the rows for a new transaction in {@code status}. */
    NewTransaction build(TransRequest req, GlobalStatus status, Instant now) {
        CustomData custom = CustomData.parse(req.customData());
        if (req.steps().size() > MAX_STEPS) {
            throw new InvalidRequestException("gid=" + req.gid() + ": at most " + MAX_STEPS + " steps, got "
                    + req.steps().size());
        }
        if (req.payloads().size() > req.steps().size()) {
            throw new InvalidRequestException("gid=" + req.gid() + ": " + req.payloads().size()
                    + " payloads for " + req.steps().size() + " steps");
        }
        GlobalTransaction g = new GlobalTransaction(0, req.gid(), req.transType(), status, req.queryPrepared(),
                req.protocol(), now, now, Optional.empty(), Optional.empty(), req.options(), req.customData(),
                Duration.ZERO, now, "", "", "", req.rollbackReason());
        Duration interval = intervals.reset(g);
        g = g.withCron(interval, now.plus(interval));
        List<Branch> branches = switch (req.transType()) {
            case SAGA -> sagaBranches(req, custom, now);
            case MSG -> msgBranches(req, now);
            default -> {
                if (!req.steps().isEmpty()) {
                    throw new InvalidRequestException("gid=" + req.gid() + ": a " + req.transType().wireName()
                            + " transaction takes no steps; register its branches instead");
                }
                yield List.of();
            }
        };
        return new NewTransaction(g, branches);
    }

    private static List<Branch> sagaBranches(TransRequest req, CustomData custom, Instant now) {
        custom.requireValidOrders(req.steps().size());
        List<Branch> out = new ArrayList<>();
        for (int i = 0; i < req.steps().size(); i++) {
            Map<String, String> step = req.steps().get(i);
            requireOnly(req, i, step, "action", "compensate");
            String id = branchId(i);
            byte[] body = req.payload(i);
            out.add(Branch.prepared(req.gid(), id, BranchOp.COMPENSATE, url(req, i, step, "compensate"), body, now));
            out.add(Branch.prepared(req.gid(), id, BranchOp.ACTION, url(req, i, step, "action"), body, now));
        }
        return out;
    }

    private static List<Branch> msgBranches(TransRequest req, Instant now) {
        List<Branch> out = new ArrayList<>();
        for (int i = 0; i < req.steps().size(); i++) {
            Map<String, String> step = req.steps().get(i);
            requireOnly(req, i, step, "action");
            String action = url(req, i, step, "action");
            if (action.startsWith("topic://")) {
                throw new InvalidRequestException("gid=" + req.gid() + ": step " + i
                        + " uses a topic; msg topics are not supported yet, give the subscriber URL instead");
            }
            out.add(Branch.prepared(req.gid(), branchId(i), BranchOp.ACTION, action, req.payload(i), now));
        }
        return out;
    }

    private static void requireOnly(TransRequest req, int i, Map<String, String> step, String... allowed) {
        for (String key : step.keySet()) {
            if (!List.of(allowed).contains(key)) {
                throw new InvalidRequestException("gid=" + req.gid() + ": step " + i + " has an unknown key '" + key
                        + "' (a " + req.transType().wireName() + " step takes " + String.join(", ", allowed) + ")");
            }
        }
    }

    private static String url(TransRequest req, int i, Map<String, String> step, String key) {
        String u = step.getOrDefault(key, "");
        if (!u.isEmpty() && !u.startsWith("http://") && !u.startsWith("https://")
                && !"grpc".equals(req.protocol()) && !u.startsWith("topic://")) {
            throw new InvalidRequestException("gid=" + req.gid() + ": step " + i + " " + key
                    + " URL must start with http:// or https://");
        }
        return u;
    }

    /**
     * DTM's branch id of a saga or msg step: the 1-based step number with at least two digits ({@code 01}, ...,
     * {@code 99}, {@code 100}). Not {@code String.format}: it ran on every submit and was 8% of a server profile.
     */
    static String branchId(int stepIndex) {
        int n = stepIndex + 1;
        return n < 10 ? "0" + n : Integer.toString(n);
    }

    /** The rows a registerBranch call adds (spec 1.4): tcc cancel+confirm, xa rollback+commit, workflow one. */
    List<Branch> registered(BranchRegistration reg, Instant now) {
        String gid = reg.gid();
        byte[] data = reg.data();
        return switch (reg.transType()) {
            case TCC -> List.of(
                    Branch.prepared(gid, reg.branchId(), BranchOp.CANCEL, reg.field("cancel"), data, now),
                    Branch.prepared(gid, reg.branchId(), BranchOp.CONFIRM, reg.field("confirm"), data, now));
            case XA -> List.of(
                    Branch.prepared(gid, reg.branchId(), BranchOp.ROLLBACK, reg.field("url"), data, now),
                    Branch.prepared(gid, reg.branchId(), BranchOp.COMMIT, reg.field("url"), data, now));
            case WORKFLOW -> {
                BranchOp op = BranchOp.fromWireName(reg.field("op"));
                BranchStatus st = reg.field("status").isEmpty() ? BranchStatus.PREPARED
                        : BranchStatus.fromWireName(reg.field("status"));
                yield List.of(new Branch(0, gid, "", data, reg.branchId(), op, st, now, now,
                        st == BranchStatus.PREPARED ? Optional.empty() : Optional.of(now)));
            }
            default -> throw new InvalidRequestException("gid=" + gid
                    + ": registerBranch is for tcc, xa and workflow, not " + reg.transType().wireName());
        };
    }
}
