-- POST /writes for the food-writes floor: the body the insert baseline sends, stored as the food log's items.
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
	return wrk.format("POST", "/writes", { ["Content-Type"] = "application/json" }, body)
end
