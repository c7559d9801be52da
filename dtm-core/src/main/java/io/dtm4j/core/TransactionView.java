package io.dtm4j.core;

import java.util.List;
import java.util.Objects;

/**
 * A transaction with its branch rows, in insertion order.
 *
 * @param global   the global transaction
 * @param branches its branch rows
 */
public record TransactionView(GlobalTransaction global, List<Branch> branches) {
    public TransactionView {
        Objects.requireNonNull(global, "global");
        branches = List.copyOf(branches);
    }
}
