-- mix.lua - shared by the wrk scripts: reads the request mix that
-- bench/gen-tenant.py wrote (path in BENCH_REQUESTS, at most BENCH_HTTP_MIX
-- lines) and reports wrk's figures as "RESULT TAG.KEY VALUE" lines (TAG in
-- BENCH_TAG) for bench/run.sh.
local M = {}

function M.load()
  local path = os.getenv("BENCH_REQUESTS")
  local max = tonumber(os.getenv("BENCH_HTTP_MIX") or "16384")
  local reqs = {}
  local f = assert(io.open(path, "r"), "cannot open " .. tostring(path))
  for line in f:lines() do
    if line:sub(1, 1) ~= "#" and line ~= "" then
      local svc, user, action, attrs = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t([^\t]*)")
      local a = {}
      if attrs ~= "-" then
        for kv in attrs:gmatch("[^|]+") do
          local k, v = kv:match("^([^=]+)=(.*)$")
          a[#a + 1] = { k, v }
        end
      end
      reqs[#reqs + 1] = { service = svc, user = user, action = action, attrs = a }
      if #reqs >= max then break end
    end
  end
  f:close()
  return reqs
end

function M.done(summary, latency, requests)
  local tag = os.getenv("BENCH_TAG") or "http"
  local secs = summary.duration / 1e6
  local e = summary.errors
  io.write(string.format("RESULT %s.requests_per_s %.0f\n", tag, summary.requests / secs))
  io.write(string.format("RESULT %s.p50_ms %.3f\n", tag, latency:percentile(50) / 1000))
  io.write(string.format("RESULT %s.p99_ms %.3f\n", tag, latency:percentile(99) / 1000))
  io.write(string.format("RESULT %s.non2xx %d\n", tag, e.status))
  io.write(string.format("RESULT %s.socket_errors %d\n", tag,
                         e.connect + e.read + e.write + e.timeout))
  io.write(string.format("RESULT %s.requests %d\n", tag, summary.requests))
end

return M
