package io.dtm4j.core.testing;

import io.dtm4j.core.BranchOutcome;
import io.dtm4j.core.BranchResult;
import io.dtm4j.core.Coordinator;
import io.dtm4j.core.GlobalStatus;
import io.dtm4j.core.GlobalTransaction;
import io.dtm4j.core.RecoveryReport;
import io.dtm4j.core.TransOptions;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.spi.BranchCall;
import io.dtm4j.core.spi.BranchInvoker;
import io.dtm4j.core.spi.TransactionStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static io.dtm4j.core.testing.EngineHarness.BUSI;
import static io.dtm4j.core.testing.EngineHarness.transferMsg;
import static io.dtm4j.core.testing.EngineHarness.transferSaga;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Clock skew between coordinators on one store, and a clock that jumps backwards (spec ops-reliability-security C2
 * #13), on any store: extend it and implement {@link #newStore()}. Two coordinators, {@code ahead} (+5 min) and
 * {@code behind} (-5 min), share a store; every clock is a {@link MutableClock} moved with the true time
 * ({@link World#pass}), so each scenario is exact and runs on one thread.
 *
 * <p><b>What harm means here.</b> Each node judges time on its own clock against times other nodes wrote on theirs
 * (DTM does the same: there is no shared clock, and the stores take the caller's {@code now}). Two consequences are
 * harmless by construction and only cost calls: a node retries a transaction earlier than the node that scheduled
 * it meant to (branches must be idempotent anyway), and a lease written by a node behind looks expired to a node
 * ahead, so both may drive the transaction for a moment; the owner compare-and-set lets only the later claimer
 * write, so the other stops at its next write, and at most one call per branch is repeated (the barrier absorbs
 * it). Harm would be: a transaction processed concurrently while a lease runs in the store's view (the claimer's
 * own timeline), a branch whose success was stored being called again outside such a race, a negative or
 * runaway retry interval, a transaction left unprocessed for longer than the skew, or a time-based decision
 * (TimeoutToFail abort, msg back-check) taken before its time on the clock of the node that created the
 * transaction. The last one cannot be prevented by a node whose clock is ahead of the creator's: it takes those
 * decisions early by its lead, at most (a back-check may then roll back a local transaction that would have
 * committed; a saga times out and is compensated), which is why node clocks must agree to well within the smallest
 * TimeoutToFail (NTP). The scenarios pin that bound and that a node not ahead of the creator is never early.
 *
 * <p>A clock that jumps back (an NTP step, a restored VM): intervals stay positive and the schedules written after
 * the jump are relative to the new time; what the node had scheduled on the old time would wait for the length of
 * the jump, so the next recovery step notices the clock went back and makes it due (time-based decisions anchored
 * at create_time, timeouts and msg delays, do come that much later: late, never early).
 */
public abstract class ClockSkewScenarios {
    private static final Duration SKEW = Duration.ofMinutes(5);
    private static final Duration RETRY = Coordinator.DEFAULT_RETRY_INTERVAL;
    private static final Duration TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STEP = Duration.ofSeconds(5);
    private static final Instant TRUE_START = Instant.parse("2026-01-01T00:00:00Z");

    private final List<World> worlds = new ArrayList<>();

    /** Returns a new, empty store; it may be called several times per test (one per {@link World}). */
    protected abstract TransactionStore newStore();

    @AfterEach
    void closeWorlds() {
        worlds.forEach(World::close);
    }

    @Test
    void aLeaseTakenByTheNodeAheadHoldsOffTheNodeBehindUntilItEnds() {
        World w = world();
        Node ahead = w.node("ahead", SKEW);
        Node behind = w.node("behind", SKEW.negated());
        w.busi.script("LeaseAhead", "TransOut", BranchResult.ERROR);
        behind.coordinator.submit(transferSaga("LeaseAhead").build());
        List<RecoveryReport> behindDuringLease = new ArrayList<>();
        w.busi.during("LeaseAhead", "TransOut", 2, () -> {
            // the lease runs until ahead's claim + RETRY on ahead's clock: the last second of it, in true time
            w.pass(RETRY.minusSeconds(1));
            behindDuringLease.add(behind.coordinator.recoverOnce());
        });

        RecoveryReport r = ahead.coordinator.recoverOnce();
        w.pass(RETRY); // the slow call ended ahead's round (saga round limit); its next one finishes the saga
        ahead.coordinator.recoverOnce();

        assertThat(r.claimed()).as("ahead sees the saga due at once: behind's schedule is in its past").isEqualTo(1);
        assertThat(behindDuringLease).extracting(RecoveryReport::claimed).as("behind claimed during ahead's lease")
                .containsExactly(0);
        assertThat(w.status("LeaseAhead")).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(w.busi.callsBy("behind", "LeaseAhead")).as("behind's calls").containsExactly("TransOut");
        assertThat(w.busi.callsBy("ahead", "LeaseAhead")).as("ahead's calls").containsExactly("TransOut", "TransIn");
    }

    @Test
    void aLeaseTakenByTheNodeBehindLooksExpiredToTheNodeAheadButOnlyOneOfThemWrites() {
        World w = world();
        Node ahead = w.node("ahead", SKEW);
        Node behind = w.node("behind", SKEW.negated());
        w.busi.script("LeaseBehind", "TransOut", BranchResult.ERROR);
        ahead.coordinator.submit(transferSaga("LeaseBehind").build());
        w.pass(SKEW.multipliedBy(2).plus(RETRY.multipliedBy(2))); // due on behind's clock too
        List<RecoveryReport> aheadDuringLease = new ArrayList<>();
        w.busi.during("LeaseBehind", "TransOut", 2, () -> {
            aheadDuringLease.add(ahead.coordinator.recoverOnce());
            w.pass(Duration.ofSeconds(3)); // behind's call was slow: it renews its lease before the next call
        });

        RecoveryReport r = behind.coordinator.recoverOnce();

        assertThat(aheadDuringLease).extracting(RecoveryReport::claimed)
                .as("behind's lease ends 10 min before ahead's now: ahead claims at once").containsExactly(1);
        assertThat(r.finished()).as("behind lost the transaction at its next write").isZero();
        assertThat(w.status("LeaseBehind")).isEqualTo(GlobalStatus.SUCCEED);
        assertThat(w.global("LeaseBehind").owner()).startsWith("ahead");
        assertThat(w.busi.callsBy("behind", "LeaseBehind")).as("behind stopped before its next call")
                .containsExactly("TransOut");
        assertThat(w.busi.callsBy("ahead", "LeaseBehind")).containsExactly("TransOut", "TransOut", "TransIn");
        assertThat(w.busi.successes("LeaseBehind", "TransOut")).as("TransOut succeeded twice at most: once per "
                + "node of the race, the barrier absorbs one").isEqualTo(2);
        assertThat(w.busi.successes("LeaseBehind", "TransIn")).isEqualTo(1);
    }

    /** The clock offsets of the node that creates the transactions and of the one that alone recovers them. */
    private record Pair(Duration creator, Duration decider) {
        /** How far the decider's clock is ahead of the creator's (zero when it is not). */
        Duration lead() {
            Duration d = decider.minus(creator);
            return d.isNegative() ? Duration.ZERO : d;
        }

        /** How far the decider's clock is behind the creator's (zero when it is not). */
        Duration lag() {
            Duration d = creator.minus(decider);
            return d.isNegative() ? Duration.ZERO : d;
        }
    }

    @Test
    void timeoutsAndBackChecksAreNeverEarlyOnANodeNotAheadOfTheCreatorAndEarlyAtMostByTheLeadOtherwise() {
        for (Pair p : List.of(new Pair(SKEW, SKEW), new Pair(SKEW, SKEW.negated()),
                new Pair(SKEW.negated(), SKEW.negated()), new Pair(SKEW.negated(), SKEW))) {
            World w = world();
            Node creator = w.node("creator", p.creator());
            Node decider = p.decider().equals(p.creator()) ? creator : w.node("decider", p.decider());
            TransOptions timeout = TransOptions.builder().timeoutToFail(TIMEOUT).build();
            w.busi.scriptAlways("TimeoutSaga", "TransIn", BranchResult.ONGOING);
            creator.coordinator.prepare(transferMsg("TimeoutMsg").options(timeout).build());
            creator.coordinator.submit(transferSaga("TimeoutSaga").options(timeout).build());
            Instant created = w.trueNow();

            w.recoverUntil(decider, x -> !x.busi.calls("TimeoutMsg", "QueryPrepared").isEmpty()
                    && !x.busi.calls("TimeoutSaga", "TransInRevert").isEmpty(), SKEW.multipliedBy(3));
            String what = "created by the node at " + p.creator() + ", decided by the node at " + p.decider();
            Duration backCheckAfter = Duration.between(created, w.busi.first("TimeoutMsg", "QueryPrepared").trueTime());
            Duration abortAfter = Duration.between(created, w.busi.first("TimeoutSaga", "TransInRevert").trueTime());
            System.out.printf("ClockSkew %s: back-check %d s and timeout abort %d s after creation (timeout %d s)%n",
                    what, backCheckAfter.toSeconds(), abortAfter.toSeconds(), TIMEOUT.toSeconds());
            for (Duration after : List.of(backCheckAfter, abortAfter)) {
                assertThat(after).as("%s: not earlier than the timeout minus the decider's lead", what)
                        .isGreaterThanOrEqualTo(TIMEOUT.minus(p.lead()));
                assertThat(after).as("%s: not later than the timeout plus the decider's lag, a lease and a step",
                        what).isLessThanOrEqualTo(TIMEOUT.plus(p.lag()).plus(RETRY).plus(STEP));
            }
        }
    }

    @Test
    void noTransactionStarvesWhileTwoSkewedNodesRecoverAlternately() {
        World w = world();
        Node ahead = w.node("ahead", SKEW);
        Node behind = w.node("behind", SKEW.negated());
        List<String> gids = mixedLoad(w, ahead, behind);

        int steps = 0;
        while (!w.allFinal(gids) && steps < 100) {
            (steps % 2 == 0 ? ahead : behind).coordinator.recoverOnce();
            w.pass(STEP);
            steps++;
        }

        System.out.printf("ClockSkew two nodes alternately: %d transactions final after %d steps (%d s)%n",
                gids.size(), steps, STEP.multipliedBy(steps).toSeconds());
        assertThat(w.notFinal(gids)).as("not final after %d recovery steps", steps).isEmpty();
        assertThat(steps).as("steps: about the back-off of 3 errors (10+20+40 s) plus the timeout").isLessThan(60);
        assertNoSuccessRepeated(w, gids);
    }

    @Test
    void noTransactionStarvesWhenOnlyTheNodeBehindIsLeftItWaitsTheSkewAtMost() {
        World w = world();
        Node ahead = w.node("ahead", SKEW);
        Node behind = w.node("behind", SKEW.negated());
        List<String> gids = mixedLoad(w, ahead, behind);

        int steps = 0;
        while (!w.allFinal(gids) && steps < 400) {
            behind.coordinator.recoverOnce();
            w.pass(STEP);
            steps++;
        }

        System.out.printf("ClockSkew only the node behind: %d transactions final after %d steps (%d s)%n",
                gids.size(), steps, STEP.multipliedBy(steps).toSeconds());
        assertThat(w.notFinal(gids)).as("not final after %d recovery steps", steps).isEmpty();
        assertThat(STEP.multipliedBy(steps)).as("the skew between the nodes plus the back-off (20+40+80 s)")
                .isLessThan(SKEW.multipliedBy(2).plusMinutes(4));
        assertNoSuccessRepeated(w, gids);
    }

    @Test
    void aClockJumpingBackAnHourMidRetryKeepsIntervalsPositiveAndParksNothing() {
        World w = world();
        Node node = w.node("node", Duration.ZERO);
        w.busi.script("JumpInRound", "TransIn", BranchResult.ERROR, BranchResult.ERROR);
        w.busi.script("JumpScheduled", "TransIn", BranchResult.ERROR);
        node.coordinator.submit(transferSaga("JumpInRound").build());
        w.pass(STEP);
        node.coordinator.submit(transferSaga("JumpScheduled").build());
        Instant scheduledBefore = w.global("JumpScheduled").nextCronTime();
        w.busi.during("JumpInRound", "TransIn", 2, () -> node.clock.advance(Duration.ofHours(-1)));

        w.pass(RETRY.multipliedBy(2).minus(STEP)); // JumpInRound is due, JumpScheduled 5 s later
        node.coordinator.recoverOnce();

        GlobalTransaction g = w.global("JumpInRound");
        Instant now = node.clock.instant();
        assertThat(g.nextCronInterval()).as("doubled, positive").isEqualTo(RETRY.multipliedBy(4));
        assertThat(Duration.between(now, g.nextCronTime())).as("scheduled from the new time")
                .isPositive().isLessThanOrEqualTo(g.nextCronInterval());
        assertThat(w.global("JumpScheduled").nextCronTime()).as("scheduled on the old time: an hour ahead now")
                .isEqualTo(scheduledBefore).isAfter(now.plusSeconds(3500));

        int steps = 0;
        while (!w.allFinal(List.of("JumpInRound", "JumpScheduled")) && steps < 100) {
            w.pass(STEP);
            node.coordinator.recoverOnce();
            steps++;
        }
        System.out.printf("ClockSkew jump back 1 h mid-retry: both final after %d steps (%d s)%n", steps,
                STEP.multipliedBy(steps).toSeconds());
        assertThat(w.notFinal(List.of("JumpInRound", "JumpScheduled"))).as("not final after %d steps", steps)
                .isEmpty();
        assertThat(steps).as("steps: the doubled back-off (40 s), not the hour").isLessThanOrEqualTo(10);
        for (String gid : List.of("JumpInRound", "JumpScheduled")) {
            assertThat(w.global(gid).nextCronInterval()).as("%s interval", gid).isPositive();
        }
        assertNoSuccessRepeated(w, List.of("JumpInRound", "JumpScheduled"));
    }

    /**
     * Per node: a saga whose TransIn errs three times, and a prepared msg that the back-check submits; on a store
     * shared by both.
     */
    private static List<String> mixedLoad(World w, Node... nodes) {
        List<String> gids = new ArrayList<>();
        for (Node n : nodes) {
            String saga = "Saga-" + n.name;
            String msg = "Msg-" + n.name;
            w.busi.script(saga, "TransIn", BranchResult.ERROR, BranchResult.ERROR, BranchResult.ERROR);
            n.coordinator.submit(transferSaga(saga).build());
            n.coordinator.prepare(transferMsg(msg).options(TransOptions.builder().timeoutToFail(TIMEOUT).build())
                    .build());
            gids.addAll(List.of(saga, msg));
            w.pass(Duration.ofSeconds(1));
        }
        return gids;
    }

    /** Outside a lease race, no branch is called again once it answered SUCCESS. */
    private static void assertNoSuccessRepeated(World w, List<String> gids) {
        for (String gid : gids) {
            for (String route : List.of("TransOut", "TransIn")) {
                assertThat(w.busi.successes(gid, route)).as("%s %s successes", gid, route).isEqualTo(1);
            }
            assertThat(w.busi.calls(gid, "TransOutRevert")).as("%s compensated", gid).isEmpty();
        }
    }

    private World world() {
        World w = new World(newStore());
        worlds.add(w);
        return w;
    }

    /** One coordinator with its own clock. */
    private static final class Node {
        final String name;
        final MutableClock clock;
        final Coordinator coordinator;

        Node(String name, MutableClock clock, Coordinator coordinator) {
            this.name = name;
            this.clock = clock;
            this.coordinator = coordinator;
        }
    }

    /** A store, the nodes on it, the true time and a branch service that records calls in true time. */
    private static final class World implements AutoCloseable {
        /** One branch call: by which node, when in true time, what it answered. */
        record Call(String node, String gid, String route, Instant trueTime, BranchResult result) {
        }

        final TransactionStore store;
        final Busi busi = new Busi();
        private final List<Node> nodes = new ArrayList<>();
        private Instant trueNow = TRUE_START;

        World(TransactionStore store) {
            this.store = store;
        }

        Instant trueNow() {
            return trueNow;
        }

        Node node(String name, Duration offset) {
            MutableClock clock = new MutableClock(trueNow.plus(offset));
            BranchInvoker invoker = call -> busi.invoke(name, call, trueNow);
            Coordinator c = Coordinator.builder().store(store).invoker(invoker).clock(clock)
                    .executor(new DirectExecutorService()).retryInterval(RETRY).timeoutToFail(TIMEOUT)
                    .nodeId(name).build();
            Node n = new Node(name, clock, c);
            nodes.add(n);
            return n;
        }

        /** Time passes: the true time and every node's clock move forward by {@code d}. */
        void pass(Duration d) {
            trueNow = trueNow.plus(d);
            nodes.forEach(n -> n.clock.advance(d));
        }

        /** Runs {@code node}'s recovery every {@link #STEP} until {@code done}, at most {@code max}. */
        void recoverUntil(Node node, Predicate<World> done, Duration max) {
            Instant deadline = trueNow.plus(max);
            while (!done.test(this)) {
                assertThat(trueNow).as("condition not met within %s", max).isBefore(deadline);
                pass(STEP);
                node.coordinator.recoverOnce();
            }
        }

        GlobalTransaction global(String gid) {
            return store.findGlobal(gid).orElseThrow();
        }

        GlobalStatus status(String gid) {
            return global(gid).status();
        }

        boolean allFinal(List<String> gids) {
            return notFinal(gids).isEmpty();
        }

        List<String> notFinal(List<String> gids) {
            return gids.stream().filter(g -> !status(g).isFinal()).map(g -> g + " " + status(g).wireName())
                    .toList();
        }

        @Override
        public void close() {
            nodes.forEach(n -> n.coordinator.close());
            store.close();
        }

        /**
         * Answers SUCCESS unless answers were scripted for (gid, route); runs a hook during the n-th call of
         * (gid, route), before answering. Records every call. Used on one thread.
         */
        final class Busi {
            private final Map<String, Deque<BranchResult>> scripted = new HashMap<>();
            private final Map<String, BranchResult> always = new HashMap<>();
            private final Map<String, Runnable> hooks = new HashMap<>();
            private final Map<String, Integer> seen = new HashMap<>();
            private final List<Call> calls = new ArrayList<>();

            void script(String gid, String route, BranchResult... answers) {
                scripted.computeIfAbsent(gid + "/" + route, k -> new ArrayDeque<>()).addAll(List.of(answers));
            }

            void scriptAlways(String gid, String route, BranchResult answer) {
                always.put(gid + "/" + route, answer);
            }

            void during(String gid, String route, int nth, Runnable hook) {
                hooks.put(gid + "/" + route + "#" + nth, hook);
            }

            BranchOutcome invoke(String node, BranchCall call, Instant at) {
                String route = call.url().substring(BUSI.length() + 1);
                String key = call.gid() + "/" + route;
                int nth = seen.merge(key, 1, Integer::sum);
                Runnable hook = hooks.remove(key + "#" + nth);
                if (hook != null) {
                    hook.run();
                }
                Deque<BranchResult> q = scripted.get(key);
                BranchResult r = q != null && !q.isEmpty() ? q.poll() : always.getOrDefault(key, BranchResult.SUCCESS);
                calls.add(new Call(node, call.gid(), route, at, r));
                return r == BranchResult.SUCCESS ? BranchOutcome.success() : BranchOutcome.of(r, r.name());
            }

            List<Call> calls(String gid, String route) {
                return calls.stream().filter(c -> c.gid().equals(gid) && c.route().equals(route)).toList();
            }

            Call first(String gid, String route) {
                List<Call> c = calls(gid, route);
                assertThat(c).as("calls of %s %s", gid, route).isNotEmpty();
                return c.get(0);
            }

            List<String> callsBy(String node, String gid) {
                return calls.stream().filter(c -> c.node().equals(node) && c.gid().equals(gid)).map(Call::route)
                        .toList();
            }

            long successes(String gid, String route) {
                return calls(gid, route).stream().filter(c -> c.result() == BranchResult.SUCCESS).count();
            }
        }
    }
}
