package io.dtm4j.core.memory;

import io.dtm4j.core.Branch;
import io.dtm4j.core.BranchOp;
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
import io.dtm4j.core.spi.StatusCounts;
import io.dtm4j.core.spi.TransactionStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * A {@link TransactionStore} in memory: for tests and for {@code Store.Driver: mem}. Nothing survives the
 * process. Thread-safe (one lock); ids ascend in insertion order, so listing is newest first by id.
 */
public final class InMemoryTransactionStore implements TransactionStore {

    private static final class Entry {
        GlobalTransaction global;
        final List<Branch> branches = new ArrayList<>();

        Entry(GlobalTransaction global) {
            this.global = global;
        }
    }

    private final Map<String, Entry> byGid = new HashMap<>();
    private final TreeMap<Long, String> byId = new TreeMap<>();
    private long nextGlobalId = 1;
    private long nextBranchId = 1;

    @Override
    public synchronized boolean insert(GlobalTransaction global, List<Branch> branches) {
        requireDistinct(global.gid(), branches);
        if (byGid.containsKey(global.gid())) {
            return false;
        }
        long id = nextGlobalId++;
        Entry e = new Entry(global.withId(id));
        for (Branch b : branches) {
            e.branches.add(b.withId(nextBranchId++));
        }
        byGid.put(global.gid(), e);
        byId.put(id, global.gid());
        return true;
    }

    private static void requireDistinct(String gid, List<Branch> branches) {
        for (int i = 0; i < branches.size(); i++) {
            Branch b = branches.get(i);
            if (!b.gid().equals(gid)) {
                throw new InvalidRequestException("gid=" + gid + ": branch " + b.branchId() + " belongs to gid "
                        + b.gid());
            }
            for (int j = 0; j < i; j++) {
                if (branches.get(j).is(b.branchId(), b.op())) {
                    throw new DuplicateBranchException(gid, b.branchId(), b.op().wireName());
                }
            }
        }
    }

    private static void requireLimit(int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must not be negative, got " + limit);
        }
    }

    @Override
    public synchronized Optional<GlobalTransaction> findGlobal(String gid) {
        Entry e = byGid.get(gid);
        return e == null ? Optional.empty() : Optional.of(e.global);
    }

    @Override
    public synchronized List<Branch> findBranches(String gid) {
        Entry e = byGid.get(gid);
        return e == null ? List.of() : List.copyOf(e.branches);
    }

    @Override
    public synchronized boolean update(TransactionUpdate u) {
        Entry e = byGid.get(u.gid());
        if (e == null || e.global.status() != u.expectedStatus()
                || u.expectedOwner().map(o -> !o.equals(e.global.owner())).orElse(false)) {
            return false;
        }
        for (BranchUpdate bu : u.branchUpdates()) {
            if (indexOf(e, bu) < 0) {
                throw new InvalidRequestException("gid=" + u.gid() + " branch=" + bu.branchId() + " op="
                        + bu.op().wireName() + ": no such branch row");
            }
        }
        for (BranchUpdate bu : u.branchUpdates()) {
            int i = indexOf(e, bu);
            e.branches.set(i, e.branches.get(i).withStatus(bu.status(), u.now()));
        }
        e.global = e.global.apply(u);
        return true;
    }

    private static int indexOf(Entry e, BranchUpdate bu) {
        for (int i = 0; i < e.branches.size(); i++) {
            if (e.branches.get(i).is(bu.branchId(), bu.op())) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public synchronized boolean appendBranches(String gid, GlobalStatus expected, TransType type,
                                               List<Branch> branches) {
        Entry e = byGid.get(gid);
        if (e == null || e.global.status() != expected || e.global.transType() != type) {
            return false;
        }
        // A batch that repeats one of its own rows is a duplicate too, as a SQL unique key would report it.
        Set<BranchKey> keys = new HashSet<>();
        for (Branch have : e.branches) {
            keys.add(key(have));
        }
        for (Branch b : branches) {
            if (!keys.add(key(b))) {
                throw new DuplicateBranchException(gid, b.branchId(), b.op().wireName());
            }
        }
        for (Branch b : branches) {
            e.branches.add(b.withId(nextBranchId++));
        }
        return true;
    }

    private record BranchKey(String branchId, BranchOp op) {
    }

    private static BranchKey key(Branch b) {
        return new BranchKey(b.branchId(), b.op());
    }

    @Override
    public synchronized List<GlobalTransaction> claimDue(Instant now, Duration lease, String owner, int limit) {
        requireLimit(limit);
        List<Entry> due = new ArrayList<>();
        for (Entry e : byGid.values()) {
            if (!e.global.status().isFinal() && !e.global.nextCronTime().isAfter(now)) {
                due.add(e);
            }
        }
        due.sort(Comparator.comparing((Entry e) -> e.global.nextCronTime()).thenComparing(e -> e.global.id()));
        List<GlobalTransaction> out = new ArrayList<>();
        for (Entry e : due.subList(0, Math.min(limit, due.size()))) {
            GlobalTransaction g = e.global;
            e.global = new GlobalTransaction(g.id(), g.gid(), g.transType(), g.status(), g.queryPrepared(),
                    g.protocol(), g.createTime(), now, g.finishTime(), g.rollbackTime(), g.options(), g.customData(),
                    g.nextCronInterval(), now.plus(lease), owner, g.extData(), g.result(), g.rollbackReason());
            out.add(e.global);
        }
        return out;
    }

    @Override
    public synchronized boolean retryNow(String gid, Instant now) {
        Entry e = byGid.get(gid);
        if (e == null) {
            return false;
        }
        e.global = e.global.apply(TransactionUpdate.of(gid, e.global.status(), now)
                .cron(e.global.nextCronInterval(), now).build());
        return true;
    }

    @Override
    public synchronized CronReset resetCronTime(Instant now, Duration after, int limit) {
        requireLimit(limit);
        Instant threshold = now.plus(after);
        int count = 0;
        boolean more = false;
        for (Entry e : byGid.values()) {
            if (!e.global.status().isFinal() && e.global.nextCronTime().isAfter(threshold)) {
                if (count == limit) {
                    more = true;
                    break;
                }
                e.global = e.global.apply(TransactionUpdate.of(e.global.gid(), e.global.status(), now)
                        .cron(e.global.nextCronInterval(), now).build());
                count++;
            }
        }
        return new CronReset(count, more);
    }

    @Override
    public synchronized TransactionPage list(ListQuery q) {
        long before = q.position().isEmpty() ? Long.MAX_VALUE : parsePosition(q.position());
        List<GlobalTransaction> page = new ArrayList<>();
        for (String gid : byId.headMap(before, false).descendingMap().values()) {
            GlobalTransaction g = byGid.get(gid).global;
            if (q.matches(g)) {
                page.add(g);
                if (page.size() == q.limit()) {
                    break;
                }
            }
        }
        String next = page.size() < q.limit() ? "" : Long.toString(page.get(page.size() - 1).id());
        return new TransactionPage(page, next);
    }

    private static long parsePosition(String position) {
        try {
            return Long.parseLong(position);
        } catch (NumberFormatException e) {
            throw new InvalidRequestException("position must be a number from a previous page, got '" + position + "'");
        }
    }

    /** Counts every transaction, under the lock: one consistent snapshot. */
    @Override
    public synchronized Optional<StatusCounts> countByStatus() {
        Map<GlobalStatus, Long> counts = new EnumMap<>(GlobalStatus.class);
        for (Entry e : byGid.values()) {
            counts.merge(e.global.status(), 1L, Long::sum);
        }
        return Optional.of(new StatusCounts(counts));
    }

    @Override
    public synchronized int purgeFinished(Instant finishedBefore, int limit) {
        requireLimit(limit);
        List<String> victims = new ArrayList<>();
        for (Entry e : byGid.values()) {
            GlobalTransaction g = e.global;
            Optional<Instant> end = g.finishTime().or(g::rollbackTime);
            if (g.status().isFinal() && end.isPresent() && end.get().isBefore(finishedBefore)) {
                victims.add(g.gid());
                if (victims.size() == limit) {
                    break;
                }
            }
        }
        for (String gid : victims) {
            byId.remove(byGid.remove(gid).global.id());
        }
        return victims.size();
    }

    @Override
    public synchronized long deleteAll() {
        long n = byGid.size();
        byGid.clear();
        byId.clear();
        return n;
    }

    @Override
    public void ping() {
        // always reachable
    }

    @Override
    public String describe() {
        return "mem";
    }

    @Override
    public void close() {
        // nothing to release
    }
}
