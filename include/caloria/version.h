/*
 * What this binary is: package version, the git commit it was configured from, when it was built, and the
 * versions of the libraries it runs against (read at run time, so a library upgrade shows without a
 * rebuild). Used by `caloria version`, GET /health/version and the admin system-status page.
 */
#ifndef CALORIA_VERSION_H
#define CALORIA_VERSION_H

struct json_object;

/* "0.1.0" */
const char *cal_version(void);
/* Short git commit, "unknown" when built outside a checkout. */
const char *cal_version_commit(void);
/* Build time as ISO 8601 ("2025-01-31T14:05:09"), from CAL_BUILD_DATE when the build defines it. */
const char *cal_version_build_date(void);
/* New object {"json-c": "0.16", "mariadb_client": "3.3.8", "libcurl": "7.88.1", "openssl": "3.0.15", …}. */
struct json_object *cal_version_libraries(void);
/* New object {"name": "caloria", "version", "git_commit", "build_date", "libraries"} (SPEC §13). */
struct json_object *cal_version_json(void);

#endif
