package io.dtm4j.core;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Status of a global transaction. {@link #SUCCEED} and {@link #FAILED} are final.
 *
 * <p>This enum is the one place that lists the legal status transitions; every store change is a
 * compare-and-set from the expected status, checked against {@link #canMoveTo(GlobalStatus)}.
 */
public enum GlobalStatus {
    PREPARED("prepared"),
    SUBMITTED("submitted"),
    ABORTING("aborting"),
    SUCCEED("succeed"),
    FAILED("failed");

    private static final Map<GlobalStatus, Set<GlobalStatus>> LEGAL = Map.of(
            // submit, abort (tcc/xa), back-check failure or abort of a msg, workflow finish, force stop
            PREPARED, EnumSet.of(SUBMITTED, ABORTING, SUCCEED, FAILED),
            // all actions done, saga rollback, force stop
            SUBMITTED, EnumSet.of(SUCCEED, ABORTING, FAILED),
            // rollback done, force stop
            ABORTING, EnumSet.of(FAILED),
            SUCCEED, EnumSet.noneOf(GlobalStatus.class),
            FAILED, EnumSet.noneOf(GlobalStatus.class));

    private final String wireName;

    GlobalStatus(String wireName) {
        this.wireName = wireName;
    }

    /** Returns DTM's lower-case name. */
    public String wireName() {
        return wireName;
    }

    /** Returns true for {@link #SUCCEED} and {@link #FAILED}. */
    public boolean isFinal() {
        return this == SUCCEED || this == FAILED;
    }

    /** Returns true when a transaction in this status may move to {@code next}. */
    public boolean canMoveTo(GlobalStatus next) {
        return LEGAL.get(this).contains(next);
    }

    /**
     * Parses DTM's lower-case name.
     *
     * @throws InvalidRequestException for an unknown name
     */
    public static GlobalStatus fromWireName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (GlobalStatus s : values()) {
                if (s.wireName.equals(n)) {
                    return s;
                }
            }
        }
        throw new InvalidRequestException("unknown status '" + name
                + "' (expected prepared, submitted, aborting, succeed or failed)");
    }
}
