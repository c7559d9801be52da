package io.dtm4j.core.spi;

/**
 * The result of a bulk "retry now".
 *
 * @param count        how many transactions were made due
 * @param hasRemaining true when the limit was reached and more may qualify
 */
public record CronReset(int count, boolean hasRemaining) {
}
