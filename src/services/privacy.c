/*
 * Export and erasure of one user's data (privacy.h). The export reads each table the user has rows in with
 * JSON_OBJECT() per row, so column names and values come out of the database together and the JSON types
 * (numbers, nested item lists) are the database's own. Erasure relies on the ON DELETE CASCADE foreign keys
 * of schema/0001 for everything the user owns, and anonymises payments first (their foreign key is SET
 * NULL, but the raw MercadoPago document still names the payer).
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "caloria/admin_auth.h"
#include "caloria/admin_stats.h"
#include "caloria/db.h"
#include "caloria/dbcache.h"
#include "caloria/log.h"
#include "caloria/privacy.h"

struct part {
	const char *name;
	const char *sql; /* one parameter: the user id; one column: a JSON object per row */
};

static const struct part parts[] = {
	{"food_logs",
	 "SELECT JSON_OBJECT('id', id, 'local_date', local_date, 'logged_at', logged_at, 'source', source,"
	 " 'raw_input', raw_input, 'caption', caption, 'items', JSON_QUERY(items, '$'), 'kcal', kcal,"
	 " 'protein_g', protein_g, 'carbs_g', carbs_g, 'fat_g', fat_g, 'fiber_g', fiber_g, 'sodium_mg', sodium_mg,"
	 " 'provider', provider, 'confidence', confidence) FROM food_logs WHERE user_id = ? ORDER BY id"},
	{"daily_stats",
	 "SELECT JSON_OBJECT('date', local_date, 'total_calories', total_calories, 'total_protein', total_protein,"
	 " 'total_carbs', total_carbs, 'total_fat', total_fat, 'total_fiber', total_fiber, 'total_sodium',"
	 " total_sodium, 'meals_logged', meals_logged, 'goal_calories', goal_calories, 'summary_sent_at',"
	 " summary_sent_at) FROM daily_stats WHERE user_id = ? ORDER BY local_date"},
	{"analyses",
	 "SELECT JSON_OBJECT('id', id, 'source', source, 'status', status, 'raw_input', raw_input, 'caption', caption,"
	 " 'transcript', transcript, 'kcal', kcal, 'provider', provider, 'confidence', confidence, 'created_at',"
	 " created_at) FROM analyses WHERE user_id = ? ORDER BY id"},
	{"subscriptions",
	 "SELECT JSON_OBJECT('status', status, 'amount', amount, 'currency', currency, 'payer_email', payer_email,"
	 " 'preapproval_id', preapproval_id, 'created_at', created_at, 'updated_at', updated_at)"
	 " FROM subscriptions WHERE user_id = ? ORDER BY id"},
	{"payments",
	 "SELECT JSON_OBJECT('mp_payment_id', mp_payment_id, 'kind', kind, 'status', status, 'amount', amount,"
	 " 'currency', currency, 'paid_at', paid_at, 'created_at', created_at) FROM payments WHERE user_id = ?"
	 " ORDER BY id"},
	{"activity",
	 "SELECT JSON_OBJECT('event', event, 'detail', detail, 'created_at', created_at) FROM activity_log"
	 " WHERE user_id = ? ORDER BY id"},
	{"jobs",
	 "SELECT JSON_OBJECT('kind', kind, 'state', state, 'created_at', created_at, 'finished_at', finished_at)"
	 " FROM jobs WHERE user_id = ? ORDER BY id"},
};

cal_err cal_privacy_export(cal_ctx *ctx, cal_arena *a, long long user_id, struct json_object **out)
{
	cal_dbrows prof;
	cal_err e;
	struct json_object *doc;

	*out = NULL;
	if ((e = cal_stats_user(ctx, a, user_id, &prof)) != CAL_OK)
		return e;
	doc = json_object_new_object();
	json_object_object_add(doc, "user", cal_stats_user_json(a, &prof, CAL_ROLE_ADMIN));
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		cal_dbrows r;
		cal_dbv p[] = {CAL_DB_INT(user_id)};
		if ((e = cal_db_query(ctx->db, a, parts[i].sql, p, 1, &r)) != CAL_OK) {
			json_object_put(doc);
			return e;
		}
		struct json_object *arr = json_object_new_array();
		for (size_t k = 0; k < r.nrows; k++) {
			struct json_object *row = cal_db_cell(&r, k, 0) ? json_tokener_parse(cal_db_cell(&r, k, 0)) : NULL;
			if (row != NULL)
				json_object_array_add(arr, row);
		}
		json_object_object_add(doc, parts[i].name, arr);
	}
	*out = doc;
	return CAL_OK;
}

static const char SQL_LOCK_USER[] = "SELECT subscriber_id FROM users WHERE id = ? FOR UPDATE";
static const char SQL_ANON_PAYMENTS[] =
	"UPDATE payments SET user_id = NULL, preapproval_id = NULL, raw = NULL, updated_at = UTC_TIMESTAMP()"
	" WHERE user_id = ?";
/* Queued work that names the subscriber without a user_id (e.g. a push) goes too. */
static const char SQL_ORPHAN_JOBS[] =
	"DELETE FROM jobs WHERE user_id IS NULL AND state IN ('queued', 'running')"
	" AND JSON_VALUE(payload, '$.subscriber_id') = ?";
static const char SQL_DELETE_USER[] = "DELETE FROM users WHERE id = ?";
static const char SQL_AUDIT[] = "INSERT INTO activity_log (event, detail) VALUES ('user_deleted', ?)";

cal_err cal_privacy_erase_in_tx(cal_ctx *ctx, cal_arena *a, long long user_id, const char *how)
{
	cal_dbrows r;
	cal_dbv id[] = {CAL_DB_INT(user_id)};
	cal_err e;

	if ((e = cal_db_query(ctx->db, a, SQL_LOCK_USER, id, 1, &r)) != CAL_OK)
		return e;
	if (r.nrows != 1)
		return CAL_ERR_NOT_FOUND;
	cal_dbv sub[] = {CAL_DB_STR(cal_db_cell(&r, 0, 0))};
	cal_dbv detail[] = {CAL_DB_STR(cal_arena_printf(a, "user %lld (%s)", user_id, how))};
	if ((e = cal_db_exec(ctx->db, SQL_ANON_PAYMENTS, id, 1, NULL)) != CAL_OK ||
	    (e = cal_db_exec(ctx->db, SQL_ORPHAN_JOBS, sub, 1, NULL)) != CAL_OK ||
	    (e = cal_db_exec(ctx->db, SQL_DELETE_USER, id, 1, NULL)) != CAL_OK ||
	    (e = cal_db_exec(ctx->db, SQL_AUDIT, detail, 1, NULL)) != CAL_OK)
		return e;
	return CAL_OK;
}

cal_err cal_privacy_erase(cal_ctx *ctx, cal_arena *a, long long user_id, const char *how)
{
	cal_err e = cal_db_begin(ctx->db);

	if (e == CAL_OK)
		e = cal_privacy_erase_in_tx(ctx, a, user_id, how);
	if (e == CAL_OK)
		e = cal_db_commit(ctx->db);
	else
		cal_db_rollback(ctx->db);
	if (e == CAL_OK)
		cal_dbcache_invalidate(ctx, "user_days", user_id);
	return e;
}

cal_err cal_privacy_request(cal_ctx *ctx, long long user_id)
{
	static const char sql[] = "INSERT INTO activity_log (user_id, event) VALUES (?, 'data_deletion_requested')";
	cal_dbv p[] = {CAL_DB_INT(user_id)};

	return cal_db_exec(ctx->db, sql, p, 1, NULL);
}

cal_err cal_privacy_requested(cal_ctx *ctx, cal_arena *a, long long user_id, bool *yes)
{
	static const char sql[] =
		"SELECT 1 FROM activity_log WHERE user_id = ? AND created_at >= UTC_TIMESTAMP() - INTERVAL ? SECOND"
		" AND event = 'data_deletion_requested' LIMIT 1";
	cal_dbv p[] = {CAL_DB_INT(user_id), CAL_DB_INT(CAL_PRIVACY_CONFIRM_S)};
	cal_dbrows r;
	cal_err e = cal_db_query(ctx->db, a, sql, p, 2, &r);

	*yes = e == CAL_OK && r.nrows > 0;
	return e;
}

/* ---- command line ---------------------------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr, "usage: caloria user export ID | caloria user delete ID\n");
	return 2;
}

int cal_privacy_cli_main(cal_ctx *ctx, int argc, char **argv)
{
	cal_arena a;
	char *end;
	long long id;
	cal_err e;
	int rc = 1;

	if (argc != 3 || (strcmp(argv[1], "export") != 0 && strcmp(argv[1], "delete") != 0))
		return usage();
	id = strtoll(argv[2], &end, 10);
	if (*end != '\0' || id <= 0)
		return usage();
	cal_arena_init(&a, 64 * 1024);
	if (strcmp(argv[1], "export") == 0) {
		struct json_object *doc = NULL;
		e = cal_privacy_export(ctx, &a, id, &doc);
		if (e == CAL_OK) {
			json_object_object_add(doc, "format", json_object_new_string("caloria-user-export/1"));
			printf("%s\n", json_object_to_json_string_ext(doc, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
			json_object_put(doc);
			cal_admin_audit(ctx, 0, "admin_user_exported", cal_arena_printf(&a, "cli: user %lld", id));
		}
	} else {
		e = cal_privacy_erase(ctx, &a, id, "cli");
		if (e == CAL_OK)
			printf("user %lld and their data deleted (payments kept, anonymised)\n", id);
	}
	if (e == CAL_OK)
		rc = 0;
	else if (e == CAL_ERR_NOT_FOUND)
		fprintf(stderr, "caloria user %s: no user %lld\n", argv[1], id);
	else
		fprintf(stderr, "caloria user %s: failed: %s\n", argv[1], cal_err_message(e, CAL_LANG_EN));
	cal_arena_free(&a);
	return rc;
}
