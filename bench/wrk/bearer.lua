-- GET with "Authorization: Bearer $CALORIA_API_TOKEN" (the JSON API, SPEC §10).
wrk.headers["Authorization"] = "Bearer " .. (os.getenv("CALORIA_API_TOKEN") or "")
