package io.dtm4j.core;

/**
 * The store answers, but its data cannot be used as it is: a schema written by a newer dtm4j, tables of another
 * program, missing columns. Waiting does not help (unlike {@link StoreUnavailableException}, of which it is a
 * kind, so requests still get 503): a server starting up gives up at once. The message says what to do.
 */
public class StoreIncompatibleException extends StoreUnavailableException {
    private static final long serialVersionUID = 1L;

    public StoreIncompatibleException(String message) {
        super(message);
    }
}
