-- purge: delete up to `limit` finished transactions whose finish or rollback time is before a cutoff, with
-- their branches and index entries. Entries whose keys already expired are dropped without counting.
-- KEYS: 1 P_done, 2 P_all
-- ARGV: 1 prefix, 2 cutoff score (exclusive), 3 limit
-- Returns {count}.
local limit = tonumber(ARGV[3])
local count = 0
-- bounds the work of one call when many entries have expired
local budget = limit + 1000
while count < limit and budget > 0 do
  local batch = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[2], 'LIMIT', 0,
    math.min(limit - count, budget))
  if #batch == 0 then
    break
  end
  for _, gid in ipairs(batch) do
    budget = budget - 1
    local g, b, s = ARGV[1] .. '_g_' .. gid, ARGV[1] .. '_b_' .. gid, ARGV[1] .. '_s_' .. gid
    local status = redis.call('GET', s)
    redis.call('ZREM', KEYS[1], gid)
    if redis.call('EXISTS', g) == 0 then
      redis.call('ZREM', KEYS[2], gid)
    elseif status == 'succeed' or status == 'failed' then
      redis.call('DEL', g, b, s)
      redis.call('ZREM', KEYS[2], gid)
      count = count + 1
    end
  end
end
return {count}
