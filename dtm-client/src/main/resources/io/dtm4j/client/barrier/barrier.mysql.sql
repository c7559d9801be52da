-- Sub-transaction barrier table for MySQL / MariaDB, same layout as DTM's dtmcli.barrier.mysql.sql.
-- Run it as it is for the default table dtm_barrier.barrier; BranchBarrier.createTableIfAbsent renders it
-- for another name. The unique key is what the barrier relies on: keep it.
create database if not exists dtm_barrier
/*!40100 DEFAULT CHARACTER SET utf8mb4 */;

create table if not exists dtm_barrier.barrier(
  id bigint(22) PRIMARY KEY AUTO_INCREMENT,
  trans_type varchar(45) default '',
  gid varchar(128) default '',
  branch_id varchar(128) default '',
  op varchar(45) default '',
  barrier_id varchar(45) default '',
  reason varchar(45) default '' comment 'op of the call that inserted the row',
  create_time datetime DEFAULT now(),
  update_time datetime DEFAULT now(),
  key(create_time),
  key(update_time),
  UNIQUE key(gid, branch_id, op, barrier_id)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
