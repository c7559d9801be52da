package io.dtm4j.server;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * What happened in one run of {@link BankInvariantIT}: the planned transfers with what each client saw and the
 * final status the coordinator reported, the faults the nemesis injected, and the summary printed at the end.
 * Thread-safe: entries are written by the worker that runs them, faults under the history's lock.
 */
final class BankHistory {
    /** The transaction type of a transfer. */
    enum Type {
        SAGA("s"), TCC("t"), MSG("m"), XA("x"), WORKFLOW("w");

        /** One letter in the gid. */
        final String tag;

        Type(String tag) {
            this.tag = tag;
        }
    }

    /** What the client's call ended with. */
    enum ClientOutcome {
        /** Returned normally: submitted (saga, msg) or committed (tcc, xa, workflow). */
        ACKED,
        /** {@code DtmFailureException}: a business failure, rolled back, or refused by the coordinator. */
        REFUSED,
        /** {@code DtmOngoingException}: the outcome is left to the coordinator. */
        ONGOING,
        /** {@code DtmTransportException}: no answer (the coordinator was down or paused); outcome unknown. */
        NO_ANSWER,
        /** Any other exception; outcome unknown. */
        ERROR,
        /** Not run: the coordinator did not come back in time. */
        SKIPPED,
        /** The nemesis made the client stop half-way, as if its process died: no submit, no abort. */
        CRASHED
    }

    /** The final state of a transfer as the coordinator reports it; ABSENT: never stored. */
    enum Final { SUCCEED, FAILED, ABSENT, NOT_FINAL }

    /** One planned transfer of {@code amount} from account {@code from} to {@code to}. */
    record Transfer(int index, String gid, Type type, int from, int to, long amount) {
        String payload() {
            return "{\"from\":" + from + ",\"to\":" + to + ",\"amount\":" + amount + "}";
        }
    }

    /** A transfer with what became of it. */
    static final class Entry {
        final Transfer transfer;
        volatile ClientOutcome client;
        volatile String clientDetail = "";
        volatile Final outcome = Final.NOT_FINAL;
        volatile String lastStatus = "";
        /** The client made its call a second time after the first got no answer; {@link #client} is the second. */
        volatile boolean retried;

        Entry(Transfer transfer) {
            this.transfer = transfer;
        }
    }

    private final long seed;
    private final long startNanos = System.nanoTime();
    private final List<Entry> entries = new ArrayList<>();
    private final Map<String, Integer> faults = new TreeMap<>();
    private final List<String> faultLog = new ArrayList<>();

    BankHistory(long seed, List<Transfer> plan) {
        this.seed = seed;
        plan.forEach(t -> entries.add(new Entry(t)));
    }

    long seed() {
        return seed;
    }

    /** Entries in plan order (the list is fixed; the entries change). */
    List<Entry> entries() {
        return entries;
    }

    Entry entry(int index) {
        return entries.get(index);
    }

    /** Seconds since the run started, for logs. */
    double elapsedSeconds() {
        return (System.nanoTime() - startNanos) / 1e9;
    }

    synchronized void fault(String kind, String detail) {
        faults.merge(kind, 1, Integer::sum);
        faultLog.add(String.format(Locale.ROOT, "%7.2fs %s %s", elapsedSeconds(), kind, detail));
    }

    synchronized Map<String, Integer> faults() {
        return new TreeMap<>(faults);
    }

    synchronized List<String> faultLog() {
        return List.copyOf(faultLog);
    }

    synchronized int faultCount() {
        return faults.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Transfers by type, then final state (and client outcome), as counts. */
    Map<Type, Map<String, Integer>> byTypeAndOutcome() {
        Map<Type, Map<String, Integer>> out = new EnumMap<>(Type.class);
        for (Entry e : entries) {
            Map<String, Integer> m = out.computeIfAbsent(e.transfer.type(), k -> new TreeMap<>());
            m.merge(e.outcome.name().toLowerCase(Locale.ROOT), 1, Integer::sum);
            m.merge("client " + (e.client == null ? "none" : e.client.name().toLowerCase(Locale.ROOT)), 1,
                    Integer::sum);
            if (e.retried) {
                m.merge("client retried", 1, Integer::sum);
            }
        }
        return out;
    }

    /** The summary: seed first, so that a failed run can be replayed. */
    String summary(String setting, BankChecker.Result result, Map<String, Long> bankCounts) {
        StringBuilder b = new StringBuilder();
        b.append("BankInvariantIT seed=").append(seed).append(" (replay: -Ddtm.bank.seed=").append(seed)
                .append(")\n");
        b.append("  setting: ").append(setting).append('\n');
        b.append("  transfers: ").append(entries.size()).append('\n');
        byTypeAndOutcome().forEach((type, m) -> b.append("    ").append(String.format(Locale.ROOT, "%-8s", type))
                .append(' ').append(m).append('\n'));
        b.append("  faults injected: ").append(faultCount()).append(' ').append(faults()).append('\n');
        b.append("  bank: ").append(bankCounts).append('\n');
        if (result != null) {
            b.append("  total before=").append(result.totalBefore()).append(" after=").append(result.totalAfter())
                    .append("; frozen=").append(result.frozen()).append(" incoming=").append(result.incoming())
                    .append(" negative accounts=").append(result.negativeAccounts())
                    .append(" accounts off their history=").append(result.accountsOff().size()).append('\n');
            b.append("  stuck=").append(result.stuck().size()).append(" absent=").append(result.absent())
                    .append(" acknowledged but lost or reversed=").append(result.ackViolations().size())
                    .append(" duplicate barrier rows=").append(result.duplicateBarrierRows().size())
                    .append(" barrier rows of absent gids=").append(result.barrierRowsOfAbsent())
                    .append(" prepared XA left=").append(result.preparedXaLeft().size())
                    .append(" barrier rows=").append(result.barrierRows()).append('\n');
            b.append("  quiet after ").append(result.quietMillis()).append(" ms").append('\n');
        }
        b.append("  wall time ").append(String.format(Locale.ROOT, "%.1f s", elapsedSeconds())).append('\n');
        faultLog().forEach(l -> b.append("    fault ").append(l).append('\n'));
        return b.toString();
    }
}
