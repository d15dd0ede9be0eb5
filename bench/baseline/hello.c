/*
 * The benchmark baseline (SPEC §15): the smallest useful libfcgi responder. It answers every request with a
 * fixed JSON body, so its req/s through nginx is the ceiling for what any FastCGI application can reach on
 * the machine; bench/run compares Caloria's GET /health/live to it. Started by spawn-fcgi (socket on fd 0).
 */
#include <fcgiapp.h>
#include <stdio.h>

int
main(void)
{
	static const char reply[] = "Status: 200 OK\r\n"
				    "Content-Type: application/json; charset=utf-8\r\n"
				    "Content-Length: 18\r\n"
				    "\r\n"
				    "{\"status\":\"alive\"}";
	FCGX_Request req;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&req, 0, 0) != 0) {
		fputs("hello: FastCGI initialisation failed\n", stderr);
		return 1;
	}
	while (FCGX_Accept_r(&req) >= 0) {
		/* A client that went away is not an error for a benchmark; the next accept goes on. */
		(void)FCGX_PutStr(reply, (int)sizeof(reply) - 1, req.out);
		FCGX_Finish_r(&req);
	}
	return 0;
}
