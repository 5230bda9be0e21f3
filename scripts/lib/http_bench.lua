-- wrk script of scripts/http-bench: POSTs to /graphql the bodies of a file
-- (one JSON request a line), in turn, each connection from its own place.
--   wrk ... -s scripts/lib/http_bench.lua URL -- BODIES [TOKEN]
-- Counts answers that are not HTTP 200 or that carry "errors", and prints
-- one machine-readable line at the end:
--   HTTPBENCH requests=N seconds=S rps=R p50_us=.. p90_us=.. p99_us=.. max_us=..
--             failed=N socket_errors=N

local requests = {}
local next_request = 0
-- A global: done() reads each thread's with thread:get.
failed = 0
local threads = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_number", #threads)
end

function init(args)
    local headers = { ["Content-Type"] = "application/json" }
    if args[2] ~= nil and args[2] ~= "" then
        headers["Authorization"] = "Bearer " .. args[2]
    end
    for line in io.lines(args[1]) do
        if line ~= "" then
            table.insert(requests, wrk.format("POST", "/graphql", headers, line))
        end
    end
    -- Threads start at different bodies, so they do not ask in step.
    next_request = ((thread_number or 1) - 1) * 7919 % #requests
end

function request()
    next_request = next_request % #requests + 1
    return requests[next_request]
end

function response(status, headers, body)
    if status ~= 200 or string.find(body, '"errors"', 1, true) then
        failed = failed + 1
    end
end

function done(summary, latency, _)
    local failed_total = 0
    for _, thread in ipairs(threads) do
        failed_total = failed_total + thread:get("failed")
    end
    local e = summary.errors
    local seconds = summary.duration / 1e6
    io.write(string.format(
        "HTTPBENCH requests=%d seconds=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d failed=%d socket_errors=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        failed_total, e.connect + e.read + e.write + e.timeout))
end
