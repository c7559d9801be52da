package io.dtm4j.core;

import java.util.Locale;

/** Status of one branch op. */
public enum BranchStatus {
    PREPARED("prepared"),
    SUCCEED("succeed"),
    FAILED("failed");

    private final String wireName;

    BranchStatus(String wireName) {
        this.wireName = wireName;
    }

    /** Returns DTM's lower-case name. */
    public String wireName() {
        return wireName;
    }

    /**
     * Parses DTM's lower-case name.
     *
     * @throws InvalidRequestException for an unknown name
     */
    public static BranchStatus fromWireName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (BranchStatus s : values()) {
                if (s.wireName.equals(n)) {
                    return s;
                }
            }
        }
        throw new InvalidRequestException("unknown branch status '" + name
                + "' (expected prepared, succeed or failed)");
    }
}
