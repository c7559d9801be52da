package io.dtm4j.bench;

import java.time.Duration;

/** Pauses of the benchmark's own control flow (never inside measured code). */
final class Sleep {
    private Sleep() {
    }

    /** Sleeps {@code d}; an interrupt ends the sleep and stays set. */
    static void of(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
