package redisstore

import "github.com/redis/go-redis/v9"

// Key layout, for a user whose routing tag (session.RouteTag) is T:
//
//	<prefix>{T}:m        HASH  session ID -> "<createdMs>:<expiryMs>:<userID>"
//	<prefix>{T}:s:<sid>  HASH  the record: uid vh c ls aa ie ae ip ua cc su
//
// Both keys of a user hash to one slot (the {T} tag), so each script below
// declares every key it touches in KEYS and runs on Redis Cluster. The meta
// hash is the per-user index and the authority on liveness: a session is
// live only while its entry is there and its expiry is after now. Deleting
// the entry revokes the session at once; the record key is deleted in a
// follow-up command when the script could not name it (eviction, revoke all),
// and its TTL collects it otherwise. TTLs are relative to the caller's now
// plus a grace period, so they only ever collect garbage: validity is always
// decided from now. Expired index entries are pruned lazily, by Create and
// DeleteUser.

// luaHdel deletes fields from a hash in chunks: Lua cannot unpack more
// than about 8000 values into one call, and a user without a session limit
// can hold more sessions than that.
const luaHdel = `
local function hdel(key, fields)
  for i = 1, #fields, 500 do
    redis.call('HDEL', key, unpack(fields, i, math.min(i + 499, #fields)))
  end
end
`

// luaScan is shared by the scripts that walk a user's index: it drops
// expired entries and returns the live entries of uid (id, created) and the
// latest expiry in the index.
const luaScan = luaHdel + `
local function scan(meta, now, uid)
  local all = redis.call('HGETALL', meta)
  local mine, dead, maxexp = {}, {}, 0
  for i = 1, #all, 2 do
    local c, e, u = string.match(all[i+1], '^(%-?%d+):(%-?%d+):(.*)$')
    e = tonumber(e)
    if e == nil or e <= now then
      dead[#dead+1] = all[i]
    else
      if e > maxexp then maxexp = e end
      if u == uid then mine[#mine+1] = {all[i], tonumber(c)} end
    end
  end
  hdel(meta, dead)
  return mine, maxexp
end
`

// luaLive returns the index entry of sid split into (created, expiry, uid)
// when it is live at now, or nil.
const luaLive = `
local function live(meta, sid, now)
  local m = redis.call('HGET', meta, sid)
  if not m then return nil end
  local c, e, u = string.match(m, '^(%-?%d+):(%-?%d+):(.*)$')
  if e == nil or tonumber(e) <= now then return nil end
  return c, e, u
end
`

// createScript: KEYS rec, meta. ARGV now, sid, uid, metaValue, expiry, max,
// policy (1 evict, 2 reject), grace, then the record's field/value pairs.
// Returns {1, evicted...} or {0} when the limit refuses.
var createScript = redis.NewScript(luaScan + `
local now = tonumber(ARGV[1])
local grace = tonumber(ARGV[8])
local mine, maxexp = scan(KEYS[2], now, ARGV[3])
local max = tonumber(ARGV[6])
local evicted = {}
if max > 0 and #mine >= max then
  if ARGV[7] ~= '1' then return {0} end
  table.sort(mine, function(a, b)
    if a[2] ~= b[2] then return a[2] < b[2] end
    return a[1] < b[1]
  end)
  for i = 1, #mine - max + 1 do evicted[#evicted+1] = mine[i][1] end
  hdel(KEYS[2], evicted)
end
local eff = tonumber(ARGV[5])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 9))
redis.call('PEXPIRE', KEYS[1], eff - now + grace)
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
if eff > maxexp then maxexp = eff end
redis.call('PEXPIRE', KEYS[2], maxexp - now + grace)
local out = {1}
for i = 1, #evicted do out[#out+1] = evicted[i] end
return out
`)

// getScript: KEYS rec, meta. ARGV sid. Returns the record's HGETALL when
// the session has an index entry, else nil. One script rather than two plain
// reads: it reads the entry and the record at one instant, and as a script
// (EVALSHA is not a read-only command) it always runs on the master, so a
// client that sends reads to replicas (ReadOnly, RouteByLatency,
// RouteRandomly) cannot validate a session that a lagging replica still holds
// after the master revoked or evicted it. Expiry is checked by the caller.
var getScript = redis.NewScript(`
if not redis.call('HGET', KEYS[2], ARGV[1]) then return false end
local r = redis.call('HGETALL', KEYS[1])
if #r == 0 then return false end
return r
`)

// touchScript: KEYS rec, meta. ARGV sid, now, ls, ie, ip, ua, cc, su, grace.
// Returns 1, or 0 when the session is not live.
var touchScript = redis.NewScript(luaLive + `
local now = tonumber(ARGV[2])
local c, e, u = live(KEYS[2], ARGV[1], now)
if not c then return 0 end
local f = redis.call('HMGET', KEYS[1], 'ls', 'ae')
if not f[1] then return 0 end
if ARGV[8] == '1' then redis.call('HSET', KEYS[1], 'su', '1') end
if tonumber(ARGV[3]) < tonumber(f[1]) then return 1 end
local ie = ARGV[4]
if tonumber(ie) > tonumber(f[2]) then ie = f[2] end
redis.call('HSET', KEYS[1], 'ls', ARGV[3], 'ie', ie, 'ip', ARGV[5], 'ua', ARGV[6], 'cc', ARGV[7])
redis.call('HSET', KEYS[2], ARGV[1], c .. ':' .. ie .. ':' .. u)
local ttl = tonumber(ie) - now + tonumber(ARGV[9])
redis.call('PEXPIRE', KEYS[1], ttl)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`)

// rekeyScript: KEYS rec, meta. ARGV sid, now, oldHash, newHash, ls, ie, aa
// ("" keeps AuthenticatedAt), grace. Returns the updated record's HGETALL,
// or nil when the session is not live or its hash is not oldHash. The plain
// comparison of hashes is a compare-and-swap, not the authentication: the
// Manager has already compared the token's hash in constant time, and a
// SHA-256 digest's prefix tells nothing about the secret.
var rekeyScript = redis.NewScript(luaLive + `
local now = tonumber(ARGV[2])
local c, e, u = live(KEYS[2], ARGV[1], now)
if not c then return false end
local f = redis.call('HMGET', KEYS[1], 'vh', 'ls', 'ae')
if not f[1] or f[1] ~= ARGV[3] then return false end
local ie = ARGV[6]
if tonumber(ie) > tonumber(f[3]) then ie = f[3] end
redis.call('HSET', KEYS[1], 'vh', ARGV[4], 'ie', ie)
if tonumber(ARGV[5]) > tonumber(f[2]) then redis.call('HSET', KEYS[1], 'ls', ARGV[5]) end
if ARGV[7] ~= '' then redis.call('HSET', KEYS[1], 'aa', ARGV[7], 'su', '0') end
redis.call('HSET', KEYS[2], ARGV[1], c .. ':' .. ie .. ':' .. u)
local ttl = tonumber(ie) - now + tonumber(ARGV[8])
redis.call('PEXPIRE', KEYS[1], ttl)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return redis.call('HGETALL', KEYS[1])
`)

// deleteScript: KEYS rec, meta. ARGV sid, now. Removes the session whatever
// its state; returns the record's HGETALL if it was live, else nil.
var deleteScript = redis.NewScript(luaLive + `
local c = live(KEYS[2], ARGV[1], tonumber(ARGV[2]))
local r = redis.call('HGETALL', KEYS[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
if not c or #r == 0 then return false end
return r
`)

// deleteUserScript: KEYS meta. ARGV now, uid, keep. Removes uid's live
// entries except keep from the index and returns their IDs.
var deleteUserScript = redis.NewScript(luaScan + `
local mine = scan(KEYS[1], tonumber(ARGV[1]), ARGV[2])
local out = {}
for i = 1, #mine do
  if mine[i][1] ~= ARGV[3] then out[#out+1] = mine[i][1] end
end
hdel(KEYS[1], out)
return out
`)
