/**
 * The sub-transaction barrier: makes branch handlers safe against repeated requests, null compensation and
 * hanging, with one insert per op into a barrier table in the handler's own local transaction
 * ({@link io.dtm4j.client.barrier.BranchBarrier}, MySQL/MariaDB and PostgreSQL) or one atomic script for
 * balances kept in Redis ({@link io.dtm4j.client.barrier.RedisBarrier}, needs Lettuce). The table DDL ships as
 * {@code barrier.mysql.sql} and {@code barrier.postgres.sql} in this package's resources.
 */
package io.dtm4j.client.barrier;
