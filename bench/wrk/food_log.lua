-- POST /webhook/manychat: text food logs from subscribers bench-1 .. bench-1000 (their profiles are created
-- by bench/run beforehand through the form quiz), with the token from $CALORIA_TOKEN.
local meals = {
	"2 huevos revueltos y una tostada con manteca",
	"un café con leche y dos medialunas",
	"1 cup of oatmeal with a banana",
	"200 g de pollo a la plancha",
	"ensalada de lechuga, tomate y media palta",
	"milanesa con puré",
}
local token = os.getenv("CALORIA_TOKEN") or ""

function request()
	local id = math.random(1, 1000)
	local body = string.format('{"id": "bench-%d", "first_name": "Bench", "text": "%s"}', id,
		meals[math.random(1, #meals)])
	return wrk.format("POST", "/webhook/manychat",
		{ ["Content-Type"] = "application/json", ["X-Caloria-Token"] = token }, body)
end
