-- New order lines of one unit each at a fixed pace, as the buyer whose cookie and form token
-- are given: the n-th request is sent at START + n × INTERVAL milliseconds (or at once when
-- behind), so a run places DURATION / INTERVAL orders whatever their latency.
-- wrk -t1 -c1 -s bench/paced-orders.lua URL -- COOKIE CSRF SITE LOT RUN INTERVAL_MS
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_usec; } bench_timeval;
  int gettimeofday(bench_timeval *tv, void *tz);
]]
local tv = ffi.new("bench_timeval")
local function now_ms()
  ffi.C.gettimeofday(tv, nil)
  return tonumber(tv.tv_sec) * 1000 + tonumber(tv.tv_usec) / 1000
end

local cookie, csrf, site, lot, run, interval, tag
local counter, start = 0, nil

function init(args)
  cookie, csrf, site, lot, run = args[1], args[2], args[3], args[4], args[5]
  interval = tonumber(args[6])
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  tag = tostring(math.random(1, 1000000000))
end

function delay()
  if start == nil then
    start = now_ms()
  end
  local wait = start + counter * interval - now_ms()
  if wait < 0 then
    return 0
  end
  return math.floor(wait)
end

function request()
  counter = counter + 1
  local body = "csrf=" .. csrf .. "&quantity=1&site=" .. site ..
    "&max_unit_price=&reference=&idempotency_key=rush-" .. run .. "-" .. tag .. "-" .. counter
  return wrk.format("POST", "/lots/" .. lot .. "/orders", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end
