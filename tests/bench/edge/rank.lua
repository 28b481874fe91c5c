-- POST /rank of ctr_ranker: one user and 100 candidate items a request (the
-- bodies written by tests/bench/edge.ts, one a line, path in BENCH_RANK_BODIES).
-- The user's, every item's and every user × category's online features come
-- from Redis through the Upstash gateway in one MGET; the threads start at
-- different lines and go round the file.
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  bodies = {}
  for line in io.lines(os.getenv("BENCH_RANK_BODIES")) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  counter = tid * 37
end

request = function()
  counter = counter + 1
  local body = bodies[(counter % #bodies) + 1]
  return wrk.format("POST", "/rank", { ["Content-Type"] = "application/json" }, body)
end
