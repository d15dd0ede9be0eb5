/*
 * The table of job kinds (jobs.h): one row per kind, naming the functions the runner calls. A new kind is
 * a row here and its functions (see "Adding a kind" in jobs.h).
 */
#include "config.h"

#include "caloria/billing_job.h"
#include "caloria/jobs.h"

#include "jobs_internal.h"

const cal_job_kind cal_job_kinds[] = {
	/* name       next                      on_response                    commit                failed */
	{"push",     cal_job_push_next,        cal_job_push_on_response,      NULL,                 cal_job_push_failed},
	{"media",    cal_job_media_next,       cal_job_media_on_response,     cal_job_media_commit, NULL},
	{"lookup",   cal_job_lookup_next,      cal_job_lookup_on_response,    cal_job_lookup_commit, cal_job_lookup_failed},
	{CAL_BILLING_JOB_KIND, cal_billing_job_next, cal_billing_job_on_response, cal_billing_job_commit,
	 cal_billing_job_failed},
};

const int cal_job_kinds_count = (int)(sizeof cal_job_kinds / sizeof cal_job_kinds[0]);
