package io.dtm4j.client;

import io.dtm4j.core.BranchOutcome;
import okhttp3.HttpUrl;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the SDK does when it calls a branch op itself (a TCC try, an XA action): branch ids, extra query
 * parameters, and turning the answer into a return value or an exception (spec section 9). Stateless except
 * for {@link Ids}.
 */
final class ClientBranchCalls {
    /** Most branches per level (DTM's branch-id generator). */
    static final int MAX_BRANCHES = 99;
    /** A parent branch id must be shorter than this (DTM's branch-id generator). */
    static final int MAX_PARENT_ID_CHARS = 20;
    /** {@link io.dtm4j.client.OkHttpBranchInvoker} words an unexpected status as {@code HTTP nnn: body}. */
    private static final Pattern HTTP_STATUS = Pattern.compile("^HTTP (\\d{3})\\b");

    private ClientBranchCalls() {
    }

    /** DTM's branch-id generator: the parent's id and a 2-digit counter. Thread-safe. */
    static final class Ids {
        private final String gid;
        private final String parent;
        private int last;

        Ids(String gid, String parent) {
            this.gid = gid;
            this.parent = parent;
        }

        /** The next id: {@code 01}, {@code 02}, ... or {@code 0101}, ... under parent {@code 01}. */
        synchronized String next() {
            if (last >= MAX_BRANCHES) {
                throw new IllegalStateException("gid=" + gid + ": more than " + MAX_BRANCHES + " branches under '"
                        + parent + "'");
            }
            if (parent.length() >= MAX_PARENT_ID_CHARS) {
                throw new IllegalStateException("gid=" + gid + ": branch id '" + parent + "' is "
                        + MAX_PARENT_ID_CHARS + " characters or more; nesting is too deep");
            }
            last++;
            return parent + String.format("%02d", last);
        }
    }

    /** Adds query parameters to {@code url}, skipping empty values (e.g. {@code dtm} in embedded mode). */
    static String withQuery(String what, String url, Map<String, String> params) {
        HttpUrl parsed = HttpUrl.parse(url);
        if (parsed == null) {
            throw new IllegalArgumentException(what + " '" + url + "' is not a valid URL");
        }
        HttpUrl.Builder b = parsed.newBuilder();
        params.forEach((k, v) -> {
            if (!v.isEmpty()) {
                b.addQueryParameter(k, v);
            }
        });
        return b.build().toString();
    }

    /**
     * Returns the response body of a successful call, or throws: FAILURE as {@link DtmFailureException},
     * ONGOING as {@link DtmOngoingException}, another status as {@link DtmServerException}, no answer as
     * {@link DtmTransportException}.
     */
    static String judge(String gid, String branchId, String op, String url, BranchOutcome outcome) {
        String where = "gid=" + gid + " branch=" + branchId + " op=" + op + ": ";
        String detail = outcome.detail().isEmpty() ? "" : ": " + outcome.detail();
        switch (outcome.result()) {
            case SUCCESS -> {
                return outcome.detail();
            }
            case FAILURE -> throw new DtmFailureException(where + url + " answered FAILURE" + detail);
            case ONGOING -> throw new DtmOngoingException(where + url + " answered ONGOING" + detail);
            default -> {
                Matcher m = HTTP_STATUS.matcher(outcome.detail());
                if (m.find()) {
                    throw new DtmServerException(Integer.parseInt(m.group(1)), where + url + " failed" + detail);
                }
                throw new DtmTransportException(url, where + url + " failed" + detail, null);
            }
        }
    }
}
