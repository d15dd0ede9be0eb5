/*
 * The subscription state machine and the gate (billing_state.h).
 *
 * Derivation, first match wins:
 *   1. preapproval cancelled            → cancelled (access until paid_until)
 *   2. preapproval paused               → paused
 *   3. an approved payment covers now   → active
 *   4. a refund or charge-back and no approved payment covering now → cancelled, revoked
 *   5. the latest payment was rejected  → payment_failed
 *   6. an approved payment, now lapsed, under an authorized preapproval → active (renewal due; the gate
 *      stops at paid_until)
 *   7. an unexpired trial               → trial (checking out does not end a trial early)
 *   8. preapproval pending or authorized → pending
 *   9. otherwise the trial's own state: trial, or trial_expired once it ended; other statuses stay.
 */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "caloria/billing_state.h"

static bool is(const char *s, const char *v)
{
	return s != NULL && strcmp(s, v) == 0;
}

static int days_in_month(int year, int mon0)
{
	static const int d[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;

	return mon0 == 1 && leap ? 29 : d[mon0];
}

time_t cal_billing_add_month(time_t t)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	tm.tm_mon++;
	if (tm.tm_mon == 12) {
		tm.tm_mon = 0;
		tm.tm_year++;
	}
	if (tm.tm_mday > days_in_month(tm.tm_year + 1900, tm.tm_mon))
		tm.tm_mday = days_in_month(tm.tm_year + 1900, tm.tm_mon);
	return timegm(&tm);
}

static int digits(const char *s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

time_t cal_billing_parse_time(const char *s)
{
	struct tm tm;
	const char *p;
	int off = 0;

	if (s == NULL || strlen(s) < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') ||
	    s[13] != ':' || s[16] != ':')
		return 0;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = digits(s, 4) - 1900;
	tm.tm_mon = digits(s + 5, 2) - 1;
	tm.tm_mday = digits(s + 8, 2);
	tm.tm_hour = digits(s + 11, 2);
	tm.tm_min = digits(s + 14, 2);
	tm.tm_sec = digits(s + 17, 2);
	if (tm.tm_year < 70 || tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 || tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 60)
		return 0;
	p = s + 19;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' && digits(p + 1, 2) >= 0 &&
	    digits(p + 4, 2) >= 0)
		off = (*p == '-' ? -1 : 1) * (digits(p + 1, 2) * 3600 + digits(p + 4, 2) * 60);
	else if (!(*p == '\0' || (*p == 'Z' && p[1] == '\0')))
		return 0;
	return timegm(&tm) - off;
}

void cal_billing_derive(const cal_billing_facts *f, time_t now, cal_billing_state *out)
{
	time_t paid_until = 0, last_at = 0;
	bool refund = false, last_rejected = false;
	const char *pre = f->preapproval_status;

	for (size_t i = 0; i < f->npayments; i++) {
		const cal_billing_payment *p = &f->payments[i];
		if (is(p->status, "approved") && p->paid_at > 0 && cal_billing_add_month(p->paid_at) > paid_until)
			paid_until = cal_billing_add_month(p->paid_at);
		if (is(p->status, "refunded") || is(p->status, "charged_back"))
			refund = true;
		/* The latest payment decides a failure; ties go to the failure (a retry of the same charge). */
		if (p->paid_at >= last_at) {
			last_rejected = is(p->status, "rejected") || (p->paid_at == last_at && last_rejected);
			last_at = p->paid_at;
		}
	}
	out->paid_until = paid_until;
	out->revoked = false;
	if (is(pre, "cancelled"))
		out->status = "cancelled";
	else if (is(pre, "paused"))
		out->status = "paused";
	else if (paid_until > now)
		out->status = "active";
	else if (refund) {
		out->status = "cancelled";
		out->revoked = true;
	} else if (last_rejected)
		out->status = "payment_failed";
	else if (paid_until > 0 && is(pre, "authorized"))
		out->status = "active";
	else if (is(f->current, "trial") && f->trial_ends_at > now)
		out->status = "trial";
	else if (is(pre, "pending") || is(pre, "authorized"))
		out->status = "pending";
	else if (is(f->current, "trial") || is(f->current, "trial_expired"))
		out->status = "trial_expired";
	else if (is(f->current, "none"))
		out->status = "none";
	else
		/* pending without a preapproval, or a paid status whose facts are gone (rows an operator removed):
		 * no access, and the trial is long over. */
		out->status = "trial_expired";
}

bool cal_billing_entitled(const char *status, time_t trial_ends_at, time_t paid_until, time_t now)
{
	if (is(status, "trial"))
		return trial_ends_at > now;
	if (is(status, "active") || is(status, "cancelled"))
		return paid_until > now;
	return false;
}

bool cal_billing_gate_allows(const char *status, time_t trial_ends_at, time_t paid_until, int analyses_today,
			     long free_daily, time_t now)
{
	return cal_billing_entitled(status, trial_ends_at, paid_until, now) || (long)analyses_today < free_daily;
}

cal_err cal_billing_expire_trial(cal_db *db, long long user_id, bool *expired)
{
	static const char sql[] =
		"UPDATE users SET subscription_status = 'trial_expired', updated_at = UTC_TIMESTAMP()"
		" WHERE id = ? AND subscription_status = 'trial' AND trial_ends_at <= UTC_TIMESTAMP()";
	static const char ev[] = "INSERT INTO activity_log (user_id, event) VALUES (?, 'trial_expired')";
	cal_dbv p[] = {CAL_DB_INT(user_id)};
	cal_dbresult res = {0};
	cal_err err = cal_db_exec(db, sql, p, 1, &res);

	*expired = err == CAL_OK && res.affected == 1;
	if (*expired)
		err = cal_db_exec(db, ev, p, 1, NULL);
	return err;
}
