-- wrk script of benchmarks/bench_http.py: each request asks for a random customer of a code list.
--
--   wrk --latency -t2 -c32 -d20s -s benchmarks/wrk/customers.lua http://127.0.0.1:8000 -- \
--       PATH_PATTERN CODES_FILE TOKEN [RATE]
--
-- PATH_PATTERN  the path with %s where the customer code goes, e.g. /api/customers/%s/view
-- CODES_FILE    one customer code per line
-- TOKEN         bearer token sent as the Authorization header
-- RATE          optional: requests per second of each thread (Debian's wrk 4 has no -R, and wrk2 is not
--               packaged). The thread hands out send times on a fixed schedule through delay(), so a server
--               that keeps up sees threads × RATE requests per second; one that falls behind is sent the
--               backlog (up to one second of it) as connections free up. Latency is timed from the send.
--
-- done() prints one line "@@result {json}" with exact counts and percentiles for the Python side.

local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock_id, bench_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, clock)
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local codes = {}
local pattern = nil
local interval = nil -- ms between two sends of this thread; nil when unpaced
local next_send = nil
local MAX_BACKLOG_MS = 1000
local thread_count = 0

function setup(thread)
  thread_count = thread_count + 1
  thread:set("id", thread_count)
end

function init(args)
  pattern = args[1]
  for line in io.lines(args[2]) do
    if #line > 0 then table.insert(codes, line) end
  end
  wrk.headers["Authorization"] = "Bearer " .. args[3]
  local rate = tonumber(args[4])
  if rate and rate > 0 then
    interval = 1000 / rate
  else
    delay = nil -- unpaced: wrk looks for delay() after the first thread's init and then never waits
  end
  math.randomseed(id * 7919 + os.time())
end

function request()
  return wrk.format("GET", string.format(pattern, codes[math.random(#codes)]))
end

-- Paced runs: the milliseconds until this thread's next send time on the fixed schedule.
function delay()
  local now = now_ms()
  if next_send == nil or next_send < now - MAX_BACKLOG_MS then
    next_send = now
  end
  local wait = next_send - now
  next_send = next_send + interval
  if wait <= 0 then return 0 end
  return math.floor(wait)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '@@result {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p75_us": %d, "p90_us": %d, "p99_us": %d, "p999_us": %d, ' ..
    '"max_us": %d, "mean_us": %.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(75), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
