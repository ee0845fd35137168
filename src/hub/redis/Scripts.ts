/**
 * The Redis backplane's transitions, each one Lua script, so that the shared
 * state (nicks, members) and a room's order (its next number, its log)
 * change together or not at all: Redis runs one script at a time.
 *
 * Keys, all under the cluster's prefix `P` (`chat:`):
 * - `epoch`: a random value set when the data was created; a node that finds
 *   another (or none) knows Redis restarted empty.
 * - `nodes` (zset node → last heartbeat, Redis time), `nodeseq`, `since`
 *   (hash node → when its current run of heartbeats began), `nc:NODE` (set:
 *   the node's clients).
 * - `nicks` (hash lower-cased nick → client), `guestfloor`, `c:ID` (hash:
 *   nick, node, rooms as space-separated keys in the order entered, and
 *   `user`, `realname` if the client said them: IRC's `USER`; `away`, its
 *   away message while it is away; `oper` = 1 for an IRC operator; `invisible` = 1
 *   for mode `i`).
 * - `rooms` (set of keys with members), `r:KEY` (hash: name, topic, modes), `rm:KEY` (set
 *   of members), `ro:KEY` (set: the members who are its operators, IRC's channel
 *   creator), `seq:KEY` (the room's last number; kept when the room
 *   empties, so a number never comes back), `log:KEY` (zset seq → event,
 *   trimmed to `LOGMAX`), `h:KEY` (list of the last `HIST` spoken events).
 * - `op:ID`: a transition's answer for 30 s, so a command the Redis client
 *   re-sends after a reconnect returns the same answer instead of acting twice.
 *
 * Events are built here as the JSON of their Schema encoding (`Event.ts`),
 * by hand because Redis' cjson writes an empty array as `{}`. Ids arrive as
 * decimal strings and are written as they came, never through a Lua number.
 *
 * Every mutating script starts with the same checks (`prelude`): the epoch,
 * a repeat of an operation, its deadline (a script that waited past it in a
 * paused Redis does nothing: its sender was told the line was not
 * delivered), and fencing (the calling node is alive; the client is its).
 */

import { maxWhoMatches } from "../../domain/Mask.js"

/** Byte order (as JavaScript sorts nicks and rooms), and the same ignoring case: shared by the scripts that sort. */
const sorting = `
local function lessBytes(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end
local function byLower(a, b) return lessBytes(string.lower(a), string.lower(b)) end
`

const prelude = `
local P = ARGV[1]
local EPOCH = ARGV[2]
local NODE = ARGV[3]
local OP = ARGV[4]
local DEADLINE = tonumber(ARGV[5])
local HIST = tonumber(ARGV[6])
local LOGMAX = tonumber(ARGV[7])
local NOW
do
  local t = redis.call('TIME')
  NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function str(s) return cjson.encode(s) end
-- A field of the command that its answer carries back as it came (how to show it: \`format\`, \`batch\`,
-- \`filter\`), as \`,"field":value\`; absent stays absent. Its values are strings, numbers and booleans, never arrays.
local function echo(cmd, field)
  if cmd == nil or cmd[field] == nil then return '' end
  return ',"' .. field .. '":' .. cjson.encode(cmd[field])
end
local events = {}
local pub = {}
local pending = {}
local CALLER = nil
-- The caller's nick once its replies are applied: replies name it (IRC).
local CALLERNICK = nil

local function flush(close)
  if #pending > 0 or close then
    local ev = '{"_tag":"Replied","client":' .. CALLER .. ',"replies":[' .. table.concat(pending, ',') .. ']'
    if CALLERNICK then ev = ev .. ',"nick":' .. str(CALLERNICK) end
    if close then ev = ev .. ',"close":' .. close end
    events[#events + 1] = ev .. '}'
    pending = {}
  end
end
local function reply(json) pending[#pending + 1] = json end
local function emit(ev, published)
  flush(nil)
  events[#events + 1] = ev
  if published then pub[#pub + 1] = ev end
end

${sorting}
local function getClient(id)
  local v = redis.call('HMGET', P .. 'c:' .. id, 'nick', 'node', 'rooms')
  if not v[1] then return nil end
  local rooms = {}
  for k in string.gmatch(v[3] or '', '%S+') do rooms[#rooms + 1] = k end
  return { id = id, nick = v[1], node = v[2], rooms = rooms }
end
-- What the client said of itself (\`UserInfo\` as JSON), or nil.
local function infoOf(id)
  local v = redis.call('HMGET', P .. 'c:' .. id, 'user', 'realname')
  if not v[1] then return nil end
  return '{"user":' .. str(v[1]) .. ',"realname":' .. str(v[2] or '') .. '}'
end
-- Clients connected and rooms with someone in them.
local function users()
  return '{"clients":' .. redis.call('HLEN', P .. 'nicks') .. ',"rooms":' .. redis.call('SCARD', P .. 'rooms') .. '}'
end
local function saveRooms(c) redis.call('HSET', P .. 'c:' .. c.id, 'rooms', table.concat(c.rooms, ' ')) end
local function hasRoom(c, key)
  for _, k in ipairs(c.rooms) do if k == key then return true end end
  return false
end

local function guestNumber(key)
  local n = string.match(key, '^guest%-([1-9][0-9]*)$')
  if n then return tonumber(n) end
  return nil
end
local function freeNick(key)
  redis.call('HDEL', P .. 'nicks', key)
  local n = guestNumber(key)
  if n then
    local floor = tonumber(redis.call('GET', P .. 'guestfloor') or '1')
    if n < floor then redis.call('SET', P .. 'guestfloor', n) end
  end
end
local function lowestGuest()
  local n = tonumber(redis.call('GET', P .. 'guestfloor') or '1')
  while redis.call('HEXISTS', P .. 'nicks', 'guest-' .. n) == 1 do n = n + 1 end
  return n
end
-- The nick's owner as its owner spells it, unless it is free or self's.
local function takenBy(nick, self)
  local owner = redis.call('HGET', P .. 'nicks', string.lower(nick))
  if not owner or owner == self then return nil end
  return redis.call('HGET', P .. 'c:' .. owner, 'nick') or nick
end

local function facts(c, nick, name, seq)
  return '"client":' .. c.id .. ',"nick":' .. str(nick) .. ',"room":' .. str(name) .. ',"seq":' .. seq
end
-- The room's next number, the event built with it, logged, kept for
-- newcomers if spoken, and emitted.
local function numbered(key, build, spoken)
  local seq = redis.call('INCR', P .. 'seq:' .. key)
  local name = redis.call('HGET', P .. 'r:' .. key, 'name')
  local ev = build(seq, name)
  redis.call('ZADD', P .. 'log:' .. key, seq, ev)
  if seq > LOGMAX then redis.call('ZREMRANGEBYSCORE', P .. 'log:' .. key, '-inf', seq - LOGMAX) end
  if spoken and HIST > 0 then
    redis.call('RPUSH', P .. 'h:' .. key, ev)
    redis.call('LTRIM', P .. 'h:' .. key, -HIST, -1)
  end
  emit(ev, true)
  return seq
end

local function history(key)
  if HIST == 0 then return '[]' end
  return '[' .. table.concat(redis.call('LRANGE', P .. 'h:' .. key, 0, -1), ',') .. ']'
end
-- The room's members, sorted by nick: \`{ id, nick }\` each.
local function members(key)
  local found = {}
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'rm:' .. key)) do
    local nick = redis.call('HGET', P .. 'c:' .. id, 'nick')
    if nick then found[#found + 1] = { id = id, nick = nick } end
  end
  table.sort(found, function(a, b) return byLower(a.nick, b.nick) end)
  return found
end
local function memberNicks(key)
  local out = {}
  for i, m in ipairs(members(key)) do out[i] = str(m.nick) end
  return '[' .. table.concat(out, ',') .. ']'
end
-- \`,"operators":[...]\` for a reply about the room, sorted as members are; '' when it has none.
-- Reads the operators only (a few), not every member.
local function operatorsField(key)
  local nicks = {}
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'ro:' .. key)) do
    local nick = redis.call('HGET', P .. 'c:' .. id, 'nick')
    if nick then nicks[#nicks + 1] = nick end
  end
  if #nicks == 0 then return '' end
  table.sort(nicks, byLower)
  local out = {}
  for i, nick in ipairs(nicks) do out[i] = str(nick) end
  return ',"operators":[' .. table.concat(out, ',') .. ']'
end

local function enterRoom(c, name, claim)
  local key = string.lower(name)
  if redis.call('EXISTS', P .. 'r:' .. key) == 0 then
    redis.call('HSET', P .. 'r:' .. key, 'name', name)
    redis.call('SADD', P .. 'rooms', key)
    -- Whoever creates a room with a claim is its operator.
    if claim then redis.call('SADD', P .. 'ro:' .. key, c.id) end
  end
  redis.call('SADD', P .. 'rm:' .. key, c.id)
  c.rooms[#c.rooms + 1] = key
  saveRooms(c)
  numbered(key, function(seq, room) return '{"_tag":"Joined",' .. facts(c, c.nick, room, seq) .. '}' end, false)
  return key
end

local function leaveRoom(c, key, reason)
  numbered(key, function(seq, room)
    return '{"_tag":"Left",' .. facts(c, c.nick, room, seq) .. ',"reason":' .. reason .. '}'
  end, false)
  redis.call('SREM', P .. 'rm:' .. key, c.id)
  redis.call('SREM', P .. 'ro:' .. key, c.id)
  if redis.call('SCARD', P .. 'rm:' .. key) == 0 then
    redis.call('DEL', P .. 'r:' .. key, P .. 'rm:' .. key, P .. 'log:' .. key, P .. 'h:' .. key, P .. 'ro:' .. key)
    redis.call('SREM', P .. 'rooms', key)
  end
  local rest = {}
  for _, k in ipairs(c.rooms) do if k ~= key then rest[#rest + 1] = k end end
  c.rooms = rest
  saveRooms(c)
end

local function disconnectClient(c, reason)
  local rooms = {}
  for i, k in ipairs(c.rooms) do rooms[i] = k end
  for _, key in ipairs(rooms) do leaveRoom(c, key, reason) end
  freeNick(string.lower(c.nick))
  redis.call('DEL', P .. 'c:' .. c.id)
  redis.call('SREM', P .. 'nc:' .. c.node, c.id)
end

-- \`EPOCH|ORIGIN|[events]\`: a node that has not yet seen Redis come back empty skips what it cannot place.
local function publish(origin)
  if #pub > 0 then
    redis.call('PUBLISH', P .. 'events', EPOCH .. '|' .. origin .. '|[' .. table.concat(pub, ',') .. ']')
  end
end

local function finish(result)
  flush(nil)
  local out = '{"r":' .. result .. ',"e":[' .. table.concat(events, ',') .. ']}'
  -- Named by the operation: its node delivers it from this answer, and skips the copy.
  publish(OP ~= '' and OP or NODE)
  if OP ~= '' then redis.call('SET', P .. 'op:' .. OP, out, 'PX', 30000) end
  return { 'ok', out }
end

local function check()
  if redis.call('GET', P .. 'epoch') ~= EPOCH then return 'epoch', nil end
  if OP ~= '' then
    local done = redis.call('GET', P .. 'op:' .. OP)
    if done then return nil, done end
  end
  if NOW > DEADLINE then return 'expired', nil end
  if not redis.call('ZSCORE', P .. 'nodes', NODE) then return 'fenced', nil end
  return nil, nil
end
`

const guarded = (body: string): string =>
  `${prelude}
local bad, done = check()
if bad then return { bad } end
if done then return { 'ok', done } end
${body}`

/**
 * ARGV 8: client id, 9: nick or '', 10: room or '', 11: what the client
 * said of itself as \`{"user":..,"realname":..}\`, or ''.
 * `{'taken', nick}` when the nick is someone else's.
 */
export const connect = guarded(`
local id, nick, room, info = ARGV[8], ARGV[9], ARGV[10], ARGV[11]
CALLER = id
if nick ~= '' then
  local taken = takenBy(nick, id)
  if taken then return { 'taken', taken } end
else
  local n = lowestGuest()
  redis.call('SET', P .. 'guestfloor', n + 1)
  nick = 'guest-' .. n
end
redis.call('HSET', P .. 'nicks', string.lower(nick), id)
redis.call('HSET', P .. 'c:' .. id, 'nick', nick, 'node', NODE, 'rooms', '')
if info and info ~= '' then
  local said = cjson.decode(info)
  redis.call('HSET', P .. 'c:' .. id, 'user', said.user, 'realname', said.realname)
end
redis.call('SADD', P .. 'nc:' .. NODE, id)
CALLERNICK = nick
local c = getClient(id)
if room ~= '' then
  local key = string.lower(room)
  local before = history(key)
  enterRoom(c, room)
  local name = redis.call('HGET', P .. 'r:' .. key, 'name')
  reply('{"_tag":"Welcome","nick":' .. str(nick) .. ',"room":' .. str(name) .. ',"here":'
    .. redis.call('SCARD', P .. 'rm:' .. key) .. ',"history":' .. before .. '}')
else
  reply('{"_tag":"Registered","nick":' .. str(nick) .. ',"users":' .. users() .. '}')
end
return finish(str(nick))
`)

/** ARGV 8: client id, 9: the reason's JSON. */
export const disconnect = guarded(`
local c = getClient(ARGV[8])
if not c then return finish('null') end
if c.node ~= NODE then return { 'fenced' } end
disconnectClient(c, ARGV[9])
return finish('null')
`)

/** ARGV 8: client id, 9: JSON array of inputs, each \`{"ok": command}\` or \`{"err": user error}\`. */
export const execute = guarded(`
local c = getClient(ARGV[8])
if not c or c.node ~= NODE then return { 'fenced' } end
CALLER = c.id
CALLERNICK = c.nick
local function fail(err) reply('{"_tag":"Failed","error":' .. err .. '}') end
local function notInRoom(room)
  if room then return '{"_tag":"NotInRoom","room":' .. str(room) .. '}' end
  return '{"_tag":"NotInRoom"}'
end
local function onlyRoom()
  if #c.rooms == 1 then return c.rooms[1], nil end
  return nil, notInRoom(nil)
end
local function target(room)
  if room == nil then return onlyRoom() end
  local key = string.lower(room)
  if hasRoom(c, key) then return key, nil end
  return nil, notInRoom(room)
end
local function roomName(key) return redis.call('HGET', P .. 'r:' .. key, 'name') end

local handlers = {}
local function speak(cmd)
  local key, err = target(cmd.room)
  if err then return fail(err) end
  numbered(key, function(seq, room)
    local notice = ''
    if cmd._tag == 'Say' and cmd.notice == true then notice = ',"notice":true' end
    return '{"_tag":"' .. (cmd._tag == 'Say' and 'Said' or 'Acted') .. '",' .. facts(c, c.nick, room, seq)
      .. ',"text":' .. str(cmd.text) .. notice .. '}'
  end, true)
end
handlers.Say = speak
handlers.Act = speak
handlers.Rename = function(cmd)
  local taken = takenBy(cmd.nick, c.id)
  if taken then return fail('{"_tag":"NickTaken","nick":' .. str(taken) .. '}') end
  if cmd.nick == c.nick then return reply('{"_tag":"NickChanged","nick":' .. str(cmd.nick) .. '}') end
  local old = c.nick
  freeNick(string.lower(old))
  redis.call('HSET', P .. 'nicks', string.lower(cmd.nick), c.id)
  redis.call('HSET', P .. 'c:' .. c.id, 'nick', cmd.nick)
  c.nick = cmd.nick
  CALLERNICK = cmd.nick
  for _, key in ipairs(c.rooms) do
    numbered(key, function(seq, room)
      return '{"_tag":"Renamed",' .. facts(c, old, room, seq) .. ',"to":' .. str(cmd.nick) .. '}'
    end, false)
  end
  reply('{"_tag":"NickChanged","nick":' .. str(cmd.nick) .. ',"from":' .. str(old) .. '}')
end
-- \`,"opers":[...]\` for those of \`list\` (\`{ id, nick }\` each) who are IRC operators; '' when none.
local function opersField(list)
  local out = {}
  for _, m in ipairs(list) do
    if redis.call('HEXISTS', P .. 'c:' .. m.id, 'oper') == 1 then out[#out + 1] = str(m.nick) end
  end
  if #out == 0 then return '' end
  return ',"opers":[' .. table.concat(out, ',') .. ']'
end
local function isOperatorOf(key, id) return redis.call('SISMEMBER', P .. 'ro:' .. key, id) == 1 end
local function hasMode(key, letter)
  local modes = redis.call('HGET', P .. 'r:' .. key, 'modes')
  return modes ~= false and modes ~= nil and string.find(modes, letter, 1, true) ~= nil
end
local function secretField(key)
  if hasMode(key, 's') then return ',"secret":true' end
  return ''
end
handlers.Join = function(cmd)
  local key = string.lower(cmd.room)
  if hasRoom(c, key) then return fail('{"_tag":"AlreadyInRoom","room":' .. str(roomName(key)) .. '}') end
  local before = history(key)
  if cmd.alone then
    -- An existing room keeps the case it was created with.
    local to = roomName(key) or cmd.room
    local from = {}
    for i, k in ipairs(c.rooms) do from[i] = k end
    for _, k in ipairs(from) do leaveRoom(c, k, '{"_tag":"Moved","to":' .. str(to) .. '}') end
  end
  enterRoom(c, cmd.room, cmd.claim == true)
  local topic = redis.call('HGET', P .. 'r:' .. key, 'topic')
  reply('{"_tag":"Entered","room":' .. str(roomName(key)) .. ',"members":' .. memberNicks(key)
    .. ',"history":' .. before .. (topic and ',"topic":' .. str(topic) or '') .. operatorsField(key) .. secretField(key)
    .. '}')
end
handlers.Part = function(cmd)
  local key = string.lower(cmd.room)
  if not hasRoom(c, key) then return fail(notInRoom(cmd.room)) end
  local name = roomName(key)
  local message = ''
  if cmd.message then message = ',"message":' .. str(cmd.message) end
  leaveRoom(c, key, '{"_tag":"Parted"' .. message .. '}')
  reply('{"_tag":"Parted","room":' .. str(name) .. message .. '}')
end
handlers.ListRooms = function(cmd)
  local rooms = {}
  for _, key in ipairs(redis.call('SMEMBERS', P .. 'rooms')) do
    -- A secret room is listed to its members only.
    if not hasMode(key, 's') or redis.call('SISMEMBER', P .. 'rm:' .. key, c.id) == 1 then
      rooms[#rooms + 1] = { name = roomName(key), members = redis.call('SCARD', P .. 'rm:' .. key) }
    end
  end
  table.sort(rooms, function(a, b) return byLower(a.name, b.name) end)
  local out = {}
  for i, r in ipairs(rooms) do out[i] = '{"room":' .. str(r.name) .. ',"members":' .. r.members .. '}' end
  reply('{"_tag":"RoomList","rooms":[' .. table.concat(out, ',') .. ']' .. echo(cmd, 'filter') .. '}')
end
handlers.ListFiltered = handlers.ListRooms
handlers.Who = function(cmd)
  local key, err
  if cmd.room then key = string.lower(cmd.room) else key, err = onlyRoom() end
  if err then return fail(err) end
  local full = ''
  -- Said only when asked for.
  if cmd.full == true then full = ',"full":true' end
  full = full .. echo(cmd, 'format') .. echo(cmd, 'batch')
  local name = roomName(key)
  if not name then return reply('{"_tag":"WhoList","room":' .. str(cmd.room) .. ',"members":[]' .. full .. '}') end
  if cmd.full ~= true then
    return reply('{"_tag":"WhoList","room":' .. str(name) .. ',"members":' .. memberNicks(key) .. full
      .. operatorsField(key) .. secretField(key) .. '}')
  end
  -- Each member's info, in the order of the members; null: it said nothing.
  local nicks, infos, away = {}, {}, {}
  local list = members(key)
  for i, m in ipairs(list) do
    nicks[i] = str(m.nick)
    infos[i] = infoOf(m.id) or 'null'
    away[i] = tostring(redis.call('HEXISTS', P .. 'c:' .. m.id, 'away') == 1)
  end
  reply('{"_tag":"WhoList","room":' .. str(name) .. ',"members":[' .. table.concat(nicks, ',') .. ']' .. full
    .. ',"infos":[' .. table.concat(infos, ',') .. '],"away":[' .. table.concat(away, ',') .. ']'
    .. operatorsField(key) .. opersField(list) .. secretField(key) .. '}')
end
handlers.Whisper = function(cmd)
  local to = redis.call('HGET', P .. 'nicks', string.lower(cmd.to))
  local toNick = to and redis.call('HGET', P .. 'c:' .. to, 'nick')
  if not toNick then return fail('{"_tag":"NoSuchNick","nick":' .. str(cmd.to) .. '}') end
  local away = redis.call('HGET', P .. 'c:' .. to, 'away')
  emit('{"_tag":"Whispered","from":' .. c.id .. ',"fromNick":' .. str(c.nick) .. ',"to":' .. to
    .. ',"toNick":' .. str(toNick) .. ',"text":' .. str(cmd.text) .. (away and ',"away":' .. str(away) or '') .. '}',
    true)
end
handlers.Help = function() reply('{"_tag":"Help"}') end
handlers.Ping = function(cmd) reply('{"_tag":"Pong","token":' .. str(cmd.token) .. '}') end
handlers.Away = function(cmd)
  if cmd.message == nil then
    redis.call('HDEL', P .. 'c:' .. c.id, 'away')
  else
    redis.call('HSET', P .. 'c:' .. c.id, 'away', cmd.message)
  end
  reply('{"_tag":"AwaySet","away":' .. tostring(cmd.message ~= nil) .. '}')
end
handlers.Lusers = function() reply('{"_tag":"Counts","users":' .. users() .. '}') end
local MAXWHO = ${maxWhoMatches}
-- Sorted letters: \`modes\` with \`add\` and without \`remove\`, keeping only \`allowed\` ones.
local function changeModes(modes, add, remove, allowed)
  local set, out = {}, {}
  for ch in string.gmatch(modes .. add, '.') do
    if string.find(allowed, ch, 1, true) and not string.find(remove, ch, 1, true) then set[ch] = true end
  end
  for ch in pairs(set) do out[#out + 1] = ch end
  table.sort(out)
  return table.concat(out)
end
-- \`,"added":..,"removed":..\` from \`before\` to \`after\`, each left out when empty.
local function modeChange(before, after)
  local added, removed = {}, {}
  for ch in string.gmatch(after, '.') do
    if not string.find(before, ch, 1, true) then added[#added + 1] = ch end
  end
  for ch in string.gmatch(before, '.') do
    if not string.find(after, ch, 1, true) then removed[#removed + 1] = ch end
  end
  local out = ''
  if #added > 0 then out = out .. ',"added":' .. str(table.concat(added)) end
  if #removed > 0 then out = out .. ',"removed":' .. str(table.concat(removed)) end
  return out
end
handlers.Mode = function(cmd)
  local add, remove = cmd.add or '', cmd.remove or ''
  if cmd.room == nil then
    -- The client's own: \`i\`.
    local before = ''
    if redis.call('HEXISTS', P .. 'c:' .. c.id, 'invisible') == 1 then before = 'i' end
    local after = changeModes(before, add, remove, 'i')
    if after == 'i' then
      redis.call('HSET', P .. 'c:' .. c.id, 'invisible', '1')
    else
      redis.call('HDEL', P .. 'c:' .. c.id, 'invisible')
    end
    return reply('{"_tag":"Modes","modes":' .. str(after) .. modeChange(before, after) .. '}')
  end
  local key = string.lower(cmd.room)
  local name = roomName(key)
  if not name then return fail('{"_tag":"NotInRoom","room":' .. str(cmd.room) .. ',"missing":true}') end
  local before = redis.call('HGET', P .. 'r:' .. key, 'modes') or ''
  if cmd.add == nil and cmd.remove == nil then
    return reply('{"_tag":"Modes","room":' .. str(name) .. ',"modes":' .. str(before) .. '}')
  end
  if not isOperatorOf(key, c.id) then return reply('{"_tag":"NotOperator","room":' .. str(name) .. '}') end
  local after = changeModes(before, add, remove, 'st')
  if after == '' then
    redis.call('HDEL', P .. 'r:' .. key, 'modes')
  else
    redis.call('HSET', P .. 'r:' .. key, 'modes', after)
  end
  reply('{"_tag":"Modes","room":' .. str(name) .. ',"modes":' .. str(after) .. modeChange(before, after) .. '}')
end
handlers.Oper = function()
  redis.call('HSET', P .. 'c:' .. c.id, 'oper', '1')
  reply('{"_tag":"OperUp"}')
end
-- A mask (\`*\`, \`?\`) as an anchored Lua pattern, every other character literal.
local function maskPattern(mask)
  local out = {}
  for ch in string.gmatch(string.lower(mask), '.') do
    if ch == '*' then out[#out + 1] = '.*'
    elseif ch == '?' then out[#out + 1] = '.'
    elseif string.match(ch, '%w') then out[#out + 1] = ch
    else out[#out + 1] = '%' .. ch end
  end
  return '^' .. table.concat(out) .. '$'
end
-- Every client whose nick matches, sorted, at most MAXWHO (\`maxWhoMatches\`). O(clients): a rare, explicit query.
handlers.WhoMask = function(cmd)
  local pattern = maskPattern(cmd.mask)
  local found = {}
  local all = redis.call('HGETALL', P .. 'nicks')
  for i = 1, #all, 2 do
    local id = all[i + 1]
    if string.match(all[i], pattern) then
      local other = getClient(id)
      -- An invisible client is found only by itself and by who shares a room with it.
      local visible = other ~= nil
      if visible and id ~= c.id and redis.call('HEXISTS', P .. 'c:' .. id, 'invisible') == 1 then
        visible = false
        for _, k in ipairs(other.rooms) do if hasRoom(c, k) then visible = true end end
      end
      if visible then found[#found + 1] = { id = id, nick = other.nick } end
    end
  end
  table.sort(found, function(a, b) return byLower(a.nick, b.nick) end)
  local list, nicks, infos, away = {}, {}, {}, {}
  for i = 1, math.min(#found, MAXWHO) do
    local m = found[i]
    list[i] = m
    nicks[i] = str(m.nick)
    infos[i] = infoOf(m.id) or 'null'
    away[i] = tostring(redis.call('HEXISTS', P .. 'c:' .. m.id, 'away') == 1)
  end
  reply('{"_tag":"WhoMatched","mask":' .. str(cmd.mask) .. ',"members":[' .. table.concat(nicks, ',') .. ']'
    .. ',"infos":[' .. table.concat(infos, ',') .. '],"away":[' .. table.concat(away, ',') .. ']' .. opersField(list)
    .. echo(cmd, 'format') .. '}')
end
handlers.Whois = function(cmd)
  local brief = ''
  if cmd.brief ~= nil then brief = ',"brief":' .. tostring(cmd.brief == true) end
  brief = brief .. echo(cmd, 'format')
  local id = redis.call('HGET', P .. 'nicks', string.lower(cmd.nick))
  local found = id and getClient(id)
  -- No such nick: \`rooms\` left out (undefined).
  if not found then return reply('{"_tag":"WhoisInfo","nick":' .. str(cmd.nick) .. brief .. '}') end
  local rooms, ops = {}, {}
  for _, key in ipairs(found.rooms) do
    -- A secret room is shown only to its members.
    if not hasMode(key, 's') or redis.call('SISMEMBER', P .. 'rm:' .. key, c.id) == 1 then
      rooms[#rooms + 1] = str(roomName(key))
      if redis.call('SISMEMBER', P .. 'ro:' .. key, id) == 1 then ops[#ops + 1] = rooms[#rooms] end
    end
  end
  local info = infoOf(id)
  local away = redis.call('HGET', P .. 'c:' .. id, 'away')
  local operatorOf = ''
  if #ops > 0 then operatorOf = ',"operatorOf":[' .. table.concat(ops, ',') .. ']' end
  if redis.call('HEXISTS', P .. 'c:' .. id, 'oper') == 1 then operatorOf = operatorOf .. ',"oper":true' end
  reply('{"_tag":"WhoisInfo","nick":' .. str(found.nick) .. ',"rooms":[' .. table.concat(rooms, ',') .. ']'
    .. (info and ',"info":' .. info or '') .. (away and ',"away":' .. str(away) or '') .. brief .. operatorOf .. '}')
end
handlers.Topic = function(cmd)
  local key = string.lower(cmd.room)
  local name = roomName(key)
  if cmd.text == nil then
    -- Asked: anyone may read a room's topic, if the room exists.
    if not name then return fail('{"_tag":"NotInRoom","room":' .. str(cmd.room) .. ',"missing":true}') end
    local topic = redis.call('HGET', P .. 'r:' .. key, 'topic')
    return reply('{"_tag":"Topic","room":' .. str(name) .. (topic and ',"topic":' .. str(topic) or '') .. '}')
  end
  if not hasRoom(c, key) then return fail(notInRoom(cmd.room)) end
  if hasMode(key, 't') and not isOperatorOf(key, c.id) then
    return reply('{"_tag":"NotOperator","room":' .. str(name) .. '}')
  end
  -- Set by a member; '' clears it. The room's order has it, with its members.
  if cmd.text == '' then
    redis.call('HDEL', P .. 'r:' .. key, 'topic')
  else
    redis.call('HSET', P .. 'r:' .. key, 'topic', cmd.text)
  end
  numbered(key, function(seq, room)
    return '{"_tag":"TopicSet",' .. facts(c, c.nick, room, seq) .. ',"topic":' .. str(cmd.text) .. '}'
  end, false)
  reply('{"_tag":"Topic","room":' .. str(name) .. (cmd.text ~= '' and ',"topic":' .. str(cmd.text) or '')
    .. ',"changed":true}')
end

local inputs = cjson.decode(ARGV[9])
-- A command this script does not know is refused before anything changes,
-- rather than half a batch applied (Redis does not undo a failed script).
for _, input in ipairs(inputs) do
  if not input.err and input.ok._tag ~= 'Quit' and not handlers[input.ok._tag] then
    return { 'unknown', tostring(input.ok._tag) }
  end
end
for _, input in ipairs(inputs) do
  if input.err then
    fail(cjson.encode(input.err))
  elseif input.ok._tag == 'Quit' then
    local reason = '{"_tag":"Quit"}'
    if input.ok.message then reason = '{"_tag":"Quit","message":' .. str(input.ok.message) .. '}' end
    reply('{"_tag":"Bye"}')
    flush(reason)
    return finish(reason)
  else
    handlers[input.ok._tag](input.ok)
  end
end
return finish('null')
`)

/**
 * A node's heartbeat, and the reaping of nodes whose heartbeat is stale: it
 * frees their clients' nicks and publishes their leaves `(connection lost)`.
 * Redis runs one script at a time, so one reaper acts at a time. A node
 * reaps only after a third of the timeout of steady heartbeats of its own,
 * so that after Redis itself was away the others have had time to come back.
 * ARGV 4: the timeout in ms. Answers `{'ok', nodes, now}`, `{'fenced'}`, or
 * `{'epoch', current}`.
 */
export const heartbeat = `${prelude}
local TIMEOUT = tonumber(ARGV[4])
local current = redis.call('GET', P .. 'epoch')
if current ~= EPOCH then return { 'epoch', current or '' } end
local prev = redis.call('ZSCORE', P .. 'nodes', NODE)
if not prev then return { 'fenced' } end
if NOW - tonumber(prev) > TIMEOUT / 3 then redis.call('HSET', P .. 'since', NODE, NOW) end
redis.call('ZADD', P .. 'nodes', NOW, NODE)
local since = tonumber(redis.call('HGET', P .. 'since', NODE) or NOW)
if NOW - since >= TIMEOUT / 3 then
  for _, n in ipairs(redis.call('ZRANGEBYSCORE', P .. 'nodes', '-inf', NOW - TIMEOUT)) do
    for _, id in ipairs(redis.call('SMEMBERS', P .. 'nc:' .. n)) do
      local c = getClient(id)
      if c then disconnectClient(c, '{"_tag":"ConnectionLost"}') end
    end
    redis.call('DEL', P .. 'nc:' .. n)
    redis.call('ZREM', P .. 'nodes', n)
    redis.call('HDEL', P .. 'since', n)
  end
  publish('0')
end
return { 'ok', redis.call('ZCARD', P .. 'nodes'), NOW }
`

/**
 * A node joins: the epoch is created if there is none (ARGV 2 is the
 * candidate), the node gets a number (ARGV 3 '' : a new one), and its
 * heartbeat starts. Answers `{epoch, node, nodes, now}`.
 */
export const register = `
local P, candidate, node = ARGV[1], ARGV[2], ARGV[3]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('SET', P .. 'epoch', candidate, 'NX')
local epoch = redis.call('GET', P .. 'epoch')
if node == '' then
  node = tostring(redis.call('INCR', P .. 'nodeseq'))
elseif tonumber(redis.call('GET', P .. 'nodeseq') or '0') < tonumber(node) then
  redis.call('SET', P .. 'nodeseq', node)
end
redis.call('ZADD', P .. 'nodes', now, node)
redis.call('HSET', P .. 'since', node, now)
return { epoch, node, redis.call('ZCARD', P .. 'nodes'), now }
`

/**
 * After Redis came back empty: the node's clients, registered again with
 * their nicks, rooms and what they said of themselves, without events.
 * ARGV 8: JSON array of \`{"id": "7", "nick": "alice", "rooms": ["lobby"],
 * "info": {"user": "al", "realname": "Alice"}}\` (ids as strings; info optional).
 * Answers `{'ok', lost}`: the ids whose nick someone took meanwhile.
 */
export const reregister = guarded(`
local lost = {}
for _, client in ipairs(cjson.decode(ARGV[8])) do
  if takenBy(client.nick, client.id) then
    lost[#lost + 1] = client.id
  else
    redis.call('HSET', P .. 'nicks', string.lower(client.nick), client.id)
    local keys = {}
    for i, name in ipairs(client.rooms) do
      local key = string.lower(name)
      keys[i] = key
      if redis.call('EXISTS', P .. 'r:' .. key) == 0 then
        redis.call('HSET', P .. 'r:' .. key, 'name', name)
        redis.call('SADD', P .. 'rooms', key)
      end
      redis.call('SADD', P .. 'rm:' .. key, client.id)
    end
    redis.call('HSET', P .. 'c:' .. client.id, 'nick', client.nick, 'node', NODE, 'rooms', table.concat(keys, ' '))
    if type(client.info) == 'table' then
      redis.call('HSET', P .. 'c:' .. client.id, 'user', client.info.user, 'realname', client.info.realname)
    end
    redis.call('SADD', P .. 'nc:' .. NODE, client.id)
  end
end
return { 'ok', lost }
`)

/** Who is where: `{clients, rooms as [name, nick, nick, ...], ...}`, rooms sorted by name. */
export const snapshot = `
local P = ARGV[1]
${sorting}local rooms = {}
for _, key in ipairs(redis.call('SMEMBERS', P .. 'rooms')) do
  local nicks = {}
  for _, id in ipairs(redis.call('SMEMBERS', P .. 'rm:' .. key)) do
    local nick = redis.call('HGET', P .. 'c:' .. id, 'nick')
    if nick then nicks[#nicks + 1] = nick end
  end
  table.sort(nicks, byLower)
  table.insert(nicks, 1, redis.call('HGET', P .. 'r:' .. key, 'name'))
  rooms[#rooms + 1] = nicks
end
table.sort(rooms, function(a, b) return byLower(a[1], b[1]) end)
local out = { redis.call('HLEN', P .. 'nicks') }
for _, r in ipairs(rooms) do out[#out + 1] = r end
return out
`

/**
 * A node leaves the cluster, or a node that lost it retires its old number:
 * its remaining clients leave their rooms with the reason (ARGV 8, JSON) and
 * the node is forgotten. Nothing to do if it was already reaped.
 */
export const retire = `${prelude}
if redis.call('GET', P .. 'epoch') ~= EPOCH then return { 'epoch' } end
for _, id in ipairs(redis.call('SMEMBERS', P .. 'nc:' .. NODE)) do
  local c = getClient(id)
  if c then disconnectClient(c, ARGV[8]) end
end
redis.call('DEL', P .. 'nc:' .. NODE)
redis.call('ZREM', P .. 'nodes', NODE)
redis.call('HDEL', P .. 'since', NODE)
publish('0')
return { 'ok' }
`
