/*
 * Owns the text-analysis cache entries: their key, their value (the rounded analysis JSON) and the
 * warming that fills them when a pool starts. The conversation asks here for every text analysis.
 */
#include "config.h"

#include <string.h>

#include <openssl/evp.h>

#include "caloria/cache.h"
#include "caloria/db.h"
#include "caloria/foodparse.h"
#include "caloria/foodtext.h"
#include "caloria/log.h"

/*
 * Lower-cased with runs of white space folded (changes the parser ignores, so a hit never changes a
 * result), prefixed by the table's size so reloaded tables do not serve old results. Long keys are hashed,
 * as cache.h asks.
 */
const char *cal_foodtext_cache_key(cal_arena *a, const cal_fooddb *fdb, const char *text)
{
	cal_buf b;
	bool space = false;
	const char *key;

	cal_buf_init(&b);
	cal_buf_printf(&b, "food:text:%d:%zu:%zu:", CAL_FOODTEXT_FORMAT, cal_fooddb_food_count(fdb),
		       cal_fooddb_alias_count(fdb));
	size_t prefix = b.len;
	for (const char *p = text; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			space = true;
			continue;
		}
		if (space && b.len > prefix)
			cal_buf_puts(&b, " ");
		space = false;
		char lc = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
		cal_buf_append(&b, &lc, 1);
	}
	if (b.len > CAL_CACHE_MAX_KEY) {
		unsigned char md[EVP_MAX_MD_SIZE];
		unsigned mdlen = 0;
		EVP_Digest(b.data, b.len, md, &mdlen, EVP_sha256(), NULL);
		cal_buf_reset(&b);
		cal_buf_printf(&b, "food:text:%d:sha256:", CAL_FOODTEXT_FORMAT);
		for (unsigned i = 0; i < mdlen; i++)
			cal_buf_printf(&b, "%02x", md[i]);
	}
	key = cal_arena_strdup(a, b.data);
	cal_buf_free(&b);
	return key;
}

struct json_object *cal_foodtext_analyze(cal_ctx *ctx, cal_arena *a, const cal_fooddb *fdb, const char *text)
{
	const char *key = cal_foodtext_cache_key(a, fdb, text);
	struct json_object *doc = cal_cache_get_json(ctx->shm, a, key, 1, NULL, NULL);
	cal_food_analysis an;

	if (doc != NULL)
		return doc;
	memset(&an, 0, sizeof an);
	(void)cal_foodparse_analyze(fdb, text, a, &an); /* too long = empty analysis = food_unclear */
	doc = json_object_new_object();
	json_object_object_add(doc, "analysis", cal_foodparse_to_json(&an, "text"));
	json_object_object_add(doc, "sodium_mg", json_object_new_double(cal_foodparse_round1(an.total.sodium_mg)));
	json_object_object_add(doc, "matched", json_object_new_int((int)an.nmatched));
	cal_cache_set_json(ctx->shm, key, doc, CAL_FOODTEXT_TTL_S);
	return doc;
}

static const char SQL_TOP_TEXTS[] =
	"SELECT raw_input, COUNT(*) AS n FROM food_logs"
	" WHERE source = 'text' AND logged_at >= UTC_TIMESTAMP() - INTERVAL 7 DAY AND raw_input IS NOT NULL"
	" GROUP BY raw_input ORDER BY n DESC LIMIT ?";

long cal_foodtext_warm(cal_ctx *ctx, long top)
{
	cal_arena a;
	cal_dbrows rows;
	const cal_fooddb *fdb;
	long done = -1;

	if (top <= 0 || ctx->shm == NULL)
		return 0;
	fdb = cal_ctx_food(ctx);
	if (fdb == NULL)
		return -1;
	cal_arena_init(&a, 0);
	cal_dbv p[] = {CAL_DB_INT(top)};
	if (cal_db_query(ctx->db, &a, SQL_TOP_TEXTS, p, 1, &rows) != CAL_OK)
		goto out;
	done = 0;
	for (size_t i = 0; i < rows.nrows; i++) {
		const char *text = cal_db_cell(&rows, i, 0);
		if (text == NULL)
			continue;
		json_object_put(cal_foodtext_analyze(ctx, &a, fdb, text));
		done++;
	}
	cal_info("performance", "cache warmed with %ld frequent description(s)", done);
out:
	cal_arena_free(&a);
	return done;
}
