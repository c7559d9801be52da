package io.dtm4j.core;

/** Root of every exception dtm4j throws. Unchecked. Messages never carry payloads or secrets. */
public class DtmException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public DtmException(String message) {
        super(message);
    }

    public DtmException(String message, Throwable cause) {
        super(message, cause);
    }
}
