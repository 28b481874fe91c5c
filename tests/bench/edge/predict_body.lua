-- POST /predict with features in the body, a different vector every request
-- (so no response-cache hit): the request counter of each wrk thread is
-- spread over amount and avg_amount_30d; the thread id sits in
-- transaction_count_24h.
local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

function init(args)
  -- Each run (warm-up, measured) starts from its own offset: no vector repeats.
  counter = tonumber(os.getenv("BENCH_RUN") or "0") * 10000000
  -- Extra top-level fields (tests/bench/explain.ts: ',"explain":true').
  extra = os.getenv("BENCH_EXTRA") or ""
end

request = function()
  counter = counter + 1
  local a = counter % 10000
  local b = math.floor(counter / 10000) % 10000
  local body = string.format(
    '{"features":{"hour_of_day":%d,"day_of_week":%d,"is_weekend":0,' ..
    '"transaction_count_24h":%d,"avg_amount_30d":%.1f,"amount":%.1f,' ..
    '"merchant_category_encoded":%d,"payment_method_encoded":%d}%s}',
    counter % 24, counter % 7, tid, b / 10, a / 10 + 1, counter % 100, counter % 10, extra)
  return wrk.format("POST", "/predict", { ["Content-Type"] = "application/json" }, body)
end
