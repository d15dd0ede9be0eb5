/*
 * Unit tests of the migration file handling that needs no server: which file names are migrations, and how
 * a script is cut into statements (quotes, comments, line numbers). migrate.c is included to reach its
 * static helpers.
 */
#include "../../src/migrate.c"

#include <criterion/criterion.h>

Test(migrate_names, only_numbered_sql_files_are_migrations)
{
	cr_assert_eq(file_version("0001_init.sql"), 1);
	cr_assert_eq(file_version("0042_add_jobs.sql"), 42);
	cr_assert_eq(file_version("9999_x.sql"), 9999);
	cr_assert_eq(file_version("0000_zero.sql"), -1, "0 means none applied");
	cr_assert_eq(file_version("001_short.sql"), -1);
	cr_assert_eq(file_version("0001-init.sql"), -1);
	cr_assert_eq(file_version("0001_init.sql~"), -1);
	cr_assert_eq(file_version("0001_init.SQL"), -1);
	cr_assert_eq(file_version("abcd_init.sql"), -1);
	cr_assert_eq(file_version("README.md"), -1);
	cr_assert_eq(file_version("0001_.sql"), -1, "a migration needs a name");
}

/* Splits text and returns the statements (NULL-terminated, malloc'd) with their start lines. */
static char **split(const char *text, int *lines, int max)
{
	char **out = calloc((size_t)max + 1, sizeof *out);
	size_t pos = 0;
	int line = 1, start = 0, n = 0;
	char *s;

	while ((s = next_statement(text, &pos, &line, &start)) != NULL) {
		cr_assert_lt(n, max, "too many statements");
		lines[n] = start;
		out[n++] = s;
	}
	return out;
}

static void free_split(char **v)
{
	for (int i = 0; v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

Test(migrate_split, cuts_at_semicolons_that_end_a_line)
{
	int lines[8];
	char **v = split("CREATE TABLE a (x INT);\n\nINSERT INTO a VALUES (1);  -- trailing comment\n"
			 "SELECT 1; SELECT 2;\n", lines, 8);

	cr_assert_str_eq(v[0], "CREATE TABLE a (x INT)");
	cr_assert_eq(lines[0], 1);
	cr_assert_str_eq(v[1], "INSERT INTO a VALUES (1)");
	cr_assert_eq(lines[1], 3);
	cr_assert_str_eq(v[2], "SELECT 1; SELECT 2", "a ';' inside a line does not split");
	cr_assert_eq(lines[2], 4);
	cr_assert_null(v[3]);
	free_split(v);
}

Test(migrate_split, ignores_semicolons_in_quotes_and_comments)
{
	int lines[8];
	char **v = split("-- header; comment\n"
			 "# another;\n"
			 "/* block;\n comment; */\n"
			 "INSERT INTO t VALUES ('a;\n', \"b;\n\", `c;\n`, 'it''s;\n', 'esc\\';\n');\n"
			 "SELECT 1", lines, 8);

	cr_assert_str_eq(v[0], "INSERT INTO t VALUES ('a;\n', \"b;\n\", `c;\n`, 'it''s;\n', 'esc\\';\n')");
	cr_assert_eq(lines[0], 5, "comments before a statement do not count as its start");
	cr_assert_str_eq(v[1], "SELECT 1", "the last statement needs no semicolon");
	cr_assert_eq(lines[1], 11);
	cr_assert_null(v[2]);
	free_split(v);
}

Test(migrate_split, comment_only_and_empty_scripts_have_no_statements)
{
	int lines[4];
	char **v = split("-- nothing here;\n\n/* nor; here */\n;\n   \n", lines, 4);

	cr_assert_null(v[0]);
	free_split(v);
	v = split("", lines, 4);
	cr_assert_null(v[0]);
	free_split(v);
}

Test(migrate_split, unterminated_quote_runs_to_the_end)
{
	int lines[4];
	char **v = split("SELECT 'open;\nstill open;\n", lines, 4);

	cr_assert_str_eq(v[0], "SELECT 'open;\nstill open;\n");
	cr_assert_null(v[1]);
	free_split(v);
}

Test(migrate_split, double_dash_needs_a_space_to_be_a_comment)
{
	int lines[4];
	char **v = split("SELECT 5--1;\nSELECT 2;\n", lines, 4);

	cr_assert_str_eq(v[0], "SELECT 5--1", "5--1 is arithmetic, not a comment");
	cr_assert_str_eq(v[1], "SELECT 2");
	free_split(v);
}

Test(migrate_split, splits_the_project_schema)
{
	FILE *f = fopen(SCHEMA_DIR "/0001_init.sql", "r");
	static char text[1 << 16];
	size_t n;
	int lines[64], count = 0;
	char **v;

	cr_assert_not_null(f, "cannot open %s", SCHEMA_DIR "/0001_init.sql");
	n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	v = split(text, lines, 64);
	for (; v[count] != NULL; count++)
		cr_assert(strncmp(v[count], "CREATE TABLE IF NOT EXISTS ", 27) == 0, "statement %d: %.60s", count,
			  v[count]);
	cr_assert_geq(count, 13, "every table of the schema is a statement (got %d)", count);
	free_split(v);
}
