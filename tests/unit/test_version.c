/* Unit tests of version.c: the facts `caloria version` and /health/version report. */
#include "config.h"

#include <string.h>

#include <criterion/criterion.h>
#include <json-c/json.h>

#include "caloria/version.h"

Test(version, reports_name_version_commit_date_and_libraries)
{
	struct json_object *v = cal_version_json(), *libs, *x;
	const char *date = cal_version_build_date();

	cr_assert_str_eq(cal_version(), PACKAGE_VERSION);
	cr_assert_neq(strlen(cal_version_commit()), 0);
	/* ISO 8601: "2025-01-31T14:05:09" */
	cr_assert_eq(strlen(date), 19, "%s", date);
	cr_assert_eq(date[4], '-');
	cr_assert_eq(date[10], 'T');
	cr_assert(json_object_object_get_ex(v, "name", &x));
	cr_assert_str_eq(json_object_get_string(x), "caloria");
	cr_assert(json_object_object_get_ex(v, "version", &x));
	cr_assert_str_eq(json_object_get_string(x), PACKAGE_VERSION);
	cr_assert(json_object_object_get_ex(v, "git_commit", &x));
	cr_assert(json_object_object_get_ex(v, "build_date", &x));
	cr_assert(json_object_object_get_ex(v, "libraries", &libs));
	const char *names[] = {"json-c", "mariadb_client", "libcurl", "openssl"};
	for (size_t i = 0; i < 4; i++) {
		cr_assert(json_object_object_get_ex(libs, names[i], &x), "missing %s", names[i]);
		cr_assert(strlen(json_object_get_string(x)) > 0);
		cr_assert(strchr(json_object_get_string(x), '.') != NULL, "%s version looks like x.y", names[i]);
	}
	json_object_put(v);
}
