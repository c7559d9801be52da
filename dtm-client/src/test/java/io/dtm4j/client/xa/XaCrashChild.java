package io.dtm4j.client.xa;

import io.dtm4j.client.DtmClient;
import io.dtm4j.client.OkHttpBranchInvoker;
import io.dtm4j.core.Coordinator;
import io.dtm4j.store.jdbc.JdbcTransactionStore;

import java.nio.file.Path;
import java.util.Map;

/**
 * The process {@link XaCrashIT} kills: an embedded coordinator on a SQLite store, the XA busi service and an
 * XA transfer, all in one JVM. It reports its progress on stdout as {@code XA-CHILD <event>} lines and then
 * waits to be killed:
 * <ul>
 *   <li>{@code BEFORE_SUBMIT}: both branches prepared, {@code prepared}, then the body never returns (no
 *       submit);</li>
 *   <li>{@code DURING_COMMIT}: the body returns, submit is durable, the coordinator commits branch 01, and the
 *       commit of branch 02 is held: {@code phase2}.</li>
 * </ul>
 * Arguments: kind (MARIADB|POSTGRES), schema, accounts table, SQLite directory, gid, mode.
 */
public final class XaCrashChild {

    private XaCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        XaTestDb db = XaTestDb.of(XaTestDb.Kind.valueOf(args[0]), args[1]);
        String accounts = args[2];
        JdbcTransactionStore store = JdbcTransactionStore.sqlite(Path.of(args[3]));
        String gid = args[4];
        boolean beforeSubmit = args[5].equals("BEFORE_SUBMIT");

        OkHttpBranchInvoker invoker = OkHttpBranchInvoker.builder().build();
        Coordinator coordinator = Coordinator.builder().store(store).invoker(invoker).build();
        DtmClient client = DtmClient.builder().coordinator(coordinator).branchInvoker(invoker).build();
        XaBranch xa = XaBranch.builder().client(client).dataSource(db.dataSource()).barrierTable(db.barrierTable())
                .build();
        XaBusi busi = XaBusi.start(xa, accounts, 0);
        busi.hook((endpoint, query) -> holdSecondCommit(query));
        report("busi " + busi.port());

        String req = "{\"amount\":" + XaScenarios.AMOUNT + "}";
        client.xa(gid, x -> {
            x.callBranch(req, busi.url() + "/TransOutXa");
            x.callBranch(req, busi.url() + "/TransInXa");
            if (beforeSubmit) {
                report("prepared");
                Thread.sleep(Long.MAX_VALUE);
            }
            return null;
        });
        report("submitted");
        Thread.sleep(Long.MAX_VALUE);
    }

    private static void holdSecondCommit(Map<String, String> query) throws InterruptedException {
        if ("commit".equals(query.get("op")) && "02".equals(query.get("branch_id"))) {
            report("phase2");
            Thread.sleep(Long.MAX_VALUE);
        }
    }

    private static synchronized void report(String event) {
        System.out.println("XA-CHILD " + event);
        System.out.flush();
    }
}
