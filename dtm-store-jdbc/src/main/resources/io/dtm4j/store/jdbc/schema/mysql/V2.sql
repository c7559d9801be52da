-- dtm4j schema version 2: identifiers compare byte for byte, so gids and branch ids are case-sensitive as on
-- PostgreSQL, SQLite and Redis. DTM's schema (and version 1) leave these columns in utf8mb4's default collation,
-- which ignores case: "prepare casex" then found "CaseX". Type, length, nullability and keys stay as they are;
-- MODIFY rebuilds the unique keys gid, gid_uniq and uniq_k in the new collation. A value unique under the old
-- collation is unique under utf8mb4_bin (but for trailing spaces under MySQL 8's NO PAD default: see
-- docs/operations.md), so no row can fail the rebuild. kv.cat and trans_branch_op.op hold
-- lower-case names written by the server, trans_global.owner a token with a random suffix: left as they are.
-- Locks (docs/operations.md section 9): MariaDB 10.6+ changes the collation without copying the table
-- (ALGORITHM=NOCOPY: it rebuilds the three indexes) while reads and writes go on (LOCK=NONE); MySQL 8 copies each
-- table (ALGORITHM=COPY): reads go on, writes wait until the copy is done. Running it again changes nothing.
ALTER TABLE trans_global
  MODIFY `gid` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'global transaction id';
ALTER TABLE trans_branch_op
  MODIFY `gid` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'global transaction id',
  MODIFY `branch_id` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL COMMENT 'transaction branch id';
ALTER TABLE kv
  MODIFY `k` varchar(128) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
