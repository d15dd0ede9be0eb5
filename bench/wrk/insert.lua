-- POST to the URL's path for the INSERT baseline and the food-writes floor: the same kind of body the
-- food-log webhook receives.
function request()
	local body = string.format('{"id": "bench-%d", "first_name": "Bench", "text": "200 g de pollo a la plancha"}',
		math.random(1, 1000))
	return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, body)
end
