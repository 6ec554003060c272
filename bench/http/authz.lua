-- authz.lua - wrk script: GET with X-Rolegate-Service, -User, -Action and
-- X-Rolegate-Attr-NAME headers per request of the mix, in turn: for
-- rolegated's /v1/authz directly, and for nginx in front of it (the path
-- is wrk's URL path: /v1/authz, or / for nginx).
package.path = (os.getenv("BENCH_HTTP_DIR") or ".") .. "/?.lua;" .. package.path
local mix = require("mix")

-- Each thread starts at its own place in the mix.
local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

local reqs
local i = 0

function init(args)
  reqs = {}
  for _, r in ipairs(mix.load()) do
    local h = {
      ["X-Rolegate-Service"] = r.service,
      ["X-Rolegate-User"] = r.user,
      ["X-Rolegate-Action"] = r.action,
    }
    for _, kv in ipairs(r.attrs) do
      h["X-Rolegate-Attr-" .. kv[1]] = kv[2]
    end
    reqs[#reqs + 1] = wrk.format("GET", wrk.path, h)
  end
  i = (tid or 0) * 7919 % #reqs
end

function request()
  i = i % #reqs + 1
  return reqs[i]
end

done = mix.done
