package io.dtm4j.client.barrier;

/**
 * What a barrier call did with the business work. Every value is a success for the coordinator: a
 * handler answers 200 for all three; the value only tells callers and tests which path was taken.
 */
public enum BarrierOutcome {
    /** The barrier rows were new: the business work ran in the same local transaction. */
    EXECUTED,
    /**
     * A compensation (cancel, compensate, rollback) arrived although its forward op never took effect: the
     * marker rows were written, the business work was skipped, and a late forward op will be refused.
     */
    NULL_COMPENSATION,
    /**
     * The op already ran for this barrier id (a repeated request), or it is a forward op arriving after its
     * compensation (hanging): the business work was skipped.
     */
    DUPLICATE_OR_HANGING
}
