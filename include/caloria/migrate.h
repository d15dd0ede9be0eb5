/*
 * Schema migrations (SPEC §14, §11 `caloria migrate`): files schema/NNNN_name.sql applied in order, each
 * recorded in schema_migrations with its checksum so it runs exactly once.
 */
#ifndef CALORIA_MIGRATE_H
#define CALORIA_MIGRATE_H

#include <stdio.h>

#include "caloria/db.h"

typedef struct cal_migration_status {
	int latest_available; /* highest NNNN found in the directory */
	int latest_applied;   /* highest NNNN recorded, 0 when none */
	int pending;          /* files not yet applied */
} cal_migration_status;

/* Applies pending migrations from dir; prints one line per applied file to out (may be NULL). */
cal_err cal_migrate_apply(cal_db *db, const char *dir, FILE *out);
cal_err cal_migrate_status(cal_db *db, const char *dir, cal_migration_status *st, FILE *out);

#endif
