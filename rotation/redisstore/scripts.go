package redisstore

// The scripts take every key in KEYS, one key each, and "now" (Unix ms)
// from the caller. Numbers are passed to Redis commands as Lua numbers,
// which Redis formats exactly (%.17g) for integers below 2^53; tostring
// would not.
//
// Hash fields: st (a: active, r: revoked), sub, sid, cl (claims), gen (head
// generation), cur and prev (SHA-256 of the head's and the previous head's
// secret, 32 raw bytes), ct (created), rt (rotated), ie (idle expiry), ae
// (absolute expiry), ra (revoked at), rr (revoke reason), tomb (present on
// a tombstone). Times are Unix milliseconds.

// createScript: ARGV sub, sid, claims, gen, cur, ct, rt, ie, ae, ttl_ms.
const createScript = `
local st = redis.call('HGET', KEYS[1], 'st')
if st then
  if st == 'r' then return 'revoked' end
  return 'exists'
end
redis.call('HSET', KEYS[1], 'st', 'a', 'sub', ARGV[1], 'sid', ARGV[2], 'cl', ARGV[3],
  'gen', ARGV[4], 'cur', ARGV[5], 'prev', '', 'ct', ARGV[6], 'rt', ARGV[7], 'ie', ARGV[8], 'ae', ARGV[9])
redis.call('PEXPIRE', KEYS[1], ARGV[10])
return 'ok'
`

// The exchange and revoke scripts read every field at once with HMGET, in
// the order of fieldOrder, and reply {outcome, fields} with the fields as
// they are after the step: cheaper for Redis than a second read (HGETALL).

// exchangeScript: ARGV gen, presented, next, now, grace_ms, idle_ms,
// retention_ms. The order of the checks is the rotation.Store contract's.
const exchangeScript = `
local k = KEYS[1]
local f = redis.call('HMGET', k, 'st', 'gen', 'cur', 'prev', 'rt', 'ie', 'ae', 'sub', 'sid', 'cl', 'ct', 'ra', 'rr', 'tomb')
if not f[1] then return {'notfound'} end
if f[1] == 'r' then return {'revoked', f} end
local now = tonumber(ARGV[4])
local ae = tonumber(f[7])
if now >= ae or now >= tonumber(f[6]) then return {'expired', f} end
local head = tonumber(f[2])
local gen = tonumber(ARGV[1])
if gen == head then
  if ARGV[2] ~= f[3] then return {'mismatch', f} end
  local ie = now + tonumber(ARGV[6])
  if ie > ae then ie = ae end
  redis.call('HSET', k, 'gen', head + 1, 'prev', f[3], 'cur', ARGV[3], 'rt', now, 'ie', ie)
  redis.call('PEXPIRE', k, ie - now + tonumber(ARGV[7]))
  f[2] = head + 1; f[4] = f[3]; f[3] = ARGV[3]; f[5] = now; f[6] = ie
  return {'rotated', f}
end
if gen == head - 1 then
  if ARGV[2] ~= f[4] then return {'mismatch', f} end
  local grace = tonumber(ARGV[5])
  if grace > 0 and now - tonumber(f[5]) < grace then
    if ARGV[3] ~= f[3] then return {'mismatch', f} end
    return {'grace', f}
  end
elseif gen > head then
  return {'mismatch', f}
end
redis.call('HSET', k, 'st', 'r', 'ra', now, 'rr', 'reuse')
f[1] = 'r'; f[12] = now; f[13] = 'reuse'
return {'reused', f}
`

// revokeScript: ARGV now, reason, tombstone_ttl_ms.
const revokeScript = `
local k = KEYS[1]
local f = redis.call('HMGET', k, 'st', 'gen', 'cur', 'prev', 'rt', 'ie', 'ae', 'sub', 'sid', 'cl', 'ct', 'ra', 'rr', 'tomb')
if not f[1] then
  redis.call('HSET', k, 'st', 'r', 'tomb', '1', 'ra', ARGV[1], 'rr', ARGV[2])
  redis.call('PEXPIRE', k, ARGV[3])
  return {'tombstone'}
end
if f[14] then return {'tombstone'} end
if f[1] == 'r' then return {'already', f} end
redis.call('HSET', k, 'st', 'r', 'ra', ARGV[1], 'rr', ARGV[2])
f[1] = 'r'; f[12] = ARGV[1]; f[13] = ARGV[2]
return {'done', f}
`

// addSubjectScript: ARGV now, expiry, family id, ttl_ms.
const addSubjectScript = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[3])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[4]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[4])
end
return 1
`
