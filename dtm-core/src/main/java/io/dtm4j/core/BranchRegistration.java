package io.dtm4j.core;

import java.util.Map;
import java.util.Objects;

/**
 * A {@code registerBranch} call: DTM's flat string map, typed. Which keys matter depends on the type:
 * tcc {@code confirm}/{@code cancel}, xa {@code url}, workflow {@code op}/{@code status}. Immutable.
 *
 * @param gid       the global transaction (must be {@code prepared})
 * @param transType tcc, xa or workflow
 * @param branchId  the branch id chosen by the client
 * @param data      the branch body (tcc: the try body, re-sent to confirm/cancel)
 * @param fields    every other key the client sent (confirm, cancel, url, op, status, sync, ...)
 */
public record BranchRegistration(String gid, TransType transType, String branchId, byte[] data,
                                 Map<String, String> fields) {

    public BranchRegistration {
        Gids.requireValid(gid);
        Objects.requireNonNull(transType, "transType");
        if (branchId == null || branchId.isBlank()) {
            throw new InvalidRequestException("gid=" + gid + ": branch_id is required");
        }
        data = data == null ? new byte[0] : data.clone();
        fields = fields == null ? Map.of() : Map.copyOf(fields);
    }

    /** Returns the value of a field, or an empty string. */
    public String field(String key) {
        return fields.getOrDefault(key, "");
    }

    @Override
    public byte[] data() {
        return data.clone();
    }

    @Override
    public String toString() {
        return "BranchRegistration[gid=" + gid + ", type=" + transType.wireName() + ", branch=" + branchId + "]";
    }
}
