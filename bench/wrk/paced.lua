-- Appended after food_log.lua by the provider-isolation phase of bench/run: each connection waits
-- BENCH_PACE_MS (default 50) before every request, so 10 connections offer about 200 requests/s whatever
-- the latency (wrk's latency figures exclude the wait).
local pace = tonumber(os.getenv("BENCH_PACE_MS") or "50")

function delay()
	return pace
end
