-- Put before every wrk script by bench/run (a script's own functions override these): a random sequence per
-- wrk thread, and one machine-readable line per run (exact percentiles from wrk's histogram, not the
-- rounded figures of its human report).
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("seed", threads)
end

function init(args)
	math.randomseed(os.time() * 100 + (seed or 0))
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.connect, e.read, e.write, e.status, e.timeout))
end
