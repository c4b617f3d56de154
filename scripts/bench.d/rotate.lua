-- wrk script: each request carries the next token of TOKENS_FILE, round-robin, with
-- METHOD, PATH and BODY from the environment. With PROOFS_FILE, the token (the first of
-- TOKENS_FILE) goes as `Authorization: DPoP` with the next unused proof: each thread takes
-- every THREADS-th line from its own start, so no proof is sent twice.
-- done() prints one JSON line of results.
local tokens = {}
local proofs = {}
local thread_count = 0
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

local function load_proofs(index, count)
  local file = os.getenv("PROOFS_FILE")
  if file and #file > 0 then
    local n = 0
    for line in io.lines(file) do
      if n % count == index and #line > 0 then proofs[#proofs + 1] = line end
      n = n + 1
    end
  end
end

function setup(thread)
  thread:set("offset", math.random(0, 1000))
  thread:set("index", thread_count)
  thread_count = thread_count + 1
  thread:set("threads", tonumber(os.getenv("THREADS") or "2"))
end

function init(args)
  load_tokens()
  load_proofs(tonumber(index) or 0, tonumber(threads) or 1)
  counter = tonumber(offset) or 0
end

function request()
  local headers = {}
  if #proofs > 0 then
    counter = counter + 1
    headers["Authorization"] = "DPoP " .. tokens[1]
    -- Past the last proof, replays: the API refuses them, and the row is INVALID.
    headers["DPoP"] = proofs[(counter % #proofs) + 1]
  elseif #tokens > 0 then
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
