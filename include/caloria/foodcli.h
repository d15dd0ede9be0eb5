/*
 * The `caloria food "<text>"` operator command (SPEC §11): loads the food tables from a data directory and
 * prints the offline analysis of a description, as a table or (--json) as the caloria.analysis object.
 */
#ifndef CALORIA_FOODCLI_H
#define CALORIA_FOODCLI_H

/*
 * argv holds the words after "food": options (--json, --check, --help) and the text, whose words are
 * joined with spaces. Prints to stdout, problems to stderr. Returns the process exit status: 0 on a
 * completed analysis (even when nothing matched, which prints status food_unclear), 1 when the tables
 * cannot be loaded, 2 on a usage error.
 */
int cal_foodcli_main(const char *data_dir, int argc, char **argv);

#endif
