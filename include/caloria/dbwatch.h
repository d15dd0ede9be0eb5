/*
 * Pool-wide memory of database calls that ran out of time. A worker whose request saw a statement given up
 * for time (a lock wait, max_statement_time, the client's read timeout) notes it in the shared segment;
 * /health reads it, so any worker can say "degraded" while a stalled database makes calls time out, even
 * though its own ping (which touches no table) still answers.
 */
#ifndef CALORIA_DBWATCH_H
#define CALORIA_DBWATCH_H

#include <stdbool.h>
#include <time.h>

#include "caloria/shm.h"

#define CAL_DBWATCH_WINDOW_S 30 /* how long one timeout keeps /health degraded */

/* Records one timed-out call at now. Safe with shm == NULL (does nothing). */
void cal_dbwatch_note_timeout(cal_shm *shm, time_t now);
/* Did any worker note a timed-out call in the last CAL_DBWATCH_WINDOW_S seconds? False when shm is NULL. */
bool cal_dbwatch_recent_timeouts(cal_shm *shm, time_t now);

#endif
