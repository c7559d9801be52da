package io.dtm4j.store.redis;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchUpdate;
import io.dtm4j.core.DuplicateBranchException;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.InvalidRequestException;
import io.dtm4j.core.ListQuery;
import io.dtm4j.core.TransType;
import io.dtm4j.core.TransactionPage;
import io.dtm4j.core.TransactionUpdate;
import io.dtm4j.core.spi.CronReset;
import io.dtm4j.core.spi.TransactionStore;
import io.lettuce.core.KeyScanCursor;
import io.lettuce.core.KeyValue;
import io.lettuce.core.Limit;
import io.lettuce.core.Range;
import io.lettuce.core.ScanArgs;
import io.lettuce.core.ScanCursor;
import io.lettuce.core.ScoredValue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * A {@link TransactionStore} in Redis (standalone, Sentinel or Cluster, over Lettuce), with the keys, types,
 * TTLs and JSON fields of DTM's Redis store (spec server-protocol.md 2 and 5.3; DTM's extra {@code steps} and
 * {@code payloads} copies in the global JSON are not written, the branch rows hold them):
 * {@code P_g_<gid>} (global JSON), {@code P_b_<gid>} (branch JSON list), {@code P_s_<gid>} (status),
 * {@code P_u} (unfinished gids by {@code next_cron_time}), with TTLs of {@code dataExpire} (default 7 d) and
 * {@code finishedDataExpire} (1 d) once finished. {@code P} is the prefix, default {@code {a}}: a Cluster
 * hash tag, so every key of the store lives in one slot.
 *
 * <p>Every multi-key change is one Lua script, atomic in Redis, called by SHA ({@code EVALSHA}): a happy saga
 * costs two, the intent {@link #insert} and the outcome {@link #update} with the branch statuses folded in.
 * Commands of concurrent callers are pipelined on one shared connection. Differences from DTM:
 * <ul>
 *   <li>{@link #update} changes only the fields it names inside the stored JSON (DTM rewrites the whole
 *       document, G16) and writes branch statuses in the same script;</li>
 *   <li>{@link #appendBranches} refuses a duplicate among <em>all</em> new rows, DTM only the first;</li>
 *   <li>{@link #claimDue} leases up to {@code limit} transactions in one script and drops index entries whose
 *       data has expired; {@link #retryNow} re-indexes {@code P_u} (DTM's does not, G10);</li>
 *   <li>{@code P_u} scores keep milliseconds in the fraction (DTM: whole seconds);</li>
 *   <li>three index keys DTM lacks: {@code P_all} (every gid by insertion sequence, for newest-first
 *       {@link #list} paging), {@code P_seq} (its counter) and {@code P_done} (finished gids by end time, for
 *       {@link #purgeFinished}). Their entries go when a transaction is purged, when a claim finds its data
 *       expired, and, for finished transactions whose data has expired by TTL, a few at a time with each
 *       finishing write. Transactions written by DTM itself are found, updated and claimed, but not listed or
 *       purged (DTM keeps no such index); their TTL removes them.</li>
 * </ul>
 *
 * <p>{@link #list} pages newest first by insertion; the position is the insertion sequence number of the last
 * transaction returned; filters are applied while walking the index, so a selective filter may read many
 * transactions for one page (a gid prefix is checked on the index entries, before any transaction is read). A
 * page that ends at the end of the index has an empty position; otherwise the next page may come back empty.
 *
 * <p>{@link #countByStatus} is empty: a status lives only in each transaction's own key, so a count reads them
 * all, and the sorted sets' sizes drift from the truth as keys expire ({@code docs/decisions/005-admin-queries.md}).
 *
 * <p>Durability is Redis's: with {@code appendfsync always} a returned write survives a crash of Redis, with
 * {@code everysec} up to a second may be lost. Errors: an unreachable, silent (after the command timeout,
 * default 3 s) or failing Redis throws {@link io.dtm4j.core.StoreUnavailableException} naming the address and
 * what to check, never the password. Thread-safe; {@link #close()} releases the connection and its threads.
 *
 * <p>Build one with {@link #builder()} (a {@link RedisStoreBuilder}).
 */
public final class RedisTransactionStore implements TransactionStore {
    /** Default key prefix: {@code {a}}, DTM's, a Cluster hash tag. */
    public static final String DEFAULT_PREFIX = "{a}";
    /** Default TTL of a transaction's keys while it runs, refreshed by each write: 7 days (DTM's DataExpire). */
    public static final Duration DEFAULT_DATA_EXPIRE = Duration.ofDays(7);
    /** Default TTL of a transaction's keys once it is finished: 1 day (DTM's FinishedDataExpire). */
    public static final Duration DEFAULT_FINISHED_DATA_EXPIRE = Duration.ofDays(1);
    /** Default time a Redis command may take before the call fails: 3 s. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofSeconds(3);

    private static final String OK = "OK";
    private static final int LIST_BATCH = 100;
    /** Keys per SCAN page of {@link #deleteAll()}. */
    private static final int RESET_PAGE = 1000;

    private final Keys keys;
    private final Duration dataExpire;
    private final Duration finishedDataExpire;
    private final RedisErrors errors;
    private final RedisConnector redis;

    /** Called by {@link RedisStoreBuilder#build()} with its validated settings. */
    RedisTransactionStore(RedisEndpoint endpoint, String prefix, String password, Duration dataExpire,
                          Duration finishedDataExpire, Duration commandTimeout) {
        this.keys = new Keys(prefix);
        this.dataExpire = dataExpire;
        this.finishedDataExpire = finishedDataExpire;
        this.errors = new RedisErrors(endpoint.describe(prefix), endpoint.address(), password, commandTimeout);
        this.redis = new RedisConnector(endpoint, commandTimeout, errors);
    }

    /**
     * Returns a new {@link RedisStoreBuilder}; choose where Redis is with {@code standalone}, {@code sentinel} or
     * {@code cluster}.
     */
    public static RedisStoreBuilder builder() {
        return new RedisStoreBuilder();
    }

    @Override
    public boolean insert(GlobalTransaction global, List<Branch> branches) {
        String gid = global.gid();
        requireOwnAndDistinct(gid, branches);
        boolean finished = global.status().isFinal();
        Optional<Instant> end = global.finishTime().or(global::rollbackTime);
        List<String> args = new ArrayList<>(List.of(keys.prefix(),
                Scores.millis(finished ? finishedDataExpire : dataExpire), gid, RedisJson.encodeGlobal(global),
                global.status().wireName(), finished ? "" : Scores.of(global.nextCronTime()),
                finished && end.isPresent() ? Scores.of(end.get()) : ""));
        branches.forEach(b -> args.add(RedisJson.encodeBranch(b)));
        String[] k = {keys.global(gid), keys.branches(gid), keys.unfinished(), keys.status(gid), keys.all(),
            keys.done(), keys.sequence()};
        return OK.equals(code(script("gid=" + gid + ": insert", Script.INSERT, k, args)));
    }

    @Override
    public Optional<GlobalTransaction> findGlobal(String gid) {
        String key = keys.global(gid);
        String json = redis.call("gid=" + gid + ": find", c -> c.get(key));
        return json == null ? Optional.empty() : Optional.of(RedisJson.decodeGlobal(json, key));
    }

    @Override
    public List<Branch> findBranches(String gid) {
        String key = keys.branches(gid);
        List<String> rows = redis.call("gid=" + gid + ": find branches", c -> c.lrange(key, 0, -1));
        return rows.stream().map(json -> RedisJson.decodeBranch(json, key)).toList();
    }

    @Override
    public boolean update(TransactionUpdate u) {
        String gid = u.gid();
        boolean finishing = u.newStatus().map(GlobalStatus::isFinal).orElse(false);
        List<String> args = new ArrayList<>(List.of(keys.prefix(), Scores.millis(dataExpire),
                Scores.millis(finishedDataExpire), gid, u.expectedStatus().wireName(),
                u.newStatus().map(GlobalStatus::wireName).orElse(""), RedisJson.patch(u),
                u.nextCronTime().map(Scores::of).orElse(""), finishing ? Scores.of(u.now()) : "",
                RedisJson.time(u.now()), Scores.of(u.now().minus(finishedDataExpire)),
                u.expectedOwner().map(o -> "=" + o).orElse("")));
        for (BranchUpdate b : u.branchUpdates()) {
            args.addAll(List.of(b.branchId(), b.op().wireName(), b.status().wireName()));
        }
        String[] k = {keys.global(gid), keys.branches(gid), keys.unfinished(), keys.status(gid), keys.done(),
            keys.all()};
        List<Object> r = script("gid=" + gid + ": update", Script.UPDATE, k, args);
        if ("NO_BRANCH".equals(code(r))) {
            throw new InvalidRequestException("gid=" + gid + " branch=" + r.get(1) + " op=" + r.get(2)
                    + ": no such branch row");
        }
        return OK.equals(code(r));
    }

    @Override
    public boolean appendBranches(String gid, GlobalStatus expected, TransType type, List<Branch> branches) {
        requireOwn(gid, branches);
        List<String> args = new ArrayList<>(List.of(keys.prefix(), expected.wireName(), type.wireName()));
        for (Branch b : branches) {
            args.addAll(List.of(b.branchId(), b.op().wireName(), RedisJson.encodeBranch(b)));
        }
        String[] k = {keys.global(gid), keys.branches(gid), keys.status(gid)};
        List<Object> r = script("gid=" + gid + ": append branches", Script.APPEND, k, args);
        if ("DUPLICATE".equals(code(r))) {
            throw new DuplicateBranchException(gid, (String) r.get(1), (String) r.get(2));
        }
        return OK.equals(code(r));
    }

    @Override
    public List<GlobalTransaction> claimDue(Instant now, Duration lease, String owner, int limit) {
        requireLimit(limit);
        if (limit == 0) {
            return List.of();
        }
        Instant until = now.plus(lease);
        List<Object> r = script("claim due transactions", Script.CLAIM, new String[] {keys.unfinished(), keys.all()},
                List.of(keys.prefix(), Scores.of(now), Scores.of(until), Integer.toString(limit), owner,
                        RedisJson.time(now), RedisJson.time(until)));
        return r.stream().map(json -> RedisJson.decodeGlobal((String) json, "a claimed transaction")).toList();
    }

    @Override
    public boolean retryNow(String gid, Instant now) {
        String[] k = {keys.global(gid), keys.unfinished(), keys.status(gid)};
        List<Object> r = script("gid=" + gid + ": retry now", Script.RETRY_NOW, k,
                List.of(keys.prefix(), gid, Scores.of(now), RedisJson.time(now)));
        return ((Long) r.get(0)) == 1L;
    }

    @Override
    public CronReset resetCronTime(Instant now, Duration after, int limit) {
        requireLimit(limit);
        List<Object> r = script("reset cron time", Script.RESET_CRON, new String[] {keys.unfinished()},
                List.of(keys.prefix(), Scores.of(now.plus(after)), Scores.of(now), Integer.toString(limit),
                        RedisJson.time(now)));
        return new CronReset(((Long) r.get(0)).intValue(), ((Long) r.get(1)) == 1L);
    }

    @Override
    public TransactionPage list(ListQuery q) {
        long before = q.position().isEmpty() ? Long.MAX_VALUE : position(q.position());
        int batch = Math.max(q.limit(), LIST_BATCH);
        List<GlobalTransaction> page = new ArrayList<>();
        while (true) {
            Range<Long> range = Range.from(Range.Boundary.unbounded(), Range.Boundary.excluding(before));
            List<ScoredValue<String>> entries = redis.call("list transactions",
                    c -> c.zrevrangebyscoreWithScores(keys.all(), range, Limit.create(0, batch)));
            if (entries.isEmpty()) {
                return new TransactionPage(page, "");
            }
            // The members are the gids, so a gid prefix is checked before any transaction is read.
            List<ScoredValue<String>> candidates = entries.stream().filter(e -> q.matchesGid(e.getValue())).toList();
            List<KeyValue<String, String>> values = read(candidates);
            for (int i = 0; i < candidates.size(); i++) {
                KeyValue<String, String> kv = values.get(i);
                if (!kv.hasValue()) {
                    continue;
                }
                GlobalTransaction g = RedisJson.decodeGlobal(kv.getValue(), kv.getKey());
                if (q.matches(g) && page.add(g) && page.size() == q.limit()) {
                    long last = (long) candidates.get(i).getScore();
                    boolean more = last != (long) entries.get(entries.size() - 1).getScore()
                            || entries.size() == batch;
                    return new TransactionPage(page, more ? Long.toString(last) : "");
                }
            }
            if (entries.size() < batch) {
                return new TransactionPage(page, "");
            }
            before = (long) entries.get(entries.size() - 1).getScore();
        }
    }

    /** The global JSON of each entry, in order, in one MGET; a missing one (expired by TTL) has no value. */
    private List<KeyValue<String, String>> read(List<ScoredValue<String>> entries) {
        if (entries.isEmpty()) {
            return List.of();
        }
        String[] globals = entries.stream().map(e -> keys.global(e.getValue())).toArray(String[]::new);
        return redis.call("list transactions", c -> c.mget(globals));
    }

    @Override
    public int purgeFinished(Instant finishedBefore, int limit) {
        requireLimit(limit);
        if (limit == 0) {
            return 0;
        }
        List<Object> r = script("purge finished transactions", Script.PURGE, new String[] {keys.done(), keys.all()},
                List.of(keys.prefix(), Scores.of(finishedBefore), Integer.toString(limit)));
        return ((Long) r.get(0)).intValue();
    }

    /** Scans and unlinks every key under the prefix, a page of {@link #RESET_PAGE} at a time. */
    @Override
    public long deleteAll() {
        ScanArgs args = ScanArgs.Builder.matches(globEscaped(keys.prefix()) + "_*").limit(RESET_PAGE);
        String globalKeys = keys.global("");
        long transactions = 0;
        ScanCursor cursor = ScanCursor.INITIAL;
        do {
            ScanCursor from = cursor;
            KeyScanCursor<String> page = redis.call("delete all: scan", c -> c.scan(from, args));
            List<String> found = page.getKeys();
            if (!found.isEmpty()) {
                redis.call("delete all: unlink", c -> c.unlink(found.toArray(String[]::new)));
                transactions += found.stream().filter(k -> k.startsWith(globalKeys)).count();
            }
            cursor = page;
        } while (!cursor.isFinished());
        return transactions;
    }

    /** Escapes the characters special in a SCAN MATCH pattern. */
    private static String globEscaped(String literal) {
        StringBuilder b = new StringBuilder();
        for (char ch : literal.toCharArray()) {
            if ("*?[]\\".indexOf(ch) >= 0) {
                b.append('\\');
            }
            b.append(ch);
        }
        return b.toString();
    }

    @Override
    public void ping() {
        redis.call("ping", c -> c.ping());
    }

    /** Returns e.g. {@code redis://127.0.0.1:6379/0?prefix={a}}; never the password. */
    @Override
    public String describe() {
        return errors.name();
    }

    @Override
    public void close() {
        redis.close();
    }

    @Override
    public String toString() {
        return "RedisTransactionStore[" + describe() + "]";
    }

    private List<Object> script(String what, Script s, String[] k, List<String> args) {
        String[] a = args.toArray(String[]::new);
        return redis.call(what, c -> RedisConnector.eval(c, s, k, a));
    }

    private static String code(List<Object> reply) {
        return reply.isEmpty() ? "" : String.valueOf(reply.get(0));
    }

    private static void requireOwn(String gid, List<Branch> branches) {
        for (Branch b : branches) {
            if (!b.gid().equals(gid)) {
                throw new InvalidRequestException("gid=" + gid + ": branch " + b.branchId() + " belongs to gid "
                        + b.gid());
            }
        }
    }

    private static void requireOwnAndDistinct(String gid, List<Branch> branches) {
        requireOwn(gid, branches);
        Set<String> seen = new HashSet<>();
        for (Branch b : branches) {
            if (!seen.add(b.op().wireName() + " " + b.branchId())) {
                throw new DuplicateBranchException(gid, b.branchId(), b.op().wireName());
            }
        }
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
    }

    private static long position(String position) {
        try {
            return Long.parseLong(position);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("position must be a number from a previous page, got '" + position
                    + "'");
        }
    }
}
