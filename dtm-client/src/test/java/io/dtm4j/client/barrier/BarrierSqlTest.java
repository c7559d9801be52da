package io.dtm4j.client.barrier;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shipped DDL and its renaming. */
class BarrierSqlTest {

    @Test
    void mysqlDdlForTheDefaultTableIsTheResource() {
        List<String> ddl = BarrierSql.ddl(BarrierDialect.MYSQL, "dtm_barrier.barrier");

        assertThat(ddl).hasSize(2);
        assertThat(ddl.get(0)).startsWith("create database if not exists dtm_barrier");
        assertThat(ddl.get(1)).startsWith("create table if not exists dtm_barrier.barrier(")
                .contains("id bigint(22) PRIMARY KEY AUTO_INCREMENT", "trans_type varchar(45) default ''",
                        "gid varchar(128) default ''", "branch_id varchar(128) default ''",
                        "op varchar(45) default ''", "barrier_id varchar(45) default ''",
                        "reason varchar(45) default ''", "create_time datetime DEFAULT now()",
                        "update_time datetime DEFAULT now()", "key(create_time)", "key(update_time)",
                        "UNIQUE key(gid, branch_id, op, barrier_id)", "ENGINE = InnoDB", "utf8mb4");
    }

    @Test
    void postgresDdlKeepsTheConstraintNameAndRenamesSchemaAndSequence() {
        List<String> ddl = BarrierSql.ddl(BarrierDialect.POSTGRES, "busi.my_barrier");

        assertThat(ddl).containsExactly(
                "create schema if not exists busi",
                "create sequence if not exists busi.my_barrier_seq",
                ddl.get(2));
        assertThat(ddl.get(2)).startsWith("create table if not exists busi.my_barrier(")
                .contains("DEFAULT NEXTVAL('busi.my_barrier_seq')",
                        "create_time timestamp(0) with time zone DEFAULT NULL",
                        "PRIMARY KEY(id)", "CONSTRAINT uniq_barrier unique(gid, branch_id, op, barrier_id)")
                .doesNotContain("dtm_barrier");
    }

    @Test
    void aTableWithoutSchemaDropsTheSchemaStatement() {
        List<String> ddl = BarrierSql.ddl(BarrierDialect.MYSQL, "barrier");

        assertThat(ddl).hasSize(1);
        assertThat(ddl.get(0)).startsWith("create table if not exists barrier(");
    }

    @Test
    void anUnsafeNameIsRefused() {
        assertThatThrownBy(() -> BarrierSql.ddl(BarrierDialect.POSTGRES, "x;drop"))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
