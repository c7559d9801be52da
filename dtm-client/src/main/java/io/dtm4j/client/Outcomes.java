package io.dtm4j.client;

import io.dtm4j.core.TransOutcome;

/** Maps a coordinator's {@link TransOutcome} to the exception the HTTP server's reply would give. */
final class Outcomes {

    private Outcomes() {
    }

    /** Returns if the outcome is SUCCESS, else throws what an HTTP client would see for it. */
    static void throwUnlessSuccess(String op, String gid, TransOutcome outcome) {
        String detail = outcome.message().isEmpty() ? "" : ": " + stripGid(gid, outcome.message());
        String state = " (" + outcome.status().wireName() + ")";
        switch (outcome.kind()) {
            case SUCCESS -> {
                return;
            }
            case FAILURE -> throw new DtmFailureException("gid=" + gid + ": " + op + " answered FAILURE" + detail
                    + state);
            case ONGOING -> throw new DtmOngoingException("gid=" + gid + ": " + op + " answered ONGOING" + detail
                    + state + "; the coordinator will finish it later");
            case ERROR -> throw new DtmServerException(500, "gid=" + gid + ": " + op + " answered an error" + detail
                    + state);
        }
    }

    /** Drops a leading {@code gid=<gid>: } from an engine message, which the SDK message already carries. */
    private static String stripGid(String gid, String message) {
        String prefix = "gid=" + gid + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
}
