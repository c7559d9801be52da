-- reset_cron: make due now up to `limit` unfinished transactions whose next_cron_time is later than a
-- threshold (DTM's ResetCronTime, which also writes the globals here).
-- KEYS: 1 P_u
-- ARGV: 1 prefix, 2 threshold score (exclusive), 3 now score, 4 limit, 5 now (RFC 3339)
-- Returns {count, 1 when more may qualify else 0}.
local limit = tonumber(ARGV[4])
local count, more, seen = 0, 0, {}
while true do
  local dropped = 0
  for _, gid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[2], '+inf', 'LIMIT', 0, limit + 1)) do
    if not seen[gid] then
      seen[gid] = true
      if count == limit then
        more = 1
        break
      end
      local key = ARGV[1] .. '_g_' .. gid
      local text = redis.call('GET', key)
      if not text then
        redis.call('ZREM', KEYS[1], gid)
        dropped = dropped + 1
      else
        local g = cjson.decode(text)
        g['next_cron_time'] = ARGV[5]
        g['update_time'] = ARGV[5]
        redis.call('SET', key, cjson.encode(g), 'KEEPTTL')
        redis.call('ZADD', KEYS[1], ARGV[3], gid)
        count = count + 1
      end
    end
  end
  if more == 1 or dropped == 0 then
    break
  end
end
return {count, more}
