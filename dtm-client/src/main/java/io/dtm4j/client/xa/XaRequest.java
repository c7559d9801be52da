package io.dtm4j.client.xa;

import io.dtm4j.core.Gids;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.TransType;

import java.util.Map;
import java.util.regex.Pattern;

/**
 * The query parameters of a call to an XA branch, checked: the coordinator's phase two ({@code op=commit} or
 * {@code op=rollback}) or the client's phase one ({@code op=action}, with {@code phase2_url}). Every value
 * that ends up in SQL is restricted to {@code A-Z a-z 0-9 _ - . : @}, so an xid never needs escaping.
 *
 * @param gid       the global transaction
 * @param branchId  the branch, e.g. {@code 01}
 * @param op        action, commit or rollback
 * @param phase2Url the URL the coordinator calls for phase two (empty in phase two itself)
 */
record XaRequest(String gid, String branchId, String op, String phase2Url) {
    static final String ACTION = "action";
    static final String COMMIT = "commit";
    static final String ROLLBACK = "rollback";
    /** Longest branch id accepted (DTM's are 2 digits per nesting level, under 22 characters). */
    static final int MAX_BRANCH_ID_CHARS = 64;
    private static final Pattern BRANCH_ID = Pattern.compile("[A-Za-z0-9_\\-]{1," + MAX_BRANCH_ID_CHARS + "}");

    /**
     * Parses and checks the query parameters.
     *
     * @throws InvalidRequestException naming the parameter, when one is missing or not acceptable
     */
    static XaRequest parse(Map<String, String> query) {
        String gid = query.getOrDefault("gid", "");
        String branchId = query.getOrDefault("branch_id", "");
        String prefix = checkIds(gid, branchId, "XaBranch: ", "query parameter ");
        String type = query.getOrDefault("trans_type", "");
        if (!type.isEmpty() && !type.equals(TransType.XA.wireName())) {
            throw new InvalidRequestException(prefix + "trans_type must be xa, got '" + shorten(type) + "'");
        }
        String op = query.getOrDefault("op", "");
        String phase2Url = "";
        switch (op) {
            case COMMIT, ROLLBACK -> {
            }
            case ACTION -> {
                phase2Url = query.getOrDefault("phase2_url", "");
                if (!phase2Url.startsWith("http://") && !phase2Url.startsWith("https://")) {
                    throw new InvalidRequestException(prefix + "branch=" + branchId + " op=action: query parameter "
                            + "phase2_url must be an http(s) URL" + (phase2Url.isEmpty() ? " (it is missing)" : ""));
                }
            }
            default -> throw new InvalidRequestException(prefix + "branch=" + branchId + ": query parameter op must "
                    + "be action, commit or rollback, got '" + shorten(op) + "'");
        }
        return new XaRequest(gid, branchId, op, phase2Url);
    }

    /**
     * The branch {@code (gid, branchId)} at {@code op} (action, commit or rollback), checked as {@link #parse} does.
     *
     * @throws InvalidRequestException when the gid or branch id is not acceptable
     */
    static XaRequest of(String gid, String branchId, String op) {
        checkIds(gid, branchId, "XaDatabase: ", "");
        return new XaRequest(gid, branchId, op, "");
    }

    /**
     * Checks a gid and a branch id; returns the prefix of later messages, {@code gid=<gid>: <who>}.
     *
     * @param who   who checks, e.g. {@code XaBranch: }
     * @param param how the values were given, e.g. {@code query parameter }, or empty
     */
    private static String checkIds(String gid, String branchId, String who, String param) {
        try {
            Gids.requireValid(gid);
        } catch (InvalidRequestException e) {
            // the bad gid is not echoed: it may carry anything
            throw new InvalidRequestException(who + param + e.getMessage());
        }
        String prefix = "gid=" + gid + ": " + who;
        if (branchId == null || !BRANCH_ID.matcher(branchId).matches()) {
            throw new InvalidRequestException(prefix + param + "branch_id must be 1-" + MAX_BRANCH_ID_CHARS
                    + " characters of A-Z a-z 0-9 _ -" + (branchId == null || branchId.isEmpty() ? " (it is missing)"
                    : ""));
        }
        return prefix;
    }

    /** DTM's XA transaction id: {@code <gid>-<branch_id>}. */
    String xid() {
        return gid + "-" + branchId;
    }

    /** {@code gid=<gid> branch=<id> op=<op>: }, the start of every message about this call. */
    String where() {
        return "gid=" + gid + " branch=" + branchId + " op=" + op + ": ";
    }

    private static String shorten(String s) {
        String t = s.length() <= 20 ? s : s.substring(0, 20) + "...";
        return t.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
