-- POST /v2/models/{name}/infer with the binary tensor data extension: the body
-- file written by tests/bench/v2.ts (path in BENCH_V2_BODY) holds the JSON
-- header (BENCH_V2_HEADER_LENGTH bytes) then the raw FP32 rows.
local f = assert(io.open(os.getenv("BENCH_V2_BODY"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["Inference-Header-Content-Length"] = os.getenv("BENCH_V2_HEADER_LENGTH")
f:close()
