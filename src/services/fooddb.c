/*
 * The food tables (SPEC §7.1): loads data/usda_sr24.tsv, data/aliases.csv and data/recipes.csv once per
 * worker, validates them, and answers lookups by NDB id, folded alias name and recipe name.
 *
 * Everything the loader keeps lives in a few flat arrays plus one string pool. The pool is sized up front
 * from the file sizes (a folded or unescaped string is never longer than its source bytes), so it never
 * moves and the pointers handed out stay valid until cal_fooddb_free(). Lookups go through small
 * open-addressing hash tables over (pointer, length) keys; a load of the full tables takes a few ms.
 *
 * Validation reports every problem as "file:line: message" rather than stopping at the first, so an editor
 * of aliases.csv sees all mistakes in one run. The kcal consistency rule (|kcal − (4p + 4c + 9f)| within
 * max(25 kcal, 20 %), fibre-aware variant allowed, see kcal_consistent) is an error for foods an alias points at and only a counted outlier elsewhere in SR24:
 * SR24 itself uses food-specific Atwater factors, so a few hundred of its rows legitimately sit outside.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "caloria/fooddb.h"
#include "caloria/mem.h"

#define MAX_FIELDS 16
#define MAX_ERRORS 200          /* enough to fix a file; more lines would hide the first ones */
#define PORTION_MAX_G 3000.0
#define KCAL_TOL_ABS 25.0
#define KCAL_TOL_REL 0.20
#define ALCOHOL_MAX_KCAL 320.0  /* 7 kcal/g × ~45 g alcohol per 100 g (strong spirits) */
#define LIQUID_RECIPE_SHARE 0.8

typedef struct slot {
	const char *key; /* NULL = empty */
	uint32_t len;
	uint32_t idx;
} slot;

/* One word of the alias vocabulary for typo matching: its letters as a bit set prune most comparisons. */
typedef struct vword {
	const char *w;
	uint32_t len;
	uint32_t letters;
} vword;

typedef struct htab {
	slot *slots;
	size_t cap; /* power of two */
	size_t n;
} htab;

struct cal_fooddb {
	char *pool;
	size_t pool_len, pool_cap;
	cal_food *foods;           /* SR24 rows first, then recipes */
	size_t nfoods, nsr24, foods_cap;
	cal_food_measure *measures;
	size_t nmeasures, measures_cap;
	size_t *mstart;            /* per food: first measure index, fixed up into pointers at the end */
	cal_food_alias *aliases;
	size_t naliases, aliases_cap;
	htab by_ndb, by_alias, by_recipe, vocab;
	size_t max_words;
	size_t outliers;
	vword *vwords;             /* the vocabulary sorted by length, for cal_fooddb_near_word */
	size_t nvwords;
	size_t vlen_start[65];     /* first vword of each length (lengths ≥ 64 are never typo-matched) */
};

typedef struct loader {
	cal_fooddb *db;
	FILE *errs;
	const char *file;
	size_t line;
	size_t nerr;
} loader;

typedef struct field {
	const char *s;
	size_t len;
} field;

static void lerr(loader *ld, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void lerr(loader *ld, const char *fmt, ...)
{
	ld->nerr++;
	if (ld->errs == NULL || ld->nerr > MAX_ERRORS)
		return;
	va_list ap;
	va_start(ap, fmt);
	if (ld->line > 0)
		fprintf(ld->errs, "%s:%zu: ", ld->file, ld->line);
	else
		fprintf(ld->errs, "%s: ", ld->file);
	vfprintf(ld->errs, fmt, ap);
	fputc('\n', ld->errs);
	va_end(ap);
}

/* ---- folding ---------------------------------------------------------------------------------------- */

/* U+0100–U+017F (Latin Extended-A) to their base letters, in code point order. */
static const char latin_ext_a[] =
	"aaaaaaccccccccddddeeeeeeeeeegggggggghhhhiiiiiiiiiiiijjkkkllllllllllnnnnnnnnnoooooooorrrrrrssssssss"
	"ttttttuuuuuuuuuuuuwwyyyzzzzzzs";
_Static_assert(sizeof latin_ext_a == 129, "one letter per code point U+0100..U+017F");

/* U+00C0–U+00FF to base letters; ' ' for × and ÷. */
static const char latin1_sup[] = "aaaaaaaceeeeiiiidnooooo ouuuuyts"
				 "aaaaaaaceeeeiiiidnooooo ouuuuyty";
_Static_assert(sizeof latin1_sup == 65, "one letter per code point U+00C0..U+00FF");

static unsigned utf8_decode(const unsigned char **p, const unsigned char *end)
{
	const unsigned char *s = *p;
	unsigned c = s[0];
	size_t n;
	unsigned min;
	if (c < 0x80) {
		*p = s + 1;
		return c;
	} else if (c >= 0xC2 && c <= 0xDF) {
		n = 1, c &= 0x1F, min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 2, c &= 0x0F, min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 3, c &= 0x07, min = 0x10000;
	} else {
		*p = s + 1;
		return 0xFFFD;
	}
	if ((size_t)(end - s) < n + 1) {
		*p = s + 1;
		return 0xFFFD;
	}
	for (size_t i = 1; i <= n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*p = s + 1;
			return 0xFFFD;
		}
		c = (c << 6) | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
		*p = s + 1;
		return 0xFFFD;
	}
	*p = s + n + 1;
	return c;
}

int cal_fooddb_fold_next(const char **p, const char *end, unsigned *cp)
{
	const unsigned char *s = (const unsigned char *)*p;
	unsigned c = utf8_decode(&s, (const unsigned char *)end);
	*p = (const char *)s;
	if (cp != NULL)
		*cp = c;
	if (c < 0x80)
		return (c >= 'A' && c <= 'Z') ? (int)(c - 'A' + 'a') : (int)c;
	if (c >= 0xC0 && c <= 0xFF)
		return latin1_sup[c - 0xC0];
	if (c >= 0x100 && c <= 0x17F)
		return latin_ext_a[c - 0x100];
	return ' ';
}

bool cal_fooddb_inner_apostrophe(unsigned cp, size_t before, const char *next, const char *end)
{
	unsigned ncp;
	if ((cp != '\'' && cp != 0x2019 && cp != '&') || before == 0 || next >= end)
		return false;
	int c = cal_fooddb_fold_next(&next, end, &ncp);
	return c >= 'a' && c <= 'z';
}

size_t cal_fooddb_fold(const char *s, size_t len, char *out, size_t cap)
{
	const char *end = s + len;
	size_t n = 0, word = 0;
	bool space = false;
	while (s < end && n + 1 < cap) {
		unsigned cp;
		int c = cal_fooddb_fold_next(&s, end, &cp);
		if (!space && cal_fooddb_inner_apostrophe(cp, word, s, end))
			continue;
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			word = space ? 0 : word;
			word++;
			if (space && n > 0 && n + 2 < cap)
				out[n++] = ' ';
			space = false;
			out[n++] = (char)c;
		} else {
			space = true;
		}
	}
	out[n] = '\0';
	return n;
}

/* ---- hash tables ------------------------------------------------------------------------------------ */

static uint64_t hash_bytes(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (size_t i = 0; i < len; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static void htab_init(htab *t, size_t expect)
{
	size_t cap = 16;
	while (cap < expect * 2 + 1)
		cap *= 2;
	t->slots = cal_calloc(cap, sizeof *t->slots);
	t->cap = cap;
	t->n = 0;
}

static void htab_free(htab *t)
{
	free(t->slots);
	t->slots = NULL;
	t->cap = t->n = 0;
}

static slot *htab_find(const htab *t, const char *key, size_t len)
{
	if (t->cap == 0)
		return NULL;
	size_t mask = t->cap - 1;
	for (size_t i = hash_bytes(key, len) & mask;; i = (i + 1) & mask) {
		slot *sl = &t->slots[i];
		if (sl->key == NULL)
			return sl;
		if (sl->len == len && memcmp(sl->key, key, len) == 0)
			return sl;
	}
}

static void htab_grow(htab *t)
{
	htab bigger;
	htab_init(&bigger, t->cap);
	for (size_t i = 0; i < t->cap; i++) {
		if (t->slots[i].key != NULL)
			*htab_find(&bigger, t->slots[i].key, t->slots[i].len) = t->slots[i];
	}
	bigger.n = t->n;
	free(t->slots);
	*t = bigger;
}

/* Inserts key → idx; returns false (and leaves the table alone) when the key is already there. */
static bool htab_put(htab *t, const char *key, size_t len, size_t idx)
{
	if ((t->n + 1) * 2 > t->cap)
		htab_grow(t);
	slot *sl = htab_find(t, key, len);
	if (sl->key != NULL)
		return false;
	sl->key = key;
	sl->len = (uint32_t)len;
	sl->idx = (uint32_t)idx;
	t->n++;
	return true;
}

static const slot *htab_get(const htab *t, const char *key, size_t len)
{
	const slot *sl = htab_find(t, key, len);
	return (sl != NULL && sl->key != NULL) ? sl : NULL;
}

/* ---- pool and growable arrays ----------------------------------------------------------------------- */

static char *pool_add(cal_fooddb *db, const char *s, size_t len)
{
	if (len + 1 > db->pool_cap - db->pool_len)
		cal_oom(len + 1); /* cannot happen: the pool is sized from the inputs */
	char *p = db->pool + db->pool_len;
	memcpy(p, s, len);
	p[len] = '\0';
	db->pool_len += len + 1;
	return p;
}

static char *pool_add_folded(cal_fooddb *db, const char *s, size_t len, size_t *outlen)
{
	if (len + 1 > db->pool_cap - db->pool_len)
		cal_oom(len + 1);
	char *p = db->pool + db->pool_len;
	size_t n = cal_fooddb_fold(s, len, p, len + 1);
	db->pool_len += n + 1;
	*outlen = n;
	return p;
}

#define GROW(arr, n, cap)                                                          \
	do {                                                                       \
		if ((n) == (cap)) {                                                \
			(cap) = (cap) ? (cap) * 2 : 64;                            \
			(arr) = cal_reallocarray((arr), (cap), sizeof *(arr));     \
		}                                                                  \
	} while (0)

/* Index of the next food; the foods array and its measure-start array grow together. */
static size_t food_reserve(cal_fooddb *db)
{
	if (db->nfoods == db->foods_cap) {
		db->foods_cap = db->foods_cap ? db->foods_cap * 2 : 1024;
		db->foods = cal_reallocarray(db->foods, db->foods_cap, sizeof *db->foods);
		db->mstart = cal_reallocarray(db->mstart, db->foods_cap, sizeof *db->mstart);
	}
	return db->nfoods;
}

/* ---- field and number parsing ----------------------------------------------------------------------- */

static bool field_eq(field f, const char *s)
{
	return f.len == strlen(s) && memcmp(f.s, s, f.len) == 0;
}

/*
 * Strict non-negative decimal with '.'; rejects empty, signs, exponents, inf/nan and trailing junk.
 * Up to 15 significant digits the value is mantissa / 10^k: both exact in a double, so the one division
 * rounds correctly and equals strtod's result, at a fraction of its cost (the tables hold ~90,000 numbers).
 */
static bool parse_num(field f, double *out)
{
	static const double pow10[] = { 1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12,
					1e13, 1e14, 1e15 };
	uint64_t mant = 0;
	size_t digits = 0, frac = 0;
	bool dot = false;
	if (f.len == 0 || f.len >= 64)
		return false;
	for (size_t i = 0; i < f.len; i++) {
		char c = f.s[i];
		if (c == '.') {
			if (dot)
				return false;
			dot = true;
		} else if (c >= '0' && c <= '9') {
			mant = mant * 10 + (uint64_t)(c - '0');
			digits++;
			frac += dot;
		} else {
			return false;
		}
	}
	if (digits == 0)
		return false;
	if (digits <= 15) {
		*out = (double)mant / pow10[frac];
		return true;
	}
	char tmp[64];
	memcpy(tmp, f.s, f.len);
	tmp[f.len] = '\0';
	char *end = NULL;
	errno = 0;
	double v = strtod(tmp, &end);
	if (errno != 0 || end != tmp + f.len || !isfinite(v))
		return false;
	*out = v;
	return true;
}

static size_t split_tsv(char *line, size_t len, field *fs, size_t max)
{
	size_t n = 0;
	size_t start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || line[i] == '\t') {
			if (n < max)
				fs[n] = (field){ line + start, i - start };
			n++;
			start = i + 1;
		}
	}
	return n;
}

/*
 * One CSV line: fields separated by ',', optionally double-quoted (then "" is a quote). Unquoting happens in
 * place, which only ever shrinks the line. Returns the field count, or (size_t)-1 for a broken quote.
 */
static size_t split_csv(char *line, size_t len, field *fs, size_t max)
{
	size_t n = 0;
	size_t i = 0;
	for (;;) {
		char *start = line + i;
		size_t flen = 0;
		if (i < len && line[i] == '"') {
			i++;
			char *w = start;
			for (;;) {
				if (i >= len)
					return (size_t)-1;
				if (line[i] == '"') {
					if (i + 1 < len && line[i + 1] == '"') {
						w[flen++] = '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				w[flen++] = line[i++];
			}
			if (i < len && line[i] != ',')
				return (size_t)-1;
		} else {
			while (i < len && line[i] != ',') {
				if (line[i] == '"')
					return (size_t)-1;
				i++;
				flen++;
			}
		}
		if (n < max)
			fs[n] = (field){ start, flen };
		n++;
		if (i >= len)
			break;
		i++; /* the comma */
	}
	return n;
}

static char *read_file(const char *path, size_t *len, loader *ld)
{
	FILE *f = NULL;
	char *buf = NULL;
	f = fopen(path, "rb");
	if (f == NULL) {
		lerr(ld, "cannot open: %s", strerror(errno));
		goto fail;
	}
	if (fseek(f, 0, SEEK_END) != 0) {
		lerr(ld, "cannot seek: %s", strerror(errno));
		goto fail;
	}
	long size = ftell(f);
	if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
		lerr(ld, "cannot size: %s", strerror(errno));
		goto fail;
	}
	buf = cal_malloc((size_t)size + 1);
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		lerr(ld, "short read");
		goto fail;
	}
	buf[size] = '\0';
	*len = (size_t)size;
	fclose(f);
	return buf;
fail:
	if (f != NULL)
		fclose(f);
	free(buf);
	return NULL;
}

/* Next line of buf (NUL-terminated in place, CR stripped); NULL at the end. */
static char *next_line(char **cur, char *end, size_t *len)
{
	if (*cur >= end)
		return NULL;
	char *line = *cur;
	char *nl = memchr(line, '\n', (size_t)(end - line));
	char *stop = nl ? nl : end;
	*cur = nl ? nl + 1 : end;
	if (stop > line && stop[-1] == '\r')
		stop--;
	*stop = '\0';
	*len = (size_t)(stop - line);
	return line;
}

/* ---- food classification ---------------------------------------------------------------------------- */

static bool has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * Drinks and alcoholic drinks, from the SR24 naming conventions ("Alcoholic beverage, …", "Beverages, …",
 * "… juice") and from a fluid-ounce household measure, which SR24 gives only for liquids.
 */
static unsigned classify(const char *desc, const cal_food_measure *m, size_t nm)
{
	static const char *const drink_prefix[] = { "beverages", "carbonated beverage", "water,", "energy drink",
						    "tea,", "coffee,", "milk, whole", "milk, reduced fat",
						    "milk, lowfat", "milk, nonfat", "milk, fluid" };
	unsigned flags = 0;
	if ((has_prefix_ci(desc, "alcoholic beverage") && strstr(desc, "non-alcoholic") == NULL) ||
	    has_prefix_ci(desc, "beer,") || has_prefix_ci(desc, "wine,") || has_prefix_ci(desc, "liqueur"))
		flags |= CAL_FOOD_ALCOHOLIC | CAL_FOOD_LIQUID;
	for (size_t i = 0; i < sizeof drink_prefix / sizeof *drink_prefix; i++) {
		if (has_prefix_ci(desc, drink_prefix[i]))
			flags |= CAL_FOOD_LIQUID;
	}
	if ((strstr(desc, "juice") != NULL || strstr(desc, "Juice") != NULL) && strstr(desc, "concentrate") == NULL)
		flags |= CAL_FOOD_LIQUID;
	if (strstr(desc, "milk") != NULL || strstr(desc, "Milk") != NULL)
		flags |= CAL_FOOD_HAS_MILK;
	for (size_t i = 0; i < nm; i++) {
		if (strstr(m[i].desc, "fl oz") != NULL)
			flags |= CAL_FOOD_LIQUID;
	}
	return flags;
}

/*
 * Energy check for one food; true when the values agree (or cannot be checked). SR24 counts fibre inside
 * carbohydrate "by difference", and fibre yields ~2 kcal/g, not 4: dried herbs and spices (black pepper,
 * oregano: 25–43 g fibre/100 g) fail 4p + 4c + 9f yet are right. So either the plain formula or the
 * fibre-aware one, 4p + 4(c − fibre) + 2·fibre + 9f, within max(25 kcal, 20 %) passes.
 */
static bool kcal_consistent(const cal_food *f, double *atwater_out)
{
	unsigned need = CAL_NUT_KCAL | CAL_NUT_PROTEIN | CAL_NUT_CARBS | CAL_NUT_FAT;
	const cal_nutrients *n = &f->per100;
	double atwater = 4 * n->protein_g + 4 * n->carbs_g + 9 * n->fat_g;
	double fibre = (f->known & CAL_NUT_FIBER) ? fmin(n->fiber_g, n->carbs_g) : 0;
	double fibre_aware = atwater - 2 * fibre;
	*atwater_out = atwater;
	if ((f->known & need) != need)
		return true;
	double tol = fmax(KCAL_TOL_ABS, KCAL_TOL_REL * n->kcal);
	if (f->flags & CAL_FOOD_ALCOHOLIC)
		return n->kcal >= fibre_aware - tol && n->kcal <= atwater + ALCOHOL_MAX_KCAL + tol;
	return fabs(n->kcal - atwater) <= tol || fabs(n->kcal - fibre_aware) <= tol;
}

/* ---- usda_sr24.tsv ---------------------------------------------------------------------------------- */

static const char *const tsv_header[] = { "ndb_id", "description", "kcal", "protein_g", "carbs_g", "fat_g",
					  "fiber_g", "sugars_g", "sodium_mg", "satfat_g", "measures" };
#define TSV_COLS (sizeof tsv_header / sizeof *tsv_header)

static void parse_measures(loader *ld, cal_food *food, size_t fi, field f)
{
	cal_fooddb *db = ld->db;
	db->mstart[fi] = db->nmeasures;
	size_t start = 0;
	for (size_t i = 0; i <= f.len && f.len > 0; i++) {
		if (i < f.len && f.s[i] != '|')
			continue;
		field one = { f.s + start, i - start };
		start = i + 1;
		const char *eq = NULL;
		for (size_t k = 0; k < one.len; k++) {
			if (one.s[k] == '=')
				eq = one.s + k;
		}
		double g;
		if (eq == NULL || eq == one.s ||
		    !parse_num((field){ eq + 1, (size_t)(one.s + one.len - eq - 1) }, &g) || g <= 0) {
			lerr(ld, "bad measure \"%.*s\" (want desc=grams, grams > 0)", (int)one.len, one.s);
			continue;
		}
		GROW(db->measures, db->nmeasures, db->measures_cap);
		db->measures[db->nmeasures++] = (cal_food_measure){ pool_add(db, one.s, (size_t)(eq - one.s)), g };
	}
	food->nmeasures = db->nmeasures - db->mstart[fi];
}

static bool header_ok(loader *ld, const field *fs, size_t n, const char *const *want, size_t nwant)
{
	bool ok = n == nwant;
	for (size_t i = 0; ok && i < n; i++)
		ok = field_eq(fs[i], want[i]);
	if (!ok) {
		char expect[256] = "";
		for (size_t i = 0; i < nwant; i++) {
			strncat(expect, want[i], sizeof expect - strlen(expect) - 1);
			if (i + 1 < nwant)
				strncat(expect, ",", sizeof expect - strlen(expect) - 1);
		}
		lerr(ld, "wrong header (want %s)", expect);
	}
	return ok;
}

static void load_tsv_row(loader *ld, field *fs, size_t n)
{
	cal_fooddb *db = ld->db;
	if (n != TSV_COLS) {
		lerr(ld, "%zu columns, want %zu", n, TSV_COLS);
		return;
	}
	bool id_ok = fs[0].len == 5;
	for (size_t i = 0; id_ok && i < 5; i++)
		id_ok = isdigit((unsigned char)fs[0].s[i]);
	if (!id_ok) {
		lerr(ld, "ndb_id \"%.*s\" is not 5 digits", (int)(fs[0].len > 20 ? 20 : fs[0].len), fs[0].s);
		return;
	}
	if (fs[1].len == 0) {
		lerr(ld, "empty description");
		return;
	}
	cal_food food = { 0 };
	memcpy(food.ndb_id, fs[0].s, 5);
	double *vals = &food.per100.kcal;
	for (size_t c = 0; c < 8; c++) {
		if (fs[2 + c].len == 0)
			continue;
		if (!parse_num(fs[2 + c], &vals[c])) {
			lerr(ld, "%s: bad number \"%.*s\"", tsv_header[2 + c], (int)(fs[2 + c].len > 20 ? 20 : fs[2 + c].len),
			     fs[2 + c].s);
			return;
		}
		food.known |= 1u << c;
	}
	size_t fi = food_reserve(db);
	char *id = pool_add(db, food.ndb_id, 5);
	if (!htab_put(&db->by_ndb, id, 5, fi)) {
		lerr(ld, "duplicate ndb_id %s", food.ndb_id);
		return;
	}
	food.description = pool_add(db, fs[1].s, fs[1].len);
	parse_measures(ld, &food, fi, fs[10]);
	food.flags = classify(food.description, food.nmeasures ? db->measures + db->mstart[fi] : NULL, food.nmeasures);
	db->foods[fi] = food;
	db->nfoods++;
	double atwater;
	if (!kcal_consistent(&db->foods[fi], &atwater))
		db->outliers++;
}

static void load_tsv(loader *ld, char *buf, size_t len)
{
	char *cur = buf, *end = buf + len, *line;
	size_t llen;
	field fs[MAX_FIELDS];
	ld->line = 0;
	while ((line = next_line(&cur, end, &llen)) != NULL) {
		ld->line++;
		size_t n = split_tsv(line, llen, fs, MAX_FIELDS);
		if (ld->line == 1) {
			if (!header_ok(ld, fs, n, tsv_header, TSV_COLS))
				return;
			continue;
		}
		if (llen == 0)
			continue;
		load_tsv_row(ld, fs, n);
	}
	if (ld->line == 0)
		lerr(ld, "empty file");
	ld->db->nsr24 = ld->db->nfoods;
}

/* ---- recipes.csv ------------------------------------------------------------------------------------ */

static const char *const recipe_header[] = { "recipe", "ndb_id", "grams", "source" };

typedef struct recipe_acc {
	double grams;      /* total */
	double liquid_g;   /* from liquid ingredients */
	double sums[8];    /* nutrient amounts, not per 100 g */
	unsigned known;    /* nutrients known for every ingredient */
	size_t first_line;
	bool bad;
} recipe_acc;

static void load_recipe_row(loader *ld, field *fs, size_t n, recipe_acc **acc, size_t *acc_cap)
{
	cal_fooddb *db = ld->db;
	if (n != 4) {
		lerr(ld, "%zu columns, want 4", n);
		return;
	}
	size_t flen;
	char *name = pool_add_folded(db, fs[0].s, fs[0].len, &flen);
	if (flen == 0) {
		lerr(ld, "empty recipe name");
		return;
	}
	char id[6] = "";
	if (fs[1].len != 5) {
		lerr(ld, "ndb_id \"%.*s\" is not 5 digits", (int)(fs[1].len > 20 ? 20 : fs[1].len), fs[1].s);
		return;
	}
	memcpy(id, fs[1].s, 5);
	const cal_food *ing = cal_fooddb_by_ndb(db, id);
	double grams;
	if (!parse_num(fs[2], &grams) || grams <= 0) {
		lerr(ld, "grams \"%.*s\" must be a number > 0", (int)(fs[2].len > 20 ? 20 : fs[2].len), fs[2].s);
		grams = 0;
	}
	const slot *sl = htab_get(&db->by_recipe, name, flen);
	size_t fi;
	if (sl == NULL) {
		fi = food_reserve(db);
		db->nfoods++;
		db->foods[fi] = (cal_food){ .description = pool_add(db, fs[0].s, fs[0].len), .flags = CAL_FOOD_RECIPE };
		db->mstart[fi] = 0;
		htab_put(&db->by_recipe, name, flen, fi);
		size_t ri = fi - db->nsr24;
		while (ri >= *acc_cap) {
			size_t old = *acc_cap;
			*acc_cap = old ? old * 2 : 32;
			*acc = cal_reallocarray(*acc, *acc_cap, sizeof **acc);
			memset(*acc + old, 0, (*acc_cap - old) * sizeof **acc);
		}
		(*acc)[ri].known = ~0u;
		(*acc)[ri].first_line = ld->line;
	} else {
		fi = sl->idx;
	}
	recipe_acc *r = &(*acc)[fi - db->nsr24];
	if (ing == NULL) {
		lerr(ld, "recipe \"%.*s\": ingredient ndb_id %s is not in usda_sr24.tsv", (int)fs[0].len, fs[0].s, id);
		r->bad = true;
		return;
	}
	if (grams <= 0) {
		r->bad = true;
		return;
	}
	const double *v = &ing->per100.kcal;
	for (size_t c = 0; c < 8; c++)
		r->sums[c] += v[c] * grams / 100.0;
	r->known &= ing->known;
	r->grams += grams;
	if (ing->flags & CAL_FOOD_LIQUID)
		r->liquid_g += grams;
	if (ing->flags & CAL_FOOD_ALCOHOLIC)
		db->foods[fi].flags |= CAL_FOOD_ALCOHOLIC;
	if (has_prefix_ci(ing->description, "milk"))
		db->foods[fi].flags |= CAL_FOOD_HAS_MILK;
}

static void finish_recipes(loader *ld, recipe_acc *acc)
{
	cal_fooddb *db = ld->db;
	for (size_t fi = db->nsr24; fi < db->nfoods; fi++) {
		recipe_acc *r = &acc[fi - db->nsr24];
		cal_food *f = &db->foods[fi];
		ld->line = r->first_line;
		if (r->bad)
			continue;
		if (r->grams <= 0) {
			lerr(ld, "recipe \"%s\": total grams must be > 0", f->description);
			continue;
		}
		double *v = &f->per100.kcal;
		for (size_t c = 0; c < 8; c++)
			v[c] = r->sums[c] / r->grams * 100.0;
		f->known = r->known & 0xFFu;
		if (r->liquid_g >= LIQUID_RECIPE_SHARE * r->grams)
			f->flags |= CAL_FOOD_LIQUID;
	}
}

/*
 * Walks a CSV file (aliases.csv, recipes.csv): skips blank and '#' lines, reports broken quoting, checks
 * the header line, and hands every data row to row(). Returns false when the header is wrong (reported).
 */
static bool each_csv_row(loader *ld, char *buf, size_t len, const char *const *want, size_t nwant,
			 void (*row)(loader *ld, field *fs, size_t n, void *arg), void *arg)
{
	char *cur = buf, *end = buf + len, *line;
	size_t llen;
	field fs[MAX_FIELDS];
	bool header = false;

	ld->line = 0;
	while ((line = next_line(&cur, end, &llen)) != NULL) {
		ld->line++;
		if (llen == 0 || line[0] == '#')
			continue;
		size_t n = split_csv(line, llen, fs, MAX_FIELDS);
		if (n == (size_t)-1) {
			lerr(ld, "broken double quotes");
			continue;
		}
		if (!header) {
			if (!header_ok(ld, fs, n, want, nwant))
				return false;
			header = true;
			continue;
		}
		row(ld, fs, n, arg);
	}
	if (!header) {
		ld->line = 0;
		lerr(ld, "empty file");
	}
	return true;
}

struct recipe_rows {
	recipe_acc *acc;
	size_t cap;
};

static void recipe_row(loader *ld, field *fs, size_t n, void *arg)
{
	struct recipe_rows *r = arg;

	load_recipe_row(ld, fs, n, &r->acc, &r->cap);
}

static void load_recipes(loader *ld, char *buf, size_t len)
{
	struct recipe_rows r = {NULL, 0};

	if (each_csv_row(ld, buf, len, recipe_header, 4, recipe_row, &r))
		finish_recipes(ld, r.acc);
	free(r.acc);
}

/* ---- aliases.csv ------------------------------------------------------------------------------------ */

static const char *const alias_header[] = { "name", "lang", "target", "portion_g", "portion_desc", "cup_g" };

static void add_words(cal_fooddb *db, const char *name, size_t len)
{
	size_t words = 0;
	size_t i = 0;
	while (i < len) {
		size_t j = i;
		while (j < len && name[j] != ' ')
			j++;
		htab_put(&db->vocab, name + i, j - i, 0);
		words++;
		i = j + 1;
	}
	if (words > db->max_words)
		db->max_words = words;
}

static const cal_food *alias_target(loader *ld, field t)
{
	cal_fooddb *db = ld->db;
	if (t.len == 9 && memcmp(t.s, "ndb:", 4) == 0) {
		char id[6];
		memcpy(id, t.s + 4, 5);
		id[5] = '\0';
		const cal_food *f = cal_fooddb_by_ndb(db, id);
		if (f == NULL)
			lerr(ld, "target ndb:%s: ndb id not in usda_sr24.tsv", id);
		return f;
	}
	if (t.len > 7 && memcmp(t.s, "recipe:", 7) == 0) {
		char folded[256];
		size_t n = cal_fooddb_fold(t.s + 7, t.len - 7, folded, sizeof folded);
		const cal_food *f = cal_fooddb_recipe(db, folded, n);
		if (f == NULL)
			lerr(ld, "target %.*s: recipe not defined in recipes.csv", (int)t.len, t.s);
		return f;
	}
	lerr(ld, "target \"%.*s\" must be ndb:NNNNN or recipe:<name>", (int)(t.len > 40 ? 40 : t.len), t.s);
	return NULL;
}

static void load_alias_row(loader *ld, field *fs, size_t n)
{
	cal_fooddb *db = ld->db;
	if (n != 6) {
		lerr(ld, "%zu columns, want 6", n);
		return;
	}
	if (!field_eq(fs[1], "es") && !field_eq(fs[1], "en") && !field_eq(fs[1], "both")) {
		lerr(ld, "lang \"%.*s\" must be es, en or both", (int)(fs[1].len > 10 ? 10 : fs[1].len), fs[1].s);
		return;
	}
	size_t flen;
	char *name = pool_add_folded(db, fs[0].s, fs[0].len, &flen);
	if (flen == 0) {
		lerr(ld, "empty name");
		return;
	}
	const cal_food *food = alias_target(ld, fs[2]);
	double portion = 0, cup = 0;
	bool ok = food != NULL;
	if (!parse_num(fs[3], &portion) || portion <= 0 || portion > PORTION_MAX_G) {
		lerr(ld, "portion_g \"%.*s\" must be a number in (0, %.0f]", (int)(fs[3].len > 20 ? 20 : fs[3].len), fs[3].s,
		     PORTION_MAX_G);
		ok = false;
	}
	if (fs[5].len > 0 && (!parse_num(fs[5], &cup) || cup <= 0 || cup > PORTION_MAX_G)) {
		lerr(ld, "cup_g \"%.*s\" must be empty or a number in (0, %.0f]", (int)(fs[5].len > 20 ? 20 : fs[5].len),
		     fs[5].s, PORTION_MAX_G);
		ok = false;
	}
	double atwater;
	if (food != NULL && !kcal_consistent(food, &atwater)) {
		lerr(ld, "target %.*s: kcal %.1f vs 4p+4c+9f = %.1f, beyond max(25 kcal, 20%%)", (int)fs[2].len, fs[2].s,
		     food->per100.kcal, atwater);
		ok = false;
	}
	if (!ok)
		return;
	GROW(db->aliases, db->naliases, db->aliases_cap);
	if (!htab_put(&db->by_alias, name, flen, db->naliases)) {
		lerr(ld, "duplicate alias \"%s\" (after folding)", name);
		return;
	}
	add_words(db, name, flen);
	db->aliases[db->naliases++] = (cal_food_alias){
		.name = name,
		.display = pool_add(db, fs[0].s, fs[0].len),
		.food = food,
		.portion_g = portion,
		.portion_desc = pool_add(db, fs[4].s, fs[4].len),
		.cup_g = cup,
		.lang = pool_add(db, fs[1].s, fs[1].len),
		.ref = pool_add(db, fs[2].s, fs[2].len),
	};
}

static void alias_row(loader *ld, field *fs, size_t n, void *arg)
{
	(void)arg;
	load_alias_row(ld, fs, n);
}

static void load_aliases(loader *ld, char *buf, size_t len)
{
	(void)each_csv_row(ld, buf, len, alias_header, 6, alias_row, NULL);
}

/* ---- typo matching ---------------------------------------------------------------------------------- */

static uint32_t letter_set(const char *w, size_t len)
{
	uint32_t m = 0;
	for (size_t i = 0; i < len; i++) {
		if (w[i] >= 'a' && w[i] <= 'z')
			m |= 1u << (w[i] - 'a');
		else
			m |= 1u << 26; /* digits share one bit */
	}
	return m;
}

static int vword_cmp(const void *a, const void *b)
{
	const vword *x = a, *y = b;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void build_vwords(cal_fooddb *db)
{
	db->vwords = cal_reallocarray(NULL, db->vocab.n ? db->vocab.n : 1, sizeof *db->vwords);
	db->nvwords = 0;
	for (size_t i = 0; i < db->vocab.cap; i++) {
		const slot *sl = &db->vocab.slots[i];
		if (sl->key == NULL || sl->len >= 64)
			continue;
		db->vwords[db->nvwords++] = (vword){ sl->key, sl->len, letter_set(sl->key, sl->len) };
	}
	qsort(db->vwords, db->nvwords, sizeof *db->vwords, vword_cmp);
	size_t k = 0;
	for (size_t len = 0; len <= 64; len++) {
		while (k < db->nvwords && db->vwords[k].len < len)
			k++;
		db->vlen_start[len] = k;
	}
}

/* Optimal string alignment distance, giving up (returning max + 1) once every path exceeds max. */
static int osa_distance(const char *a, size_t la, const char *b, size_t lb, int max)
{
	int d[3][66];
	int *pp = d[0], *prev = d[1], *cur = d[2];
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int best = cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = prev[j - 1] + cost;
			if (prev[j] + 1 < v)
				v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			cur[j] = v;
			if (v < best)
				best = v;
		}
		if (best > max)
			return max + 1;
		int *t = pp;
		pp = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

int cal_fooddb_near_word(const cal_fooddb *db, const char *word, size_t len, int maxdist, const char **out,
			 size_t *outlen)
{
	if (len == 0 || len >= 62 || maxdist < 1)
		return -1;
	uint32_t mask = letter_set(word, len);
	int best = maxdist + 1;
	const vword *found = NULL;
	bool tie = false;
	size_t lo = len > (size_t)maxdist ? len - (size_t)maxdist : 0;
	size_t hi = len + (size_t)maxdist + 1 > 64 ? 64 : len + (size_t)maxdist + 1;
	for (size_t k = db->vlen_start[lo]; k < db->vlen_start[hi]; k++) {
		const vword *v = &db->vwords[k];
		/* One edit changes at most two letters of the set; a swap none. */
		if (__builtin_popcount(v->letters ^ mask) > 2 * best)
			continue;
		int dist = osa_distance(word, len, v->w, v->len, best);
		if (dist < best) {
			best = dist;
			found = v;
			tie = false;
		} else if (dist == best && found != NULL) {
			tie = true;
		}
	}
	if (found == NULL || tie)
		return -1;
	*out = found->w;
	*outlen = found->len;
	return best;
}

/* ---- public API ------------------------------------------------------------------------------------- */

cal_err cal_fooddb_load_paths(const char *tsv_path, const char *aliases_path, const char *recipes_path,
			      cal_fooddb **out, FILE *errs)
{
	cal_err rc = CAL_ERR_VALIDATION;
	char *buf[3] = { NULL, NULL, NULL };
	size_t len[3] = { 0, 0, 0 };
	const char *paths[3] = { tsv_path, recipes_path, aliases_path };
	loader ld = { .errs = errs };
	cal_fooddb *db = cal_calloc(1, sizeof *db);
	ld.db = db;
	*out = NULL;

	size_t total = 0;
	for (size_t i = 0; i < 3; i++) {
		ld.file = paths[i];
		ld.line = 0;
		buf[i] = read_file(paths[i], &len[i], &ld);
		total += len[i];
	}
	if (ld.nerr > 0)
		goto cleanup;
	/* Every pooled string is a copy, fold or unquoting of distinct source bytes, never longer: 2× suffices. */
	db->pool_cap = 2 * total + 64;
	db->pool = cal_malloc(db->pool_cap);
	htab_init(&db->by_ndb, 8192);
	htab_init(&db->by_alias, 1024);
	htab_init(&db->by_recipe, 128);
	htab_init(&db->vocab, 1024);

	ld.file = tsv_path;
	load_tsv(&ld, buf[0], len[0]);
	ld.file = recipes_path;
	load_recipes(&ld, buf[1], len[1]);
	ld.file = aliases_path;
	load_aliases(&ld, buf[2], len[2]);
	if (ld.nerr > MAX_ERRORS && errs != NULL)
		fprintf(errs, "… %zu more problems not shown\n", ld.nerr - MAX_ERRORS);
	if (ld.nerr > 0)
		goto cleanup;
	if (db->naliases == 0) {
		ld.line = 0;
		lerr(&ld, "no aliases");
		goto cleanup;
	}
	for (size_t i = 0; i < db->nfoods; i++)
		db->foods[i].measures = db->foods[i].nmeasures ? db->measures + db->mstart[i] : NULL;
	build_vwords(db);
	free(db->mstart);
	db->mstart = NULL;
	*out = db;
	db = NULL;
	rc = CAL_OK;
cleanup:
	for (size_t i = 0; i < 3; i++)
		free(buf[i]);
	cal_fooddb_free(db);
	return rc;
}

cal_err cal_fooddb_load(const char *dir, cal_fooddb **out, FILE *errs)
{
	char p[3][4096];
	static const char *const names[3] = { "usda_sr24.tsv", "aliases.csv", "recipes.csv" };
	for (size_t i = 0; i < 3; i++) {
		int n = snprintf(p[i], sizeof p[i], "%s/%s", dir, names[i]);
		if (n < 0 || (size_t)n >= sizeof p[i]) {
			if (errs != NULL)
				fprintf(errs, "%s: data directory path too long\n", dir);
			*out = NULL;
			return CAL_ERR_VALIDATION;
		}
	}
	return cal_fooddb_load_paths(p[0], p[1], p[2], out, errs);
}

void cal_fooddb_free(cal_fooddb *db)
{
	if (db == NULL)
		return;
	htab_free(&db->by_ndb);
	htab_free(&db->by_alias);
	htab_free(&db->by_recipe);
	htab_free(&db->vocab);
	free(db->pool);
	free(db->foods);
	free(db->measures);
	free(db->mstart);
	free(db->aliases);
	free(db->vwords);
	free(db);
}

size_t cal_fooddb_food_count(const cal_fooddb *db)
{
	return db->nfoods;
}

size_t cal_fooddb_alias_count(const cal_fooddb *db)
{
	return db->naliases;
}

size_t cal_fooddb_recipe_count(const cal_fooddb *db)
{
	return db->nfoods - db->nsr24;
}

size_t cal_fooddb_kcal_outliers(const cal_fooddb *db)
{
	return db->outliers;
}

const cal_food *cal_fooddb_by_ndb(const cal_fooddb *db, const char *ndb_id)
{
	size_t len = strnlen(ndb_id, 6);
	const slot *sl = len == 5 ? htab_get(&db->by_ndb, ndb_id, len) : NULL;
	return sl ? &db->foods[sl->idx] : NULL;
}

const cal_food *cal_fooddb_recipe(const cal_fooddb *db, const char *folded, size_t len)
{
	const slot *sl = htab_get(&db->by_recipe, folded, len);
	return sl ? &db->foods[sl->idx] : NULL;
}

const cal_food_alias *cal_fooddb_alias(const cal_fooddb *db, const char *folded, size_t len)
{
	const slot *sl = htab_get(&db->by_alias, folded, len);
	return sl ? &db->aliases[sl->idx] : NULL;
}

const cal_food_alias *cal_fooddb_alias_at(const cal_fooddb *db, size_t i)
{
	return i < db->naliases ? &db->aliases[i] : NULL;
}

bool cal_fooddb_has_word(const cal_fooddb *db, const char *word, size_t len)
{
	return htab_get(&db->vocab, word, len) != NULL;
}

size_t cal_fooddb_max_alias_words(const cal_fooddb *db)
{
	return db->max_words;
}
