package io.dtm4j.core.internal;

import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;

/**
 * How a round ended.
 *
 * @param global   the transaction as the round left it
 * @param trouble  the worst pending trouble (ONGOING, ERROR) if the round ended early
 * @param lostRace true when a compare-and-set failed: another actor changed the transaction
 */
record RoundResult(GlobalTransaction global, Trouble trouble, boolean lostRace) {

    static RoundResult of(GlobalTransaction g, Trouble t) {
        return new RoundResult(g, t, false);
    }

    static RoundResult lostRace(GlobalTransaction g) {
        return new RoundResult(g, Trouble.NONE, true);
    }

    /** True when the round left nothing wrong: no lost race, no pending trouble, the transaction not failed. */
    boolean clean() {
        return !lostRace && trouble == Trouble.NONE && global.status() != GlobalStatus.FAILED;
    }
}
