-- update: compare-and-set of the status, with global fields and branch statuses folded in (DTM's
-- ChangeGlobalStatus and TouchCronTime, and LockGlobalSaveBranches for existing rows, in one script).
-- KEYS: 1 P_g_<gid>, 2 P_b_<gid>, 3 P_u, 4 P_s_<gid>, 5 P_done, 6 P_all
-- ARGV: 1 prefix, 2 TTL while running (ms), 3 TTL once finished (ms), 4 gid, 5 expected status,
--       6 new status ('' = keep), 7 JSON object of global fields to set ('' or 0 removes the field),
--       8 next_cron_time score ('' = keep), 9 finish/rollback score ('' unless moving to a final status),
--       10 now (RFC 3339), 11 score before which finished index entries may be dropped,
--       12 expected owner as '=' .. owner ('' = any owner), 13.. (branch_id, op, status) triples
-- Returns {'OK'}, {'NOT_FOUND'} (missing, in another status or claimed by another owner) or
-- {'NO_BRANCH', branch_id, op}; nothing is changed unless it returns OK.
if redis.call('GET', KEYS[4]) ~= ARGV[5] then
  return {'NOT_FOUND'}
end
local text = redis.call('GET', KEYS[1])
if not text then
  return {'NOT_FOUND'}
end
local g = cjson.decode(text)
if ARGV[12] ~= '' and ('=' .. tostring(g['owner'] or '')) ~= ARGV[12] then
  return {'NOT_FOUND'}
end
local rows, at = {}, {}
if #ARGV >= 13 then
  local index = {}
  for i, row in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    local r = cjson.decode(row)
    rows[i] = r
    index[tostring(r['op']) .. ' ' .. tostring(r['branch_id'])] = i
  end
  for k = 13, #ARGV, 3 do
    local i = index[ARGV[k + 1] .. ' ' .. ARGV[k]]
    if not i then
      return {'NO_BRANCH', ARGV[k], ARGV[k + 1]}
    end
    at[#at + 1] = i
  end
end
for field, value in pairs(cjson.decode(ARGV[7])) do
  if value == '' or value == 0 then
    g[field] = nil
  else
    g[field] = value
  end
end
local status = ARGV[6] ~= '' and ARGV[6] or ARGV[5]
local ttl = (status == 'succeed' or status == 'failed') and ARGV[3] or ARGV[2]
redis.call('SET', KEYS[1], cjson.encode(g), 'PX', ttl)
redis.call('SET', KEYS[4], status, 'PX', ttl)
for n, i in ipairs(at) do
  local k = 13 + (n - 1) * 3
  local r = rows[i]
  r['status'] = ARGV[k + 2]
  r['update_time'] = ARGV[10]
  r['finish_time'] = ARGV[10]
  redis.call('LSET', KEYS[2], i - 1, cjson.encode(r))
end
redis.call('PEXPIRE', KEYS[2], ttl)
if ARGV[9] ~= '' then
  redis.call('ZREM', KEYS[3], ARGV[4])
  redis.call('ZADD', KEYS[5], ARGV[9], ARGV[4])
  -- index entries of finished transactions whose keys have expired: drop a few per finishing write
  for _, old in ipairs(redis.call('ZRANGEBYSCORE', KEYS[5], '-inf', '(' .. ARGV[11], 'LIMIT', 0, 2)) do
    if redis.call('EXISTS', ARGV[1] .. '_g_' .. old) == 0 then
      redis.call('ZREM', KEYS[5], old)
      redis.call('ZREM', KEYS[6], old)
    end
  end
elseif ARGV[8] ~= '' and status ~= 'succeed' and status ~= 'failed' then
  redis.call('ZADD', KEYS[3], ARGV[8], ARGV[4])
end
return {'OK'}
