package io.dtm4j.core;

import java.util.Locale;

/** One callable operation of a branch, with DTM's wire names. */
public enum BranchOp {
    /** Saga forward step, msg step, XA and workflow phase 1. */
    ACTION("action"),
    /** Saga compensation. */
    COMPENSATE("compensate"),
    /** TCC try; called by the client, never stored. */
    TRY("try"),
    /** TCC confirm. */
    CONFIRM("confirm"),
    /** TCC cancel. */
    CANCEL("cancel"),
    /** XA / workflow phase 2 commit. */
    COMMIT("commit"),
    /** XA / workflow phase 2 rollback. */
    ROLLBACK("rollback"),
    /** Msg back-check and the DoAndSubmit barrier. */
    MSG("msg"),
    /** Workflow XA marker. */
    BUSINESS("business");

    private final String wireName;

    BranchOp(String wireName) {
        this.wireName = wireName;
    }

    /** Returns DTM's lower-case name. */
    public String wireName() {
        return wireName;
    }

    /**
     * Parses DTM's lower-case name.
     *
     * @throws InvalidRequestException for an unknown op
     */
    public static BranchOp fromWireName(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (BranchOp o : values()) {
                if (o.wireName.equals(n)) {
                    return o;
                }
            }
        }
        throw new InvalidRequestException("unknown branch op '" + name + "'");
    }
}
