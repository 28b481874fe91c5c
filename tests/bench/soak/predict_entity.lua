-- POST /predict by entity_id, as the README's first example: the request
-- carries the raw transaction (amount, merchant_category, payment_method)
-- and the online windows of the user come from the platform's online cache.
-- Users are BENCH_USER_PREFIX0 .. BENCH_USERS-1 (the ones the soak ingests
-- for); every request has a different amount, so the prediction cache never
-- hits. done() prints one JSON line (prefix "SOAK_WRK ") with the exact
-- percentiles of wrk's histogram.
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  run = tonumber(os.getenv("BENCH_RUN") or "0")
  counter = 0
  users = tonumber(os.getenv("BENCH_USERS") or "1000")
  prefix = os.getenv("BENCH_USER_PREFIX") or "user_"
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"entity_id":"%s%d","features":{"amount":%.2f,' ..
    '"merchant_category":"electronics","payment_method":"credit_card"}}',
    prefix, (counter * 7 + tid * 3) % users, run * 1000 + (counter % 100000) / 100 + 1)
  return wrk.format("POST", "/predict", { ["Content-Type"] = "application/json" }, body)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'SOAK_WRK {"requests":%d,"duration_us":%d,"non2xx":%d,"connect":%d,"read":%d,' ..
    '"write":%d,"timeout":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max))
end
