-- New order lines of one unit each, as the buyer whose cookie and form token are given:
-- wrk -s bench/orders.lua URL -- COOKIE CSRF SITE LOT RUN
local counter = 0
local cookie, csrf, site, lot, run

function init(args)
  cookie, csrf, site, lot, run = args[1], args[2], args[3], args[4], args[5]
  -- Each thread numbers its own lines; the run and a random thread tag keep keys unique.
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  tag = tostring(math.random(1, 1000000000))
end

function request()
  counter = counter + 1
  local body = "csrf=" .. csrf .. "&quantity=1&site=" .. site ..
    "&max_unit_price=&reference=&idempotency_key=bench-" .. run .. "-" .. tag .. "-" .. counter
  return wrk.format("POST", "/lots/" .. lot .. "/orders", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = cookie,
  }, body)
end
