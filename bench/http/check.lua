-- check.lua - wrk script: POST /v1/check with a JSON body per request of
-- the mix, in turn, each thread starting at its own place.
package.path = (os.getenv("BENCH_HTTP_DIR") or ".") .. "/?.lua;" .. package.path
local mix = require("mix")

-- Each thread starts at its own place in the mix.
local nthreads = 0
function setup(thread)
  thread:set("tid", nthreads)
  nthreads = nthreads + 1
end

local function q(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return string.format("\\u%04x", c:byte())
  end) .. '"'
end

local bodies
local i = 0
local headers = { ["Content-Type"] = "application/json" }

function init(args)
  bodies = {}
  for _, r in ipairs(mix.load()) do
    local attrs = {}
    for _, kv in ipairs(r.attrs) do
      attrs[#attrs + 1] = q(kv[1]) .. ":" .. q(kv[2])
    end
    bodies[#bodies + 1] = string.format(
      '{"service":%s,"user":%s,"action":%s,"attributes":{%s}}',
      q(r.service), q(r.user), q(r.action), table.concat(attrs, ","))
  end
  i = (tid or 0) * 7919 % #bodies
end

function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/v1/check", headers, bodies[i])
end

done = mix.done
