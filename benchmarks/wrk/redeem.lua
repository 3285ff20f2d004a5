-- wrk script of benchmarks/bench_redemption.py: each request redeems points for a reward (POST, JSON body).
--
--   wrk --latency -t2 -c50 -d30s -s benchmarks/wrk/redeem.lua http://127.0.0.1:8000 -- \
--       /api/loyalty/redemptions CODES_FILE TOKEN 0 KEY_PREFIX UNLIMITED_REWARD LIMITED_REWARD LIMITED_EVERY \
--       REPLAY_EVERY ANSWERS
--
-- CODES_FILE      one customer code per line; each request picks one at random
-- TOKEN           bearer token of a staff member allowed to redeem (loyalty:redeem)
-- 0               the rate argument of customers.lua; this script always runs flat out
-- KEY_PREFIX      makes this run's request keys unique: PREFIX-THREAD-COUNTER
-- LIMITED_EVERY   one request in this many asks for the limited-stock reward (0: never)
-- REPLAY_EVERY    one request in this many resends the thread's previous body, key included: a client's
--                 retry, which must answer 200 with the first redemption and redeem nothing (0: never)
-- ANSWERS         each thread writes "STATUS REQUEST_KEY REDEMPTION_ID" of every 200 and 201 to ANSWERS-THREAD.txt,
--                 so the caller can check each answer against the database
--
-- customers.lua is loaded first for its done(), which prints "@@result {json}" (read by httpbench/wrk.py);
-- this script's done() calls it, then prints "@@statuses {json}": responses by HTTP status over all threads.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "customers.lua")
local print_result = done

local codes = {}
local path = nil
local prefix, unlimited, limited = nil, nil, nil
local limited_every, replay_every = 0, 0
local counter = 0
local previous = nil
statuses = {} -- global: done() reads each thread's through thread:get
local answers = nil
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  path = args[1]
  for line in io.lines(args[2]) do
    if #line > 0 then table.insert(codes, line) end
  end
  wrk.method = "POST"
  wrk.headers["Authorization"] = "Bearer " .. args[3]
  wrk.headers["Content-Type"] = "application/json"
  prefix, unlimited, limited = args[5], args[6], args[7]
  limited_every = tonumber(args[8]) or 0
  replay_every = tonumber(args[9]) or 0
  answers = io.open(string.format("%s-%d.txt", args[10], id), "w")
  answers:setvbuf("line") -- a thread's state is never closed: each line must reach the file as it is written
  delay = nil -- customers.lua's pacing: wrk never waits when no delay() is left after init
  math.randomseed(id * 7919 + os.time())
end

function request()
  counter = counter + 1
  if previous ~= nil and replay_every > 0 and counter % replay_every == 0 then
    return wrk.format("POST", path, nil, previous)
  end
  local reward = unlimited
  if limited_every > 0 and counter % limited_every == 0 then reward = limited end
  local key = string.format("%s-%d-%d", prefix, id, counter)
  previous = string.format('{"customerCode":"%s","rewardCode":"%s","requestKey":"%s"}',
    codes[math.random(#codes)], reward, key)
  return wrk.format("POST", path, nil, previous)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status == 200 or status == 201 then
    local key = body:match('"requestKey"%s*:%s*"([^"]+)"')
    local redemption = body:match('"id"%s*:%s*(%d+)')
    answers:write(string.format("%d %s %s\n", status, key or "-", redemption or "-"))
  end
end

function done(summary, latency, requests)
  print_result(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  io.write("@@statuses {" .. table.concat(parts, ", ") .. "}\n")
end
