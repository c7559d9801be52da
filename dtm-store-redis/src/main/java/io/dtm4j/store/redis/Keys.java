package io.dtm4j.store.redis;

/**
 * The key layout under a prefix {@code P} (default {@code {a}}, a Cluster hash tag, so every key lives in one
 * slot and multi-key scripts work). DTM's keys (spec server-protocol.md 5.3), same names, types and TTLs:
 * <ul>
 *   <li>{@code P_g_<gid>} string: the global's JSON;</li>
 *   <li>{@code P_b_<gid>} list: the branch rows' JSON in insertion order;</li>
 *   <li>{@code P_s_<gid>} string: the status, compared by every change;</li>
 *   <li>{@code P_u} sorted set: unfinished gids by {@code next_cron_time} (unix seconds, milliseconds in the
 *       fraction).</li>
 * </ul>
 * dtm4j adds three index keys that DTM does not have, for {@code list} and {@code purgeFinished}:
 * <ul>
 *   <li>{@code P_all} sorted set: every gid by insertion sequence (newest-first paging);</li>
 *   <li>{@code P_seq} string: the insertion sequence counter;</li>
 *   <li>{@code P_done} sorted set: finished gids by finish or rollback time (unix seconds).</li>
 * </ul>
 * Immutable.
 */
final class Keys {
    private final String prefix;

    Keys(String prefix) {
        this.prefix = prefix;
    }

    String prefix() {
        return prefix;
    }

    String global(String gid) {
        return prefix + "_g_" + gid;
    }

    String branches(String gid) {
        return prefix + "_b_" + gid;
    }

    String status(String gid) {
        return prefix + "_s_" + gid;
    }

    String unfinished() {
        return prefix + "_u";
    }

    String all() {
        return prefix + "_all";
    }

    String sequence() {
        return prefix + "_seq";
    }

    String done() {
        return prefix + "_done";
    }

    /** The keys of DTM's global-transaction scripts, in DTM's order: g, b, u, s. */
    String[] transaction(String gid) {
        return new String[] {global(gid), branches(gid), unfinished(), status(gid)};
    }
}
