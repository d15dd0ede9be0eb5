/*
 * shm.c — owns the shared memory-mapped file: its header, the placement of
 * its tenants' regions, safe creation and replacement, the robust-mutex
 * helpers and the keyed hash the regions use.  The tenants (cal_shm_tenants,
 * shmtenants.c) describe their own regions; this file only walks the list,
 * so the modules living in the file depend on it and never the reverse.
 *
 * Creation runs under flock(2) on "<path>.lock" so two processes starting at
 * once do not both initialise.  A fresh file is built under a temporary name
 * and renamed into place: a process still mapping the old inode keeps a
 * consistent (if now private) view instead of seeing its memory rewritten.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "caloria/shm.h"

#define HDR_BYTES 4096u
#define PAGE_ALIGN(x) (((x) + 4095u) & ~(size_t)4095u)

/* The file header; everything before `check` is covered by the checksum. */
struct shm_hdr {
	uint64_t magic;
	uint32_t version;
	uint32_t hdr_bytes;
	uint64_t total;
	uint32_t ntenants;
	uint32_t pad;
	uint64_t off[CAL_SHM_TENANTS_MAX];
	uint64_t len[CAL_SHM_TENANTS_MAX];
	char boot_id[48]; /* a file from a previous boot has stale lock owners */
	int64_t created;
	uint64_t check;
	_Atomic uint64_t repairs;
};

struct cal_shm {
	unsigned char *base;
	size_t size;
	struct shm_hdr *hdr;
	const char *recreated; /* why the file was replaced: static or why[] */
	char why[96];
};

/* Fixed key for the header checksum: it detects damage, not forgery. */
static const uint64_t hdr_key[2] = {UINT64_C(0x6361706f72696131), UINT64_C(0x73686d6865616472)};

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/* ---- SipHash-2-4 (Aumasson & Bernstein), keyed so that cache and limiter
 * keys chosen by users cannot be crafted to collide into one chain. ---- */

#define ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND                   \
	do {                       \
		v0 += v1;          \
		v1 = ROTL(v1, 13); \
		v1 ^= v0;          \
		v0 = ROTL(v0, 32); \
		v2 += v3;          \
		v3 = ROTL(v3, 16); \
		v3 ^= v2;          \
		v0 += v3;          \
		v3 = ROTL(v3, 21); \
		v3 ^= v0;          \
		v2 += v1;          \
		v1 = ROTL(v1, 17); \
		v1 ^= v2;          \
		v2 = ROTL(v2, 32); \
	} while (0)

static uint64_t load64le(const unsigned char *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

uint64_t cal_shm_hash(const uint64_t key[2], const void *data, size_t len)
{
	const unsigned char *in = data;
	uint64_t v0 = UINT64_C(0x736f6d6570736575) ^ key[0];
	uint64_t v1 = UINT64_C(0x646f72616e646f6d) ^ key[1];
	uint64_t v2 = UINT64_C(0x6c7967656e657261) ^ key[0];
	uint64_t v3 = UINT64_C(0x7465646279746573) ^ key[1];
	uint64_t b = (uint64_t)len << 56;
	size_t tail = len & 7;
	const unsigned char *end = in + (len - tail);

	for (; in != end; in += 8) {
		uint64_t m = load64le(in);

		v3 ^= m;
		SIPROUND;
		SIPROUND;
		v0 ^= m;
	}
	for (size_t i = 0; i < tail; i++)
		b |= (uint64_t)in[i] << (8 * i);
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

int cal_shm_random(void *buf, size_t len)
{
	unsigned char *p = buf;
	size_t got = 0;
	int fd = -1;
	int rc = 0;

	while (got < len) {
		ssize_t n = getrandom(p + got, len - got, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		got += (size_t)n;
	}
	if (got == len)
		return 0;
	/* Old kernels without getrandom(2). */
	fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	while (got < len) {
		ssize_t n = read(fd, p + got, len - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			rc = n < 0 ? -errno : -EIO;
			goto out;
		}
		got += (size_t)n;
	}
out:
	if (fd >= 0)
		close(fd);
	return rc;
}

/* ---- robust process-shared mutexes ---- */

int cal_shm_mutex_init(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;
	int rc;

	rc = pthread_mutexattr_init(&a);
	if (rc != 0)
		return -rc;
	rc = pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
	if (rc == 0)
		rc = pthread_mutexattr_setrobust(&a, PTHREAD_MUTEX_ROBUST);
	if (rc == 0)
		rc = pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
	return -rc;
}

int cal_shm_mutex_lock(cal_shm *shm, pthread_mutex_t *m)
{
	int rc;

	(void)shm;
	rc = pthread_mutex_lock(m);
	if (rc == 0)
		return 0;
	if (rc == EOWNERDEAD)
		return 1;
	/* ENOTRECOVERABLE: someone unlocked without repairing.  Not reached by
	 * this code, which always marks consistent; the caller degrades. */
	return -rc;
}

void cal_shm_mutex_consistent(cal_shm *shm, pthread_mutex_t *m)
{
	(void)pthread_mutex_consistent(m);
	atomic_fetch_add_explicit(&shm->hdr->repairs, 1, memory_order_relaxed);
}

void cal_shm_mutex_unlock(pthread_mutex_t *m)
{
	(void)pthread_mutex_unlock(m);
}

uint64_t cal_shm_repairs(cal_shm *shm)
{
	return atomic_load_explicit(&shm->hdr->repairs, memory_order_relaxed);
}

int64_t cal_shm_created(cal_shm *shm)
{
	return shm->hdr->created;
}

void *cal_shm_region(cal_shm *shm, const cal_shm_tenant *t, size_t *len)
{
	/* A handful of pointer compares: cheaper than anything it would save. */
	for (int i = 0; i < cal_shm_tenants_count; i++) {
		if (cal_shm_tenants[i] != t)
			continue;
		if (len != NULL)
			*len = (size_t)shm->hdr->len[i];
		return shm->base + shm->hdr->off[i];
	}
	if (len != NULL)
		*len = 0;
	return NULL;
}

const char *cal_shm_recreated(const cal_shm *shm)
{
	return shm->recreated;
}

size_t cal_shm_size(const cal_shm *shm)
{
	return shm->size;
}

/* ---- layout, validation, creation ---- */

/* Region placement is a pure function of the size (each tenant's size()
 * must be), so validation can recompute it and refuse a header that
 * disagrees.  Regions follow the header in table order, page-aligned. */
static int layout(size_t total, uint64_t off[CAL_SHM_TENANTS_MAX], uint64_t len[CAL_SHM_TENANTS_MAX])
{
	size_t pos = HDR_BYTES;

	memset(off, 0, CAL_SHM_TENANTS_MAX * sizeof(off[0]));
	memset(len, 0, CAL_SHM_TENANTS_MAX * sizeof(len[0]));
	if (cal_shm_tenants_count < 1 || cal_shm_tenants_count > CAL_SHM_TENANTS_MAX || total <= pos)
		return -EINVAL;
	for (int i = 0; i < cal_shm_tenants_count; i++) {
		size_t left = total - pos;
		size_t want = cal_shm_tenants[i]->size(total, left);

		if (want == 0 || want > left || PAGE_ALIGN(want) > left)
			return -EINVAL;
		off[i] = pos;
		len[i] = PAGE_ALIGN(want);
		pos += len[i];
	}
	return 0;
}

static void read_boot_id(char out[48])
{
	FILE *f;

	memset(out, 0, 48);
	f = fopen("/proc/sys/kernel/random/boot_id", "re");
	if (f == NULL)
		return; /* not Linux: rely on the run directory being cleared */
	if (fgets(out, 48, f) == NULL)
		memset(out, 0, 48);
	out[strcspn(out, "\n")] = '\0';
	fclose(f);
}

static uint64_t hdr_checksum(const struct shm_hdr *h)
{
	return cal_shm_hash(hdr_key, h, offsetof(struct shm_hdr, check));
}

/* Why a mapped file cannot be used (a static string or buf), or NULL when
 * it can. */
static const char *hdr_problem(const unsigned char *base, size_t total, char *buf, size_t buflen)
{
	const struct shm_hdr *h = (const void *)base;
	uint64_t off[CAL_SHM_TENANTS_MAX], len[CAL_SHM_TENANTS_MAX];
	char boot[48];

	if (h->magic != CAL_SHM_MAGIC)
		return "foreign or corrupt file (bad magic)";
	if (h->version != CAL_SHM_VERSION || h->hdr_bytes != HDR_BYTES)
		return "layout version differs";
	if (h->total != total)
		return "size differs";
	if (h->check != hdr_checksum(h))
		return "header checksum mismatch";
	read_boot_id(boot);
	if (memcmp(boot, h->boot_id, sizeof(boot)) != 0)
		return "file is from a previous boot";
	if (layout(total, off, len) != 0 || h->ntenants != (uint32_t)cal_shm_tenants_count ||
	    memcmp(off, h->off, sizeof(off)) != 0 || memcmp(len, h->len, sizeof(len)) != 0)
		return "region layout differs";
	for (int i = 0; i < cal_shm_tenants_count; i++) {
		const cal_shm_tenant *t = cal_shm_tenants[i];

		if (t->check(base + off[i], len[i]) != 0) {
			snprintf(buf, buflen, "%s region corrupt", t->name);
			return buf;
		}
	}
	return NULL;
}

static int init_mapping(unsigned char *base, size_t total)
{
	struct shm_hdr *h = (void *)base;
	int rc;

	memset(h, 0, sizeof(*h));
	rc = layout(total, h->off, h->len);
	for (int i = 0; rc == 0 && i < cal_shm_tenants_count; i++)
		rc = cal_shm_tenants[i]->init(base + h->off[i], h->len[i]);
	if (rc != 0)
		return rc;
	h->ntenants = (uint32_t)cal_shm_tenants_count;
	h->version = CAL_SHM_VERSION;
	h->hdr_bytes = HDR_BYTES;
	h->total = total;
	read_boot_id(h->boot_id);
	h->created = (int64_t)time(NULL);
	atomic_init(&h->repairs, 0);
	/* Magic and checksum last: a half-built file never validates. */
	h->magic = CAL_SHM_MAGIC;
	h->check = hdr_checksum(h);
	return 0;
}

/* Map an existing file if it is a valid Caloria file of this size. */
static unsigned char *map_existing(const char *path, size_t total, const char **why, char *buf, size_t buflen)
{
	struct stat st;
	unsigned char *base = NULL;
	int fd;

	*why = NULL;
	fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0) {
		*why = errno == ENOENT ? "missing" : "cannot open existing file";
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		*why = "not a regular file";
		goto out;
	}
	if ((uint64_t)st.st_size != total) {
		*why = (uint64_t)st.st_size < total ? "truncated or smaller" : "size differs";
		goto out;
	}
	base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		base = NULL;
		*why = "cannot map existing file";
		goto out;
	}
	*why = hdr_problem(base, total, buf, buflen);
	if (*why != NULL) {
		munmap(base, total);
		base = NULL;
	}
out:
	if (fd >= 0)
		close(fd);
	return base;
}

/* Build a fresh file under a temporary name and rename it over path. */
static int create_fresh(const char *path, size_t total, unsigned char **out, char *err, size_t errlen)
{
	char tmp[4096];
	unsigned char *base = NULL;
	int fd = -1, rc;

	*out = NULL;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid()) >= (int)sizeof(tmp)) {
		rc = -ENAMETOOLONG;
		seterr(err, errlen, "cache path too long");
		goto out;
	}
	(void)unlink(tmp); /* leftover of a killed process with our pid */
	fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		rc = -errno;
		seterr(err, errlen, "create %s: %s", tmp, strerror(errno));
		goto out;
	}
	/* Reserve the blocks now: a sparse file would SIGBUS a worker on a
	 * full disk instead of failing here. */
	rc = posix_fallocate(fd, 0, (off_t)total);
	if (rc == EOPNOTSUPP || rc == EINVAL)
		rc = ftruncate(fd, (off_t)total) == 0 ? 0 : errno;
	if (rc != 0) {
		seterr(err, errlen, "allocate %zu bytes for %s: %s", total, tmp, strerror(rc));
		rc = -rc;
		goto out;
	}
	base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		base = NULL;
		rc = -errno;
		seterr(err, errlen, "mmap %s: %s", tmp, strerror(errno));
		goto out;
	}
	rc = init_mapping(base, total);
	if (rc != 0) {
		seterr(err, errlen, "initialise %s: %s", tmp, strerror(-rc));
		goto out;
	}
	if (rename(tmp, path) != 0) {
		rc = -errno;
		seterr(err, errlen, "rename %s: %s", path, strerror(errno));
		goto out;
	}
	*out = base;
	base = NULL;
out:
	if (base != NULL)
		munmap(base, total);
	if (fd >= 0)
		close(fd);
	if (*out == NULL && fd >= 0)
		(void)unlink(tmp);
	return rc;
}

static int lock_path(const char *path, char *err, size_t errlen)
{
	char lp[4096];
	int fd;

	if (snprintf(lp, sizeof(lp), "%s.lock", path) >= (int)sizeof(lp)) {
		seterr(err, errlen, "cache path too long");
		return -ENAMETOOLONG;
	}
	fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		int e = errno;

		seterr(err, errlen, "open %s: %s", lp, strerror(e));
		return -e;
	}
	while (flock(fd, LOCK_EX) != 0) {
		int e = errno;

		if (e == EINTR)
			continue;
		seterr(err, errlen, "flock %s: %s", lp, strerror(e));
		close(fd);
		return -e;
	}
	return fd;
}

int cal_shm_open(cal_shm **out, const char *path, size_t size_bytes, char *err, size_t errlen)
{
	cal_shm *shm = NULL;
	unsigned char *base = NULL;
	size_t total = PAGE_ALIGN(size_bytes);
	const char *why;
	int lfd = -1, rc;

	*out = NULL;
	if (path == NULL || *path == '\0' || size_bytes < CAL_SHM_MIN_BYTES || size_bytes > CAL_SHM_MAX_BYTES) {
		seterr(err, errlen, "cache size must be %zu..%zu bytes", CAL_SHM_MIN_BYTES, CAL_SHM_MAX_BYTES);
		rc = -EINVAL;
		goto out;
	}
	shm = calloc(1, sizeof(*shm));
	if (shm == NULL) {
		rc = -ENOMEM;
		seterr(err, errlen, "out of memory");
		goto out;
	}
	lfd = lock_path(path, err, errlen);
	if (lfd < 0) {
		rc = lfd;
		goto out;
	}
	base = map_existing(path, total, &why, shm->why, sizeof(shm->why));
	if (base == NULL) {
		rc = create_fresh(path, total, &base, err, errlen);
		if (rc != 0)
			goto out;
		shm->recreated = why;
	}
	shm->base = base;
	shm->size = total;
	shm->hdr = (struct shm_hdr *)(void *)base;
	*out = shm;
	shm = NULL;
	rc = 0;
out:
	if (lfd >= 0)
		close(lfd); /* releases the flock */
	free(shm);
	return rc;
}

void cal_shm_close(cal_shm *shm)
{
	if (shm == NULL)
		return;
	munmap(shm->base, shm->size);
	free(shm);
}
