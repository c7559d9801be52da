package io.dtm4j.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A global transaction as stored ({@code trans_global}). Immutable; changed copies via {@code withX}.
 *
 * @param id               store id; 0 where the store has none
 * @param gid              global id, unique, see {@link Gids}
 * @param transType        saga, msg, tcc, xa or workflow
 * @param status           current status
 * @param queryPrepared    msg back-check URL, workflow resume URL, or empty
 * @param protocol         {@code http} (default), {@code grpc} or {@code json-rpc}
 * @param createTime       when it was created
 * @param updateTime       last change
 * @param finishTime       when it became {@code succeed}
 * @param rollbackTime     when it became {@code failed}
 * @param options          per-transaction options
 * @param customData       type-specific JSON text (saga orders, msg delay, workflow name/data); may be empty
 * @param nextCronInterval current retry interval (back-off state)
 * @param nextCronTime     when recovery should next pick it up
 * @param owner            lease token of the node that last claimed it; empty if none
 * @param extData          extra data; normally empty
 * @param result           workflow result (base64 text); may be empty
 * @param rollbackReason   why it failed or was aborted; may be empty
 */
public record GlobalTransaction(
        long id,
        String gid,
        TransType transType,
        GlobalStatus status,
        String queryPrepared,
        String protocol,
        Instant createTime,
        Instant updateTime,
        Optional<Instant> finishTime,
        Optional<Instant> rollbackTime,
        TransOptions options,
        String customData,
        Duration nextCronInterval,
        Instant nextCronTime,
        String owner,
        String extData,
        String result,
        String rollbackReason) {

    public GlobalTransaction {
        Gids.requireValid(gid);
        Objects.requireNonNull(transType, "transType");
        Objects.requireNonNull(status, "status");
        queryPrepared = queryPrepared == null ? "" : queryPrepared;
        protocol = protocol == null || protocol.isEmpty() ? "http" : protocol;
        Objects.requireNonNull(createTime, "createTime");
        Objects.requireNonNull(updateTime, "updateTime");
        finishTime = finishTime == null ? Optional.empty() : finishTime;
        rollbackTime = rollbackTime == null ? Optional.empty() : rollbackTime;
        options = options == null ? TransOptions.DEFAULT : options;
        customData = customData == null ? "" : customData;
        Objects.requireNonNull(nextCronInterval, "nextCronInterval");
        Objects.requireNonNull(nextCronTime, "nextCronTime");
        owner = owner == null ? "" : owner;
        extData = extData == null ? "" : extData;
        result = result == null ? "" : result;
        rollbackReason = rollbackReason == null ? "" : rollbackReason;
    }

    /** Returns a copy with another status and update time. */
    public GlobalTransaction withStatus(GlobalStatus newStatus, Instant now) {
        return new GlobalTransaction(id, gid, transType, newStatus, queryPrepared, protocol, createTime, now,
                finishTime, rollbackTime, options, customData, nextCronInterval, nextCronTime, owner, extData,
                result, rollbackReason);
    }

    /** Returns a copy with the given store id. */
    public GlobalTransaction withId(long newId) {
        return new GlobalTransaction(newId, gid, transType, status, queryPrepared, protocol, createTime,
                updateTime, finishTime, rollbackTime, options, customData, nextCronInterval, nextCronTime, owner,
                extData, result, rollbackReason);
    }

    /** Returns a copy with the given options. */
    public GlobalTransaction withOptions(TransOptions newOptions) {
        return new GlobalTransaction(id, gid, transType, status, queryPrepared, protocol, createTime,
                updateTime, finishTime, rollbackTime, newOptions, customData, nextCronInterval, nextCronTime,
                owner, extData, result, rollbackReason);
    }

    /** Returns a copy with the given cron fields. */
    public GlobalTransaction withCron(Duration interval, Instant next) {
        return new GlobalTransaction(id, gid, transType, status, queryPrepared, protocol, createTime,
                updateTime, finishTime, rollbackTime, options, customData, interval, next, owner, extData,
                result, rollbackReason);
    }

    /** Returns a copy after a change: fields of the update applied. */
    public GlobalTransaction apply(TransactionUpdate u) {
        GlobalStatus s = u.newStatus().orElse(status);
        return new GlobalTransaction(id, gid, transType, s, queryPrepared, protocol, createTime, u.now(),
                s == GlobalStatus.SUCCEED && s != status ? Optional.of(u.now()) : finishTime,
                s == GlobalStatus.FAILED && s != status ? Optional.of(u.now()) : rollbackTime,
                options, customData,
                u.nextCronInterval().orElse(nextCronInterval), u.nextCronTime().orElse(nextCronTime),
                owner, extData, u.result().orElse(result), u.rollbackReason().orElse(rollbackReason));
    }

    @Override
    public String toString() {
        return "GlobalTransaction[gid=" + gid + ", type=" + transType.wireName() + ", status=" + status.wireName()
                + ", nextCronTime=" + nextCronTime + "]";
    }
}
