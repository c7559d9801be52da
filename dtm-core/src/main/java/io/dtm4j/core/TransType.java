package io.dtm4j.core;

import java.util.Locale;

/** The kind of a global transaction, with DTM's wire names. */
public enum TransType {
    SAGA("saga"),
    MSG("msg"),
    TCC("tcc"),
    XA("xa"),
    WORKFLOW("workflow");

    private final String wireName;

    TransType(String wireName) {
        this.wireName = wireName;
    }

    /** Returns DTM's lower-case name, as sent in {@code trans_type}. */
    public String wireName() {
        return wireName;
    }

    /**
     * Parses DTM's lower-case name.
     *
     * @throws InvalidRequestException when the name is not one of saga, msg, tcc, xa, workflow
     */
    public static TransType fromWireName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (TransType t : values()) {
                if (t.wireName.equals(n)) {
                    return t;
                }
            }
        }
        throw new InvalidRequestException("unknown trans_type '" + name
                + "' (expected saga, msg, tcc, xa or workflow)");
    }
}
