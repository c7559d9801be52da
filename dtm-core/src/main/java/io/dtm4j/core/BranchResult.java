package io.dtm4j.core;

/**
 * What a branch op answered, in DTM's result vocabulary.
 *
 * <p>HTTP: 200 is {@link #SUCCESS}, 409 {@link #FAILURE}, 425 {@link #ONGOING}, anything else, a network
 * error or a timeout is {@link #ERROR} (temporary, retried with back-off). What FAILURE means depends on
 * the op: it is final only for a saga action and a msg back-check; elsewhere it is retried like ERROR.
 */
public enum BranchResult {
    SUCCESS,
    FAILURE,
    ONGOING,
    ERROR
}
