-- POST /predict by entity_id: the online features (transaction_count_24h,
-- avg_amount_30d) come from Redis through the Upstash gateway; the request
-- carries the raw transaction (amount, merchant_category, payment_method).
-- Every request has a different amount, so the prediction cache never hits.
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  -- Each run (warm-up, measured) starts from its own offset: no vector repeats.
  run = tonumber(os.getenv("BENCH_RUN") or "0")
  counter = 0
  users = tonumber(os.getenv("BENCH_USERS") or "1000")
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"entity_id":"bench_user_%d","features":{"amount":%.2f,' ..
    '"merchant_category":"grocery","payment_method":"credit_card"}}',
    (counter * 7 + tid) % users, run * 1000 + (counter % 100000) / 100 + 1)
  return wrk.format("POST", "/predict", { ["Content-Type"] = "application/json" }, body)
end
