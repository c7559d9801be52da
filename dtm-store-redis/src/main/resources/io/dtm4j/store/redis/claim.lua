-- claim: lease up to `limit` due transactions, oldest next_cron_time first (DTM's LockOneGlobalTrans, batched).
-- Each gets owner, next_cron_time = now + lease and update_time = now; its P_u score moves to now + lease.
-- Index entries whose data expired (or that are finished) are dropped on the way.
-- KEYS: 1 P_u, 2 P_all
-- ARGV: 1 prefix, 2 now score, 3 lease-end score, 4 limit, 5 owner, 6 now (RFC 3339), 7 lease end (RFC 3339)
-- Returns the claimed globals' JSON.
local limit = tonumber(ARGV[4])
local out, seen = {}, {}
while #out < limit do
  local dropped = 0
  for _, gid in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, limit)) do
    if #out >= limit then
      break
    end
    if not seen[gid] then
      seen[gid] = true
      local key = ARGV[1] .. '_g_' .. gid
      local text = redis.call('GET', key)
      local status = redis.call('GET', ARGV[1] .. '_s_' .. gid)
      if not text or not status or status == 'succeed' or status == 'failed' then
        redis.call('ZREM', KEYS[1], gid)
        if not text then
          redis.call('ZREM', KEYS[2], gid)
        end
        dropped = dropped + 1
      else
        local g = cjson.decode(text)
        g['owner'] = ARGV[5] ~= '' and ARGV[5] or nil
        g['update_time'] = ARGV[6]
        g['next_cron_time'] = ARGV[7]
        local encoded = cjson.encode(g)
        redis.call('SET', key, encoded, 'KEEPTTL')
        redis.call('ZADD', KEYS[1], ARGV[3], gid)
        out[#out + 1] = encoded
      end
    end
  end
  -- only dropped entries can make room for more due ones
  if dropped == 0 then
    break
  end
end
return out
