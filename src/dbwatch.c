/*
 * The shared "database calls are timing out" signal (dbwatch.h). It borrows the rate limiter's sliding
 * windows, which already live in the shared segment and survive a worker killed mid-update: one key, one
 * hit per timed-out request, and a peek with a limit of one answers "any in the window?".
 */
#include "config.h"

#include "caloria/dbwatch.h"
#include "caloria/ratelimit.h"

#define DBWATCH_CLASS "dbwatch"
#define DBWATCH_KEY "timeouts"
#define DBWATCH_CEILING 1000000000u /* never refuses: the counter only remembers */

void cal_dbwatch_note_timeout(cal_shm *shm, time_t now)
{
	unsigned retry;

	if (shm != NULL)
		(void)cal_ratelimit_hit(shm, DBWATCH_CLASS, DBWATCH_KEY, DBWATCH_CEILING, CAL_DBWATCH_WINDOW_S, now,
					&retry);
}

bool cal_dbwatch_recent_timeouts(cal_shm *shm, time_t now)
{
	unsigned retry;

	return shm != NULL &&
	       cal_ratelimit_peek(shm, DBWATCH_CLASS, DBWATCH_KEY, 1, CAL_DBWATCH_WINDOW_S, now, &retry) == 1;
}
