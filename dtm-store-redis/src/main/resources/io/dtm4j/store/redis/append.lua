-- append: new branch rows of a transaction in an expected status (DTM's LockGlobalSaveBranches with
-- start -1, but checking every new row for a duplicate, not only the first).
-- KEYS: 1 P_g_<gid>, 2 P_b_<gid>, 3 P_s_<gid>
-- ARGV: 1 prefix, 2 expected status, 3 expected trans_type, 4.. (branch_id, op, branch JSON) triples
-- Returns {'OK'}, {'NOT_FOUND'} (missing, another status or another type) or {'DUPLICATE', branch_id, op};
-- nothing is written unless it returns OK.
if redis.call('GET', KEYS[3]) ~= ARGV[2] then
  return {'NOT_FOUND'}
end
local global = redis.call('GET', KEYS[1])
if not global or cjson.decode(global)['trans_type'] ~= ARGV[3] then
  return {'NOT_FOUND'}
end
local seen = {}
for _, row in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  local r = cjson.decode(row)
  seen[tostring(r['op']) .. ' ' .. tostring(r['branch_id'])] = true
end
for k = 4, #ARGV, 3 do
  local key = ARGV[k + 1] .. ' ' .. ARGV[k]
  if seen[key] then
    return {'DUPLICATE', ARGV[k], ARGV[k + 1]}
  end
  seen[key] = true
end
for k = 4, #ARGV, 3 do
  redis.call('RPUSH', KEYS[2], ARGV[k + 2])
end
-- the rows live as long as the global
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then
  redis.call('PEXPIRE', KEYS[2], ttl)
end
return {'OK'}
