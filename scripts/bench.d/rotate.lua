-- wrk script: each request carries the next token of TOKENS_FILE, round-robin, with
-- METHOD, PATH and BODY from the environment. done() prints one JSON line of results.
local tokens = {}
local method = os.getenv("METHOD") or "GET"
local path = os.getenv("REQ_PATH") or "/"
local body = os.getenv("BODY")
if body and #body == 0 then body = nil end
local counter = 0

local function load_tokens()
  local file = os.getenv("TOKENS_FILE")
  if file and #file > 0 then
    for line in io.lines(file) do
      if #line > 0 then tokens[#tokens + 1] = line end
    end
  end
end

function setup(thread)
  thread:set("offset", math.random(0, 1000))
end

function init(args)
  load_tokens()
  counter = tonumber(offset) or 0
end

function request()
  local headers = {}
  if #tokens > 0 then
    counter = counter + 1
    headers["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1]
  end
  if body then headers["Content-Type"] = "application/json" end
  return wrk.format(method, path, headers, body)
end

function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"non_2xx":%d,"socket_errors":%d}\n',
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    errors.status, errors.connect + errors.read + errors.write + errors.timeout))
end
