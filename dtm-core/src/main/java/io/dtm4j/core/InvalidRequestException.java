package io.dtm4j.core;

/** The request is malformed or breaks a rule (HTTP 400); nothing was stored. */
public class InvalidRequestException extends DtmException {
    private static final long serialVersionUID = 1L;

    public InvalidRequestException(String message) {
        super(message);
    }
}
