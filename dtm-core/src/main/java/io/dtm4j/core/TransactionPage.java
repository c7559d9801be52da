package io.dtm4j.core;

import java.util.List;

/**
 * One page of transactions, newest first where the store can order them.
 *
 * @param transactions the page
 * @param nextPosition the position of the next page; empty when this is the last
 */
public record TransactionPage(List<GlobalTransaction> transactions, String nextPosition) {
    public TransactionPage {
        transactions = List.copyOf(transactions);
        nextPosition = nextPosition == null ? "" : nextPosition;
    }
}
