/*
 * The tenants of the shared file, in file order, as data.  Adding a region
 * is a row here and a cal_shm_tenant in the module that owns it; shm.c lays
 * out, builds and checks whatever this list names.  Metrics and the limiter
 * come first because their sizes are fixed by the file size; the cache takes
 * the rest, so it must stay last.
 */
#include "config.h"

#include "caloria/cache.h"
#include "caloria/metrics.h"
#include "caloria/ratelimit.h"
#include "caloria/shm.h"

const cal_shm_tenant *const cal_shm_tenants[] = {
	&cal_metrics_tenant,
	&cal_ratelimit_tenant,
	&cal_cache_tenant,
};

const int cal_shm_tenants_count = (int)(sizeof cal_shm_tenants / sizeof cal_shm_tenants[0]);
