/*
 * libFuzzer target for the segment reader
 * (aggregator/store/columnar/segment_read.c): a segment file damaged on
 * disk must open with an FF_SEG_* error or read without reading out of
 * bounds, crashing or hanging, so the store can quarantine it. Every input
 * is run twice: as it is (which mostly tests the CRC checks), and again
 * with its header, directory and block CRCs made to hold, so the fuzzer
 * reaches the checks behind them: a CRC only stops random damage, not a
 * directory that lies.
 *
 * The reader maps the file; a read past its end but inside the last page
 * would go unseen, so this target is linked with --wrap=mmap,--wrap=munmap
 * and the mapping of the input becomes a malloc'd copy of exactly its size,
 * which AddressSanitizer guards to the byte.
 */
#include "ff_log.h"
#include "segment.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
void *__real_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __real_munmap(void *addr, size_t len);
void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off);
int __wrap_munmap(void *addr, size_t len);

/* The input as a file: one memfd per process, rewritten for every input. */
static int fuzz_fd = -1;
static struct stat fuzz_st;
static char fuzz_path[64];
static void *fuzz_copy; /* what __wrap_mmap handed out for the input */

static int fuzz_is_input(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == fuzz_st.st_dev &&
	       st.st_ino == fuzz_st.st_ino;
}

void *__wrap_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	if (fuzz_copy != NULL || !fuzz_is_input(fd))
		return __real_mmap(addr, len, prot, flags, fd, off);
	void *p = malloc(len);
	if (p == NULL || pread(fd, p, len, off) != (ssize_t)len)
		abort();
	fuzz_copy = p;
	return p;
}

int __wrap_munmap(void *addr, size_t len)
{
	if (addr == NULL || addr != fuzz_copy)
		return __real_munmap(addr, len);
	free(fuzz_copy);
	fuzz_copy = NULL;
	return 0;
}

static void fuzz_init(void)
{
	fuzz_fd = memfd_create("fuzz_segment", MFD_CLOEXEC);
	if (fuzz_fd < 0 || fstat(fuzz_fd, &fuzz_st) != 0)
		abort();
	snprintf(fuzz_path, sizeof fuzz_path, "/proc/self/fd/%d", fuzz_fd);
}

static void fuzz_write(const uint8_t *data, size_t size)
{
	if (ftruncate(fuzz_fd, 0) != 0 ||
	    (size > 0 && pwrite(fuzz_fd, data, size, 0) != (ssize_t)size))
		abort();
}

/* A sum over bytes that the compiler cannot drop: ASan checks each read. */
static volatile uint64_t fuzz_sink;

static void fuzz_touch(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint64_t sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += b[i];
	fuzz_sink += sum;
}

static void fuzz_check_error(long rc)
{
	bool file = rc == FF_SEG_EMAGIC || rc == FF_SEG_EVERSION || rc == FF_SEG_EHEADER ||
		    rc == FF_SEG_ETRUNC || rc == FF_SEG_EBLOCK || rc == FF_SEG_EFORMAT;
	if (!file && !ff_err_is_errno((int)rc))
		abort(); /* neither an ff_segment_error nor -errno */
}

static void fuzz_batches(const ff_segment *s)
{
	ff_segment_batch *b = NULL;
	size_t n = 0;
	int rc = ff_segment_batches(s, &b, &n);
	if (rc != 0) {
		fuzz_check_error(rc);
		return;
	}
	if (n != ff_segment_get_meta(s)->n_batches)
		abort();
	for (size_t i = 0; i < n; i++)
		if (b[i].agent >= ff_segment_get_meta(s)->n_agents)
			abort();
	fuzz_touch(b, n * sizeof *b);
	free(b);
}

static void fuzz_bounds(const ff_segment *s, size_t g)
{
	uint64_t lo, hi;
	for (int col = 0; col < FF_SEGMENT_COLUMNS; col++) {
		if (ff_segment_group_bounds(s, g, 1 << col, &lo, &hi) == 0)
			fuzz_sink += lo ^ hi;
		ff_segment_block_info info;
		if (ff_segment_block(s, g, col, &info) != 0)
			abort();
		fuzz_touch(&info, sizeof info);
	}
	static const int bad[] = {0, 3, 1 << FF_SEGMENT_COLUMNS, -1};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (ff_segment_group_bounds(s, g, bad[i], &lo, &hi) != -1)
			abort();
}

/* Decodes group g with `cols`; returns its rows, or 0 after an error. */
static uint64_t fuzz_read(const ff_segment *s, size_t g, uint32_t cols, ff_flow *out,
			  uint8_t *scratch)
{
	ff_segment_group_info info;
	ff_segment_group(s, g, &info);
	long n = cols == FF_SEGMENT_COLS_ALL ? ff_segment_read_group(s, g, out, scratch)
					     : ff_segment_read_group_cols(s, g, cols, out, scratch);
	if (n < 0) {
		fuzz_check_error(n);
		return 0;
	}
	if (n != (long)info.rows || n > FF_SEGMENT_GROUP_ROWS)
		abort();
	uint32_t n_agents = ff_segment_get_meta(s)->n_agents;
	for (long i = 0; i < n; i++)
		if (out[i].agent_ref >= n_agents)
			abort(); /* the agent column must index the dictionary */
	fuzz_touch(out, (size_t)n * sizeof *out);
	return (uint64_t)n;
}

static void fuzz_groups(const ff_segment *s, ff_flow *out, uint8_t *scratch)
{
	static const uint32_t masks[] = {
	    FF_SEGMENT_COL_LAST,
	    FF_SEGMENT_COL_SRC_ADDR | FF_SEGMENT_COL_BYTES,
	    FF_SEGMENT_COL_DST_ADDR | FF_SEGMENT_COL_EXPORTER | FF_SEGMENT_COL_PACKETS,
	    FF_SEGMENT_COL_DST_PORT | FF_SEGMENT_COL_PROTO | FF_SEGMENT_COL_TOS,
	};
	size_t groups = ff_segment_groups(s);
	uint64_t rows = 0;
	bool all_read = true;
	for (size_t g = 0; g < groups; g++) {
		fuzz_bounds(s, g);
		uint64_t n = fuzz_read(s, g, FF_SEGMENT_COLS_ALL, out, scratch);
		all_read = all_read && n > 0;
		rows += n;
		for (size_t m = 0; m < sizeof masks / sizeof masks[0]; m++)
			fuzz_read(s, g, masks[m], out, scratch);
	}
	/* Groups are whole: when every one decodes, they hold the header's rows. */
	if (all_read && rows != ff_segment_get_meta(s)->rows)
		abort();
	/* Past the last group, every call refuses. */
	uint64_t lo, hi;
	ff_segment_block_info info;
	if (ff_segment_group_bounds(s, groups, FF_SEGMENT_COL_FIRST, &lo, &hi) != -1 ||
	    ff_segment_block(s, groups, 0, &info) != -1 ||
	    (groups > 0 && ff_segment_block(s, 0, FF_SEGMENT_COLUMNS, &info) != -1) ||
	    ff_segment_read_group_cols(s, groups, FF_SEGMENT_COLS_ALL, out, scratch) !=
		FF_SEG_EFORMAT)
		abort();
}

static void fuzz_segment(const uint8_t *data, size_t size, ff_flow *out, uint8_t *scratch)
{
	fuzz_write(data, size);
	ff_segment *s = NULL;
	int rc = ff_segment_open(fuzz_path, &s);
	if (rc != 0) {
		fuzz_check_error(rc);
		if (s != NULL)
			abort();
		return;
	}
	const ff_segment_meta *m = ff_segment_get_meta(s);
	fuzz_touch(m, sizeof *m);
	for (uint32_t i = 0; i < m->n_agents; i++) {
		const char *a = ff_segment_agent(s, i);
		fuzz_touch(a, strlen(a) + 1);
		/* Lookups only for the first agents: each is a linear search. */
		long k = i < 64 ? ff_segment_find_agent(s, a) : 0;
		if (k < 0 || k > (long)i)
			abort();
	}
	fuzz_batches(s);
	rc = ff_segment_verify(s);
	if (rc != 0)
		fuzz_check_error(rc);
	/* Decoded even when verify failed: a reader must never trust the CRC alone. */
	fuzz_groups(s, out, scratch);
	ff_segment_close(s);
	if (fuzz_copy != NULL)
		abort(); /* the mapping was not released */
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t crc(const uint8_t *p, size_t n)
{
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n);
}

/*
 * Makes the CRCs of a version 1 or 2 file hold (docs/storage.md): every
 * block lying inside the file, then the directory, then the header.
 * Returns false when the file is not shaped like a segment.
 */
static bool fuzz_fix_crcs(uint8_t *p, size_t size)
{
	if (size < 6 || get32(p) != 0x47535346u || p[5] != 0 || (p[4] != 1 && p[4] != 2))
		return false;
	size_t hdr = p[4] == 1 ? 88 : 120;
	if (size < hdr)
		return false;
	size_t n_dir = get32(p + 28), room = (size - hdr) / 48;
	for (size_t i = 0; i < n_dir && i < room; i++) {
		uint8_t *e = p + hdr + i * 48;
		uint64_t off = get32(e + 16) | (uint64_t)get32(e + 20) << 32;
		uint32_t len = get32(e + 12);
		if (off <= size && size - off >= len)
			put32(e + 40, crc(p + off, len));
	}
	if (n_dir <= room)
		put32(p + 76, crc(p + hdr, n_dir * 48));
	put32(p + hdr - 4, crc(p, hdr - 4));
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* Warnings about bad input would cost more than reading it. */
	ff_log_init("fuzz", FF_LOG_ERROR);
	static ff_flow *out;
	static uint8_t *scratch;
	if (fuzz_fd < 0) {
		fuzz_init();
		out = calloc(FF_SEGMENT_GROUP_ROWS, sizeof *out);
		scratch = malloc(FF_SEGMENT_SCRATCH);
		if (out == NULL || scratch == NULL)
			abort();
	}
	fuzz_segment(data, size, out, scratch);
	uint8_t *fixed = malloc(size ? size : 1);
	if (fixed == NULL)
		abort();
	memcpy(fixed, data, size);
	if (fuzz_fix_crcs(fixed, size) && memcmp(fixed, data, size) != 0)
		fuzz_segment(fixed, size, out, scratch);
	free(fixed);
	return 0;
}
