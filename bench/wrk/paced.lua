-- Appended after food_log.lua by the provider-isolation phase of bench/run: an offered rate of BENCH_RATE
-- requests/s (default 200) whatever the latency. Each wrk thread hands out send slots BENCH_THREADS/RATE
-- apart on the monotonic clock (LuaJIT's ffi), and a connection that finished its request waits for the next
-- free slot; with enough connections the rate holds while latency grows (wrk's latency excludes the wait).
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
]]
local ts = ffi.new("bench_timespec")
local rate = tonumber(os.getenv("BENCH_RATE") or "200")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local period = 1000 * nthreads / rate
local slot = nil

local function now_ms()
	ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
	return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

function delay()
	local now = now_ms()
	if slot == nil or slot < now - period then
		slot = now
	end
	slot = slot + period
	local wait = slot - now
	return wait > 0 and math.floor(wait) or 0
end
