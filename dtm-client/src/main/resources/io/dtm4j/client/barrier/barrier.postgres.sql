-- Sub-transaction barrier table for PostgreSQL, same layout as DTM's dtmcli.barrier.postgres.sql.
-- Run it as it is for the default table dtm_barrier.barrier; BranchBarrier.createTableIfAbsent renders it
-- for another name. The insert names the constraint uniq_barrier: keep that name (one barrier table per
-- schema, since constraint names are per schema).
create schema if not exists dtm_barrier;

create sequence if not exists dtm_barrier.barrier_seq;

create table if not exists dtm_barrier.barrier(
  id bigint NOT NULL DEFAULT NEXTVAL('dtm_barrier.barrier_seq'),
  trans_type varchar(45) default '',
  gid varchar(128) default '',
  branch_id varchar(128) default '',
  op varchar(45) default '',
  barrier_id varchar(45) default '',
  reason varchar(45) default '',
  create_time timestamp(0) with time zone DEFAULT NULL,
  update_time timestamp(0) with time zone DEFAULT NULL,
  PRIMARY KEY(id),
  CONSTRAINT uniq_barrier unique(gid, branch_id, op, barrier_id)
);
