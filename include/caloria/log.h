/*
 * Logging: one JSON object per line (SPEC §13) to stderr or log.file, with UTC millisecond time, level,
 * category, the current request id and a message. Every string that comes from outside is escaped and run
 * through cal_log_mask() so tokens, signatures, API keys and Telegram file URLs never reach the log, and
 * e-mail addresses and phone numbers appear only partly.
 *
 * The logger keeps a little process state (level, output fd, current request id); it is set up once per
 * process by cal_log_init() and the request id is set and cleared by the request pipeline.
 */
#ifndef CALORIA_LOG_H
#define CALORIA_LOG_H

#include <stddef.h>

typedef enum cal_log_level {
	CAL_LOG_DEBUG = 0,
	CAL_LOG_INFO,
	CAL_LOG_WARN,
	CAL_LOG_ERROR,
	CAL_LOG__MAX
} cal_log_level;

/* level_name: "debug|info|warn|error"; path NULL or "" = stderr. Returns 0, or -1 if the file cannot open. */
int cal_log_init(const char *level_name, const char *path);
void cal_log_close(void);
/* Parses a level name; -1 when unknown. */
int cal_log_level_parse(const char *name);
int cal_log_enabled(cal_log_level level);
void cal_log_set_request_id(const char *id); /* NULL clears */

/*
 * Writes one line. category is one of webhook, api, database, security, performance, app.
 * Extra fields: pairs of const char* key/value terminated by NULL, values are strings (masked).
 */
void cal_log(cal_log_level level, const char *category, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void cal_log_fields(cal_log_level level, const char *category, const char *msg, ...)
	__attribute__((sentinel));
/* The one access line per request. */
void cal_log_access(const char *method, const char *route, const char *path, int status, double duration_ms,
		    const char *client_ip, const char *error_code);

/*
 * Copies s into out (at most outlen-1 bytes, always NUL-terminated) with secrets masked:
 * bearer tokens, key=/token=/secret=/password=/signature= values, v1= signatures, Telegram bot URLs
 * (bot<id>:<token>), long hex/base64 runs; e-mails as a***@d***.com; phone numbers keep the last 2 digits.
 */
void cal_log_mask(const char *s, char *out, size_t outlen);

#define cal_debug(cat, ...) do { if (cal_log_enabled(CAL_LOG_DEBUG)) cal_log(CAL_LOG_DEBUG, cat, __VA_ARGS__); } while (0)
#define cal_info(cat, ...)  cal_log(CAL_LOG_INFO, cat, __VA_ARGS__)
#define cal_warn(cat, ...)  cal_log(CAL_LOG_WARN, cat, __VA_ARGS__)
#define cal_error(cat, ...) cal_log(CAL_LOG_ERROR, cat, __VA_ARGS__)

#endif
