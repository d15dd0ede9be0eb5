/*
 * Version facts for `caloria version` and /health/version. Library versions are asked from the libraries
 * themselves at run time rather than taken from headers, because what matters to an operator is what is
 * loaded, not what the build saw.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <mysql.h>
#include <openssl/crypto.h>

#include "caloria/version.h"

#ifndef CAL_GIT_COMMIT
#define CAL_GIT_COMMIT "unknown"
#endif

const char *cal_version(void)
{
	return PACKAGE_VERSION;
}

const char *cal_version_commit(void)
{
	return CAL_GIT_COMMIT;
}

/* __DATE__ is "Jan 31 2025"; turned into ISO once, on first use. */
const char *cal_version_build_date(void)
{
#ifdef CAL_BUILD_DATE
	return CAL_BUILD_DATE;
#else
	static char iso[32];
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *d = __DATE__;
	const char *m;
	int day, year;

	if (iso[0] != '\0')
		return iso;
	m = strstr(months, (char[4]){d[0], d[1], d[2], '\0'});
	if (m == NULL || sscanf(d + 4, "%d %d", &day, &year) != 2) {
		snprintf(iso, sizeof iso, "%s %s", __DATE__, __TIME__);
		return iso;
	}
	snprintf(iso, sizeof iso, "%04d-%02d-%02dT%s", year, (int)((m - months) / 3) + 1, day, __TIME__);
	return iso;
#endif
}

static const char *openssl_version(void)
{
#if OPENSSL_VERSION_NUMBER >= 0x30000000L
	return OpenSSL_version(OPENSSL_VERSION_STRING);
#else
	/* 1.1 only has "OpenSSL 1.1.1w  11 Sep 2023"; keep the version word. */
	static char v[32];
	const char *s = OpenSSL_version(OPENSSL_VERSION);

	if (sscanf(s, "OpenSSL %31s", v) != 1)
		return s;
	return v;
#endif
}

struct json_object *cal_version_libraries(void)
{
	struct json_object *o = json_object_new_object();
	const curl_version_info_data *cv = curl_version_info(CURLVERSION_NOW);

	json_object_object_add(o, "json-c", json_object_new_string(json_c_version()));
	json_object_object_add(o, "mariadb_client", json_object_new_string(mysql_get_client_info()));
	json_object_object_add(o, "libcurl", json_object_new_string(cv != NULL ? cv->version : "unknown"));
	json_object_object_add(o, "openssl", json_object_new_string(openssl_version()));
	/* libfcgi has no version call; the build may pass what pkg-config said. */
#ifdef CAL_FCGI_VERSION
	json_object_object_add(o, "libfcgi", json_object_new_string(CAL_FCGI_VERSION));
#endif
	return o;
}

struct json_object *cal_version_json(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "name", json_object_new_string(PACKAGE_NAME));
	json_object_object_add(o, "version", json_object_new_string(cal_version()));
	json_object_object_add(o, "git_commit", json_object_new_string(cal_version_commit()));
	json_object_object_add(o, "build_date", json_object_new_string(cal_version_build_date()));
	json_object_object_add(o, "libraries", cal_version_libraries());
	return o;
}
