package redisstore

import "github.com/redis/go-redis/v9"

// revokeScript merges one entry and appends it to the feed, atomically.
//
// KEYS: entries, expiry, feed, seq, epoch
// ARGV: field, exp, watermark, now (Unix seconds), epoch candidate,
// retention (ms), how many expired entries to collect.
// Returns {seq, epoch, merged value}.
var revokeScript = redis.NewScript(`
local epoch = redis.call('GET', KEYS[5])
if not epoch then
  epoch = ARGV[5]
  redis.call('SET', KEYS[5], epoch)
end
local field = ARGV[1]
local exp = tonumber(ARGV[2])
local wm = tonumber(ARGV[3])
local now = tonumber(ARGV[4])
local old = redis.call('HGET', KEYS[1], field)
if old then
  local sep = string.find(old, ':', 1, true)
  local oexp = tonumber(string.sub(old, 1, sep - 1))
  local owm = tonumber(string.sub(old, sep + 1))
  if oexp > now then
    if oexp > exp then exp = oexp end
    if owm > wm then wm = owm end
  end
end
local val = string.format('%d:%d', exp, wm)
redis.call('HSET', KEYS[1], field, val)
redis.call('ZADD', KEYS[2], exp, field)
local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now, 'LIMIT', 0, tonumber(ARGV[7]))
if #dead > 0 then
  redis.call('HDEL', KEYS[1], unpack(dead))
  redis.call('ZREM', KEYS[2], unpack(dead))
end
local seq = redis.call('INCR', KEYS[4])
local t = redis.call('TIME')
local minid = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) - tonumber(ARGV[6])
if minid < 0 then minid = 0 end
redis.call('XADD', KEYS[3], 'MINID', '~', string.format('%d', minid), '*',
  's', seq, 'e', epoch, 'f', field, 'v', val)
return {seq, epoch, val}
`)

// positionScript returns the feed position a snapshot starts from, creating
// the epoch if the data is new.
//
// KEYS: seq, epoch, feed
// ARGV: epoch candidate
// Returns {epoch, seq, last stream ID or "0-0"}.
var positionScript = redis.NewScript(`
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end
local seq = redis.call('GET', KEYS[1]) or '0'
local last = redis.call('XREVRANGE', KEYS[3], '+', '-', 'COUNT', 1)
local pos = '0-0'
if #last > 0 then pos = last[1][1] end
return {epoch, seq, pos}
`)

// checkScript is the heartbeat: the current epoch ("" if none) and seq, and
// any feed entries after a position (which a blocking read can miss if the
// stream's IDs went backwards).
//
// KEYS: epoch, seq, feed
// ARGV: position, count
// Returns {epoch, seq, entries}.
var checkScript = redis.NewScript(`
local epoch = redis.call('GET', KEYS[1]) or ''
local seq = redis.call('GET', KEYS[2]) or '0'
local rest = redis.call('XRANGE', KEYS[3], '(' .. ARGV[1], '+', 'COUNT', tonumber(ARGV[2]))
return {epoch, seq, rest}
`)
