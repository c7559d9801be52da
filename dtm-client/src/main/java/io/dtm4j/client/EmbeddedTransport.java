package io.dtm4j.client;

import io.dtm4j.core.BranchRegistration;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.DtmException;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.IllegalTransitionException;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.StoreUnavailableException;
import io.dtm4j.core.TransOutcome;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransactionNotFoundException;
import io.dtm4j.core.TransactionView;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * A {@link DtmTransport} calling an in-process {@link Coordinator}. It maps outcomes and exceptions to
 * what the HTTP server would answer, so code behaves the same in both modes: FAILURE / illegal transition
 * (409) → {@link DtmFailureException}, ONGOING (425) → {@link DtmOngoingException}, ERROR (500), invalid
 * request (400), unknown gid (404), store down (503) → {@link DtmServerException}. Thread-safe.
 */
final class EmbeddedTransport implements DtmTransport {
    private final Coordinator coordinator;

    EmbeddedTransport(Coordinator coordinator) {
        this.coordinator = Objects.requireNonNull(coordinator, "coordinator");
    }

    @Override
    public String newGid() {
        return coordinator.newGid();
    }

    @Override
    public void prepare(TransRequest request) {
        check("prepare", request.gid(), () -> coordinator.prepare(request));
    }

    @Override
    public void submit(TransRequest request) {
        check("submit", request.gid(), () -> coordinator.submit(request));
    }

    @Override
    public void abort(TransRequest request) {
        check("abort", request.gid(), () -> coordinator.abort(request));
    }

    @Override
    public void registerBranch(BranchRegistration registration) {
        check("registerBranch", registration.gid(), () -> {
            coordinator.registerBranch(registration);
            return null;
        });
    }

    @Override
    public TransactionView prepareWorkflow(TransRequest request) {
        TransactionView[] view = new TransactionView[1];
        check("prepareWorkflow", request.gid(), () -> {
            view[0] = coordinator.prepareWorkflow(request);
            return null;
        });
        return view[0];
    }

    @Override
    public String describe() {
        return "embedded coordinator";
    }

    @Override
    public void close() {
        // the coordinator belongs to the caller
    }

    private static void check(String op, String gid, Supplier<TransOutcome> call) {
        TransOutcome outcome;
        try {
            outcome = call.get();
        } catch (IllegalTransitionException | DuplicateBranchException e) {
            throw new DtmFailureException(e.getMessage() + " (" + op + " answered FAILURE)", e);
        } catch (InvalidRequestException e) {
            throw new DtmServerException(400, e.getMessage(), e);
        } catch (TransactionNotFoundException e) {
            throw new DtmServerException(404, e.getMessage(), e);
        } catch (StoreUnavailableException e) {
            throw new DtmServerException(503, e.getMessage(), e);
        } catch (DtmException e) {
            throw new DtmServerException(500, e.getMessage(), e);
        }
        if (outcome != null) {
            Outcomes.throwUnlessSuccess(op, gid, outcome);
        }
    }
}
