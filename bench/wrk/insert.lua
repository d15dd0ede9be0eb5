-- POST /insert for the one-INSERT baseline: the same kind of body the food-log webhook receives.
-- Each wrk thread gets its own random sequence.
local threads = 0
function setup(thread)
	threads = threads + 1
	thread:set("seed", threads)
end

function init(args)
	math.randomseed(os.time() * 100 + (seed or 0))
end

function request()
	local body = string.format('{"id": "bench-%d", "first_name": "Bench", "text": "200 g de pollo a la plancha"}',
		math.random(1, 1000))
	return wrk.format("POST", "/insert", { ["Content-Type"] = "application/json" }, body)
end
