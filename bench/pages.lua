-- A lot's page, each request as the next of the sessions given (the demo buyers' in turn):
-- wrk -s bench/pages.lua URL -- LOT COOKIE [COOKIE …]
local lot
local cookies = {}
local counter = 0

function init(args)
  lot = args[1]
  for i = 2, #args do
    cookies[#cookies + 1] = args[i]
  end
  -- Threads start at different sessions.
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  counter = math.random(0, #cookies - 1)
end

function request()
  counter = counter + 1
  return wrk.format("GET", "/lots/" .. lot, { ["Cookie"] = cookies[(counter % #cookies) + 1] })
end
