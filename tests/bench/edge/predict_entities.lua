-- POST /predict of sensor_anomaly with two entities: the device's and the
-- site's online features (two views) come from Redis through the Upstash
-- gateway in one MGET; the request carries the reading (temperature,
-- vibration, pressure). Every request has a different temperature, so the
-- prediction cache never hits.
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

function init(args)
  run = tonumber(os.getenv("BENCH_RUN") or "0")
  counter = 0
  devices = tonumber(os.getenv("BENCH_DEVICES") or "1000")
  per_site = tonumber(os.getenv("BENCH_DEVICES_PER_SITE") or "8")
end

request = function()
  counter = counter + 1
  local d = (counter * 7 + tid) % devices
  local body = string.format(
    '{"model_name":"sensor_anomaly","entities":{"device_id":"bench_device_%d",' ..
    '"site_id":"bench_site_%d"},"features":{"temperature":%.2f,"vibration":4.2,' ..
    '"pressure":180.5}}',
    d, math.floor(d / per_site), 45 + run + (counter % 100000) / 10000)
  return wrk.format("POST", "/predict", { ["Content-Type"] = "application/json" }, body)
end
