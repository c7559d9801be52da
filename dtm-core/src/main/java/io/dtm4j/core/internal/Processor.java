package io.dtm4j.core.internal;

import java.time.Instant;

/**
 * The decision logic of one transaction type: given the round's state and the time, what to do next.
 * Implementations are pure and stateless; all I/O is the {@link RoundRunner}'s.
 */
interface Processor {

    /** Returns the next step of the round. */
    Decision decide(Round round, Instant now);
}
