/*
 * Configuration (SPEC §3): one INI file plus CALORIA_<SECTION>_<KEY> environment overrides. Every key is a
 * row of one table in conf.c (type, default, bounds, secret flag, field of struct cal_conf); parsing fills a
 * struct cal_conf once, collecting every problem with file and line, so `caloria check-config` can list
 * them all and a worker can refuse to start with a precise message.
 */
#ifndef CALORIA_CONF_H
#define CALORIA_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "caloria/err.h"

typedef struct cal_conf {
	/* [server] */
	char *server_public_url;
	long server_max_body_bytes;
	long server_max_requests;
	long server_read_timeout_ms;
	char *server_trusted_proxies; /* comma-separated IPs */
	/* [database] */
	char *database_host;
	long database_port;
	char *database_socket;
	char *database_user;
	char *database_password; /* secret */
	char *database_name;
	long database_connect_timeout_ms;
	long database_query_timeout_ms;
	/* [app] */
	char *app_default_language;   /* "es" | "en" */
	char *app_default_timezone;   /* "-03:00" */
	int app_default_utc_offset_min; /* derived from app_default_timezone */
	/* [manychat] */
	char *manychat_api_base;
	char *manychat_api_token;     /* secret */
	char *manychat_webhook_token; /* secret */
	char *manychat_channel;
	bool manychat_field_actions;
	long manychat_reply_budget_ms;
	/* [mercadopago] */
	char *mercadopago_api_base;
	char *mercadopago_access_token;  /* secret */
	char *mercadopago_webhook_secret;/* secret */
	char *mercadopago_plan_id;
	long mercadopago_signature_tolerance_s;
	/* [subscription] */
	char *subscription_price; /* decimal text, e.g. "4999.00" (money is never a double) */
	char *subscription_currency;
	long subscription_trial_days;
	long subscription_free_daily_analyses;
	/* [spoonacular] */
	char *spoonacular_api_base;
	char *spoonacular_api_key; /* secret */
	/* [gemini] */
	char *gemini_api_base;
	char *gemini_api_key; /* secret */
	char *gemini_model;
	/* [google] */
	char *google_speech_api_base;
	char *google_api_key; /* secret */
	char *google_vision_api_base;
	/* [food] */
	char *food_image_providers;
	char *food_audio_providers;
	char *food_data_dir; /* where usda_sr24.tsv, aliases.csv, recipes.csv live */
	/* [jobs] */
	long jobs_concurrency;
	long jobs_max_attempts;
	long jobs_retry_base_ms;
	long jobs_lease_s;
	/* [media] */
	long media_max_image_bytes;
	long media_max_audio_bytes;
	bool media_allow_private_hosts;
	/* [http_client] */
	long http_client_connect_timeout_ms;
	long http_client_timeout_ms;
	long http_client_retries;
	/* [ratelimit] */
	long ratelimit_webhook_per_min;
	long ratelimit_api_per_min;
	long ratelimit_admin_per_min;
	long ratelimit_auth_failures_per_min;
	/* [admin] */
	char *admin_session_secret; /* secret */
	long admin_session_ttl_s;
	/* [cache] */
	char *cache_path;
	long cache_size_mb;
	long cache_warm_top;
	/* [log] */
	char *log_level;
	char *log_file;
	/* [paths] */
	char *paths_run_dir;    /* default for cache.path and pid files */
	char *paths_schema_dir; /* migrations */
} cal_conf;

/* One problem found while loading: "file:line: message" is how it is printed. */
typedef struct cal_conf_issue {
	char *file; /* NULL for environment overrides */
	int line;   /* 0 when not tied to a line */
	char *message;
} cal_conf_issue;

typedef struct cal_conf_issues {
	cal_conf_issue *items;
	size_t count;
} cal_conf_issues;

/*
 * Resolves the path (explicit, else $CALORIA_CONFIG, else the sysconfdir default), applies defaults, the
 * file (a missing default file is not an error; a missing explicit file is) and the environment. Returns
 * CAL_OK with *conf filled, or CAL_ERR_VALIDATION with every problem in *issues (conf still freed-safe).
 * The chosen path is returned in *used_path (malloc'd, may be NULL) when used_path is not NULL.
 */
cal_err cal_conf_load(cal_conf *conf, const char *explicit_path, cal_conf_issues *issues, char **used_path);
/* Same but from a string, for tests; name is used in messages. */
cal_err cal_conf_load_string(cal_conf *conf, const char *text, const char *name, char **envp,
			     cal_conf_issues *issues);
void cal_conf_free(cal_conf *conf);
void cal_conf_issues_free(cal_conf_issues *issues);
void cal_conf_issues_print(const cal_conf_issues *issues, FILE *out);
/* Prints every key as "section.key = value", secrets shown as "(set)" or "(empty)". */
void cal_conf_print(const cal_conf *conf, FILE *out);
/* Keys that are required for the service to be ready (e.g. manychat.webhook_token); NULL when all present. */
const char *cal_conf_missing_required(const cal_conf *conf);
/* Parses "-03:00", "UTC-03", "-03", "+5:30" into minutes east of UTC; returns 0 on success. */
int cal_conf_parse_utc_offset(const char *s, int *minutes);

#endif
