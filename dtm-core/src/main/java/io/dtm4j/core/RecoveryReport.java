package io.dtm4j.core;

/**
 * What one {@link Coordinator#recoverOnce()} step did.
 *
 * @param claimed  transactions claimed from the store
 * @param finished of those, how many reached succeed or failed
 * @param skipped  claimed but already being processed on this node
 */
public record RecoveryReport(int claimed, int finished, int skipped) {
}
