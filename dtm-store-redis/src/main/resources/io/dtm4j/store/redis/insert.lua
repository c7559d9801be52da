-- insert: the intent write, DTM's MaySaveNewTrans plus dtm4j's list and finished indexes.
-- KEYS: 1 P_g_<gid>, 2 P_b_<gid>, 3 P_u, 4 P_s_<gid>, 5 P_all, 6 P_done, 7 P_seq
-- ARGV: 1 prefix, 2 TTL (ms), 3 gid, 4 global JSON, 5 status, 6 next_cron_time score ('' when finished),
--       7 finish/rollback time score ('' unless finished with one), 8.. branch JSONs in order
-- Returns {'OK'} or {'UNIQUE_CONFLICT'} when the gid exists.
if redis.call('EXISTS', KEYS[1]) == 1 then
  return {'UNIQUE_CONFLICT'}
end
local ttl = ARGV[2]
redis.call('SET', KEYS[1], ARGV[4], 'PX', ttl)
redis.call('SET', KEYS[4], ARGV[5], 'PX', ttl)
-- rows of an earlier transaction with this gid whose global expired first
redis.call('DEL', KEYS[2])
for k = 8, #ARGV do
  redis.call('RPUSH', KEYS[2], ARGV[k])
end
if #ARGV >= 8 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
if ARGV[6] ~= '' then
  redis.call('ZADD', KEYS[3], ARGV[6], ARGV[3])
else
  redis.call('ZREM', KEYS[3], ARGV[3])
end
if ARGV[7] ~= '' then
  redis.call('ZADD', KEYS[6], ARGV[7], ARGV[3])
else
  redis.call('ZREM', KEYS[6], ARGV[3])
end
redis.call('ZADD', KEYS[5], redis.call('INCR', KEYS[7]), ARGV[3])
return {'OK'}
