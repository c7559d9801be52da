-- retry_now: next_cron_time = update_time = now, whatever the status; an unfinished transaction is also
-- re-indexed in P_u (DTM's ResetTransGlobalCronTime does not re-index: its G10, not copied).
-- KEYS: 1 P_g_<gid>, 2 P_u, 3 P_s_<gid>
-- ARGV: 1 prefix, 2 gid, 3 now score, 4 now (RFC 3339)
-- Returns {1}, or {0} when there is no such transaction.
local text = redis.call('GET', KEYS[1])
if not text then
  return {0}
end
local g = cjson.decode(text)
g['next_cron_time'] = ARGV[4]
g['update_time'] = ARGV[4]
redis.call('SET', KEYS[1], cjson.encode(g), 'KEEPTTL')
local status = redis.call('GET', KEYS[3])
if status and status ~= 'succeed' and status ~= 'failed' then
  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[2])
end
return {1}
