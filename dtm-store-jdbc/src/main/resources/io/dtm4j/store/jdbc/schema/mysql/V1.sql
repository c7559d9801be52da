-- dtm4j schema version 1: DTM's server tables (DTM sqls/dtmsvr.storage.mysql.sql) in the current database,
-- with two changes: time columns keep milliseconds, datetime(3) holding UTC (DTM: datetime in the server's
-- local time), and bin_data is MEDIUMBLOB (DTM: BLOB, at most 65535 bytes per request body).
CREATE TABLE IF NOT EXISTS trans_global (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `gid` varchar(128) NOT NULL COMMENT 'global transaction id',
  `trans_type` varchar(45) NOT NULL COMMENT 'transaction type: saga | xa | tcc | msg | workflow',
  `status` varchar(12) NOT NULL COMMENT 'transaction status: prepared | submitted | aborting | succeed | failed',
  `query_prepared` varchar(1024) NOT NULL COMMENT 'url to check for msg|workflow',
  `protocol` varchar(45) NOT NULL COMMENT 'protocol: http | grpc | json-rpc',
  `create_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `update_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `finish_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `rollback_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `options` varchar(1024) DEFAULT '' COMMENT 'options of the transaction, DTM JSON',
  `custom_data` varchar(1024) DEFAULT '' COMMENT 'custom data of the transaction',
  `next_cron_interval` int DEFAULT NULL COMMENT 'current retry interval, seconds',
  `next_cron_time` datetime(3) DEFAULT NULL COMMENT 'UTC; when recovery next picks it up',
  `owner` varchar(128) NOT NULL DEFAULT '' COMMENT 'lease token of the node that last claimed it',
  `ext_data` text COMMENT 'extra data',
  `result` varchar(1024) DEFAULT '' COMMENT 'workflow result',
  `rollback_reason` varchar(1024) DEFAULT '' COMMENT 'why it failed or was aborted',
  PRIMARY KEY (`id`),
  UNIQUE KEY `gid` (`gid`),
  KEY `owner` (`owner`),
  KEY `status_next_cron_time` (`status`, `next_cron_time`) COMMENT 'recovery claims use this index'
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
CREATE TABLE IF NOT EXISTS trans_branch_op (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `gid` varchar(128) NOT NULL COMMENT 'global transaction id',
  `url` varchar(1024) NOT NULL COMMENT 'the url of this op',
  `data` text COMMENT 'request body, deprecated',
  `bin_data` mediumblob COMMENT 'request body',
  `branch_id` varchar(128) NOT NULL COMMENT 'transaction branch id',
  `op` varchar(45) NOT NULL COMMENT 'action | compensate | confirm | cancel | commit | rollback',
  `status` varchar(45) NOT NULL COMMENT 'prepared | succeed | failed',
  `finish_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `rollback_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `create_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `update_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  PRIMARY KEY (`id`),
  UNIQUE KEY `gid_uniq` (`gid`, `branch_id`, `op`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
CREATE TABLE IF NOT EXISTS kv (
  `id` bigint NOT NULL AUTO_INCREMENT,
  `cat` varchar(45) NOT NULL COMMENT 'the category of this data',
  `k` varchar(128) NOT NULL,
  `v` text,
  `version` bigint DEFAULT 1 COMMENT 'version of the value',
  `create_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  `update_time` datetime(3) DEFAULT NULL COMMENT 'UTC',
  PRIMARY KEY (`id`),
  UNIQUE KEY `uniq_k` (`cat`, `k`)
) ENGINE = InnoDB DEFAULT CHARSET = utf8mb4;
