package io.dtm4j.examples;

import java.util.Map;

/**
 * What an example did: its gid, the final status it observed and the balances of users 1 and 2 before and
 * after.
 *
 * @param gid    the global transaction
 * @param status the final status, e.g. {@code succeed}
 * @param before balances by user before the transfer
 * @param after  balances by user after it
 */
public record TransferResult(String gid, String status, Map<Integer, Long> before, Map<Integer, Long> after) {

    public TransferResult {
        before = Map.copyOf(before);
        after = Map.copyOf(after);
    }

    /** True when the transaction succeeded and exactly {@code amount} moved from user 1 to user 2. */
    public boolean moved(long amount) {
        return "succeed".equals(status)
                && after.get(BankService.TRANS_OUT_USER) == before.get(BankService.TRANS_OUT_USER) - amount
                && after.get(BankService.TRANS_IN_USER) == before.get(BankService.TRANS_IN_USER) + amount;
    }
}
