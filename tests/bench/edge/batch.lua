-- POST /predict/batch with the 1000-instance body written by tests/bench/edge.ts
-- (path in BENCH_BATCH_BODY).
local f = assert(io.open(os.getenv("BENCH_BATCH_BODY"), "r"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/json"
f:close()
