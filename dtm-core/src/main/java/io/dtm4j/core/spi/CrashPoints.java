package io.dtm4j.core.spi;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Named places in the coordinator where a crash test halts the JVM, as Narayana's crash-recovery tests do with
 * Byteman rules: the engine and the server call {@link #reached} at each place, and a JVM started with
 * {@code -Ddtm4j.crashAt=<point>} (or {@code <point>#<n>}: the n-th time that point is reached, counted from 1)
 * stops there with {@code Runtime.getRuntime().halt(137)}: no shutdown hook, no flush, no reply, exactly as
 * if the process had been killed with SIGKILL at that line.
 *
 * <p>For tests only. Without the property every {@link #reached} call is a read of a {@code static final} null
 * and returns at once; the property is read once, when this class is first used. A property that names no
 * known point (or has a bad count) is logged at ERROR and arms nothing.
 *
 * <p>Public only because the server's routes reach a point too; not meant for embedding programs. Thread-safe:
 * when several threads reach the armed point at once, exactly one of them is the n-th.
 */
public final class CrashPoints {
    /** The system property that arms a point: {@code <point>} or {@code <point>#<n>}, n &gt;= 1. */
    public static final String PROPERTY = "dtm4j.crashAt";

    /**
     * The insert of a new transaction (prepare, submit of a saga or msg, prepareWorkflow) is durable, and
     * nothing else has happened: no status event, no branch call, no reply. Recovery must run it (submitted)
     * or time it out (prepared); the client saw no reply.
     */
    public static final String AFTER_INTENT = "after-intent";

    /**
     * A forward branch call ({@code op=action}: saga step, msg step) answered, and its result is in neither
     * the store nor the round's memory: the branch did its work, the coordinator does not know. Recovery calls
     * it again; the branch barrier must absorb the repeat. {@code #n} picks the n-th action call of the JVM.
     */
    public static final String AFTER_BRANCH_CALL = "after-branch-call";

    /**
     * The server's submit route got the coordinator's outcome (with {@code wait_result} the round's final write
     * is durable; without, the intent is) and has not sent the HTTP reply. The client sees a broken connection
     * for a transaction that is, or will be, finished.
     */
    public static final String AFTER_OUTCOME_BEFORE_REPLY = "after-outcome-before-reply";

    /**
     * An undo call (saga {@code compensate}, TCC {@code cancel}, XA {@code rollback}) answered, before its result
     * is stored. Recovery undoes that branch again; the barrier must make the repeat a no-op.
     */
    public static final String DURING_COMPENSATION = "during-compensation";

    /**
     * A TCC {@code confirm} answered, before its result is stored. Recovery confirms again (TCC confirms are
     * retried until they succeed); the barrier must make the repeat a no-op.
     */
    public static final String DURING_TCC_CONFIRM = "during-tcc-confirm";

    /**
     * An XA global transaction is submitted (the decision to commit is durable, every branch prepared in its
     * database) and phase two is about to call a branch's {@code commit}; {@code #1} is the first commit call of
     * the JVM, i.e. before any branch committed. Recovery must commit every prepared branch.
     */
    public static final String BETWEEN_XA_PREPARE_AND_COMMIT = "between-xa-prepare-and-commit";

    /** Every point, in the order a transaction meets them. */
    public static final List<String> ALL = List.of(AFTER_INTENT, AFTER_BRANCH_CALL, AFTER_OUTCOME_BEFORE_REPLY,
            DURING_COMPENSATION, DURING_TCC_CONFIRM, BETWEEN_XA_PREPARE_AND_COMMIT);

    /** The exit status of a halted JVM: what a shell reports for SIGKILL (128 + 9). */
    public static final int EXIT_STATUS = 137;

    private static final Logger LOG = LoggerFactory.getLogger(CrashPoints.class);
    /** Null unless the property arms a point: then the only cost of {@link #reached} is this null check. */
    private static final CrashPoints ARMED = fromProperty(System.getProperty(PROPERTY));

    private final String point;
    private final long nth;
    private final Runnable halt;
    private final AtomicLong reached = new AtomicLong();

    private CrashPoints(String point, long nth, Runnable halt) {
        this.point = point;
        this.nth = nth;
        this.halt = halt;
    }

    /**
     * Marks that the calling thread is at {@code point} (one of the constants of this class); halts the JVM when
     * the property armed this point and this is its n-th arrival, else returns at once.
     */
    public static void reached(String point) {
        CrashPoints armed = ARMED;
        if (armed != null) {
            armed.arrive(point);
        }
    }

    /**
     * Parses {@code <point>} or {@code <point>#<n>}; the returned instance runs {@code halt} at the n-th arrival at
     * the point.
     *
     * @throws IllegalArgumentException an unknown point, or n not a whole number &gt;= 1
     */
    static CrashPoints parse(String spec, Runnable halt) {
        String s = spec.strip();
        int hash = s.indexOf('#');
        String name = hash < 0 ? s : s.substring(0, hash);
        if (!ALL.contains(name)) {
            throw new IllegalArgumentException(PROPERTY + "='" + spec + "' names no crash point; known: " + ALL);
        }
        long n = 1;
        if (hash >= 0) {
            try {
                n = Long.parseLong(s.substring(hash + 1));
            } catch (NumberFormatException e) {
                n = 0;
            }
            if (n < 1) {
                throw new IllegalArgumentException(PROPERTY + "='" + spec + "': the count after # must be a whole "
                        + "number from 1");
            }
        }
        return new CrashPoints(name, n, halt);
    }

    /**
     * Counts an arrival at {@code at}; runs the halt action when it is the armed point's n-th arrival.
     *
     * @return true when the halt action ran (in a test, where it returns)
     */
    boolean arrive(String at) {
        if (!point.equals(at) || reached.incrementAndGet() != nth) {
            return false;
        }
        halt.run();
        return true;
    }

    /** The armed point and count, e.g. {@code after-branch-call#3}. */
    @Override
    public String toString() {
        return point + "#" + nth;
    }

    private static CrashPoints fromProperty(String spec) {
        if (spec == null || spec.isBlank()) {
            return null;
        }
        try {
            CrashPoints armed = parse(spec, () -> Runtime.getRuntime().halt(EXIT_STATUS));
            LOG.warn("crash point {} armed by -D{}: this JVM halts there (tests only)", armed, PROPERTY);
            return armed;
        } catch (IllegalArgumentException e) {
            LOG.error("{}; no crash point armed", e.getMessage());
            return null;
        }
    }
}
