package io.dtm4j.client.xa;

import io.dtm4j.core.DtmException;
import io.dtm4j.core.TransRequest;
import io.dtm4j.core.TransType;
import org.junit.jupiter.api.Test;

import javax.sql.DataSource;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The XA scenarios on MariaDB, plus MySQL's session-bound prepared xids. */
class MariaDbXaIT extends XaScenarios {

    @Override
    XaTestDb.Kind kind() {
        return XaTestDb.Kind.MARIADB;
    }

    @Test
    void pooledSessionHoldingTheXidIsReported() throws Exception {
        Connection held = db.connect();
        DataSource keepsSession = (DataSource) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] {DataSource.class}, (p, m, a) -> {
                    if (!m.getName().equals("getConnection")) {
                        throw new UnsupportedOperationException(m.getName());
                    }
                    // a pool: close() returns the connection but keeps its session open
                    return Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[] {Connection.class},
                            (p2, m2, a2) -> {
                                if (m2.getName().equals("close")) {
                                    return null;
                                }
                                try {
                                    return m2.invoke(held, a2);
                                } catch (InvocationTargetException e) {
                                    throw e.getCause();
                                }
                            });
                });
        coordinator.prepare(TransRequest.builder(gid, TransType.XA).build());
        XaBranch pooled = XaBranch.builder().client(client).dataSource(keepsSession)
                .barrierTable(db.barrierTable()).build();
        pooled.handle(Map.of("gid", gid, "branch_id", "01", "op", "action", "phase2_url", busi.url() + "/TransInXa"),
                c -> XaTestDb.adjustBalance(c, accounts, 2, AMOUNT));

        XaBranch fresh = xaBranch();
        Map<String, String> commit = Map.of("gid", gid, "branch_id", "01", "op", "commit");
        assertThatThrownBy(() -> fresh.handle(commit, c -> { }))
                .isInstanceOf(DtmException.class).hasMessageContaining("XA RECOVER lists the xid");

        held.close(); // the session ends: the prepared xid is free for any session
        fresh.handle(commit, c -> { });
        assertThat(db.balance(accounts, 2)).isEqualTo(START_BALANCE + AMOUNT);
        assertThat(db.preparedXids(gid)).isEmpty();
    }
}
