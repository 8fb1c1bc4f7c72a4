/*
 * exe_test.c - unit tests for lib/engine/exe.c
 *
 * Each case builds a small PE, ELF or Mach-O image in memory (the same
 * layouts tests/integration/vigil-scan/exe-offsets-check.sh verifies
 * against clamscan), optionally damages it, and checks type, has_ep,
 * broken, ep and the section table.  A sweep then feeds every prefix of
 * every image to exe_parse() so that truncation is exercised under ASan.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exe.h"

#define IMGMAX	0x4000

struct img {
	uint8_t	b[IMGMAX];
	size_t	len;
};

/* put - store v as n bytes at off, little- or big-endian */
static void
put(struct img *im, size_t off, uint64_t v, int n, int be)
{
	for (int i = 0; i < n; i++)
		im->b[off + (be ? n - 1 - i : i)] = (uint8_t)(v >> (8 * i));
}

/* noise - deterministic filler so sections are not all zero */
static void
noise(struct img *im, size_t from, size_t to)
{
	uint32_t	s = 7;

	for (size_t i = from; i < to; i++) {
		s = s * 1103515245u + 12345u;
		im->b[i] = (uint8_t)(s >> 16);
	}
}

#define PE_FH	0x80
#define PE_OPT	(PE_FH + 24)

/* pe_build - PE32 (or PE32+) with three sections, EP in .text */
static void
pe_build(struct img *im, int plus)
{
	static const uint32_t	s[3][4] = {	/* va, vsz, raw, rsz */
		{ 0x1000, 0x800, 0x400, 0x800 },
		{ 0x2000, 0x300, 0xc00, 0x400 },
		{ 0x3000, 0x200, 0x1000, 0x200 },
	};
	const size_t	ohsz = plus ? 240 : 224;
	size_t		st = PE_OPT + ohsz;

	memset(im, 0, sizeof(*im));
	im->len = 0x1200;
	noise(im, 0x400, im->len);
	im->b[0] = 'M';
	im->b[1] = 'Z';
	put(im, 0x3c, PE_FH, 4, 0);
	memcpy(im->b + PE_FH, "PE\0\0", 4);
	put(im, PE_FH + 4, plus ? 0x8664 : 0x14c, 2, 0);
	put(im, PE_FH + 6, 3, 2, 0);
	put(im, PE_FH + 20, ohsz, 2, 0);
	put(im, PE_OPT, plus ? 0x20b : 0x10b, 2, 0);
	put(im, PE_OPT + 16, 0x1010, 4, 0);		/* entry RVA */
	put(im, PE_OPT + 32, 0x1000, 4, 0);		/* SectionAlignment */
	put(im, PE_OPT + 36, 0x200, 4, 0);		/* FileAlignment */
	put(im, PE_OPT + 60, 0x400, 4, 0);		/* SizeOfHeaders */
	put(im, PE_OPT + (plus ? 108 : 92), 16, 4, 0);
	for (int i = 0; i < 3; i++, st += 40) {
		put(im, st + 8, s[i][1], 4, 0);
		put(im, st + 12, s[i][0], 4, 0);
		put(im, st + 16, s[i][3], 4, 0);
		put(im, st + 20, s[i][2], 4, 0);
	}
}

/* pe_sect - offset of section header i in a pe_build() image */
static size_t
pe_sect(const struct img *im, int i)
{
	size_t	ohsz = im->b[PE_FH + 20] | im->b[PE_FH + 21] << 8;

	return PE_OPT + ohsz + 40 * (size_t)i;
}

/* elf_build - ELF with two program headers and four section headers */
static void
elf_build(struct img *im, int wide, int be)
{
	const uint64_t	base = wide ? 0x400000 : 0x8048000;
	const size_t	ph = wide ? 64 : 52, sh = 0x800;
	const int	phsz = wide ? 56 : 32, shsz = wide ? 64 : 40;
	const int	w = wide ? 8 : 4;
	size_t		p;

	memset(im, 0, sizeof(*im));
	im->len = 0xc00;
	noise(im, 0x100, 0x800);
	memcpy(im->b, "\177ELF", 4);
	im->b[4] = wide ? 2 : 1;
	im->b[5] = be ? 2 : 1;
	im->b[6] = 1;
	put(im, 24, base + 0x1234, w, be);
	put(im, wide ? 32 : 28, ph, w, be);
	put(im, wide ? 40 : 32, sh, w, be);
	put(im, wide ? 54 : 42, phsz, 2, be);
	put(im, wide ? 56 : 44, 2, 2, be);
	put(im, wide ? 58 : 46, shsz, 2, be);
	put(im, wide ? 60 : 48, 4, 2, be);
	/* the first header that holds the entry wins: offset 0x200 */
	for (int i = 0; i < 2; i++) {
		p = ph + (size_t)i * phsz;
		put(im, p, 1, 4, be);
		put(im, p + (wide ? 8 : 4), i ? 0 : 0x200, w, be);
		put(im, p + (wide ? 16 : 8), base + (i ? 0 : 0x1000), w, be);
		put(im, p + (wide ? 32 : 16), 0x800, w, be);
		put(im, p + (wide ? 40 : 20), i ? 0x3000 : 0x2000, w, be);
	}
	for (int i = 1; i < 4; i++) {
		p = sh + (size_t)i * shsz;
		put(im, p + 4, 1, 4, be);
		put(im, p + (wide ? 16 : 12), base + 0x1000 * i, w, be);
		put(im, p + (wide ? 24 : 16), 0x300 + 0x101 * i, w, be);
		put(im, p + (wide ? 32 : 20), 0x80, w, be);
	}
}

#define MO_SEG	32	/* 64-bit layout: segment command after the header */
#define MO_SEC	(MO_SEG + 72)

/* macho_build - Mach-O: 64-bit x86-64 LE, or 32-bit PowerPC BE with EP */
static void
macho_build(struct img *im, int wide)
{
	const int	be = !wide;
	const size_t	seg = wide ? 32 : 28;
	const int	segsz = wide ? 72 : 56, secsz = wide ? 80 : 68;
	size_t		sec, at;

	memset(im, 0, sizeof(*im));
	im->len = 0x1000;
	noise(im, 0x400, im->len);
	put(im, 0, wide ? 0xfeedfacf : 0xfeedface, 4, be);
	put(im, 4, wide ? 0x1000007 : 18, 4, be);
	put(im, 16, 2, 4, be);
	put(im, seg, wide ? 0x19 : 0x1, 4, be);
	put(im, seg + 4, segsz + 3 * secsz, 4, be);
	put(im, seg + (wide ? 64 : 48), 3, 4, be);
	for (int i = 0; i < 3; i++) {
		sec = seg + segsz + (size_t)i * secsz;
		put(im, sec + 32, 0x1000 * (i + 1), wide ? 8 : 4, be);
		put(im, sec + (wide ? 40 : 36), 0x100, wide ? 8 : 4, be);
		put(im, sec + (wide ? 48 : 40), 0x500 + 0x203 * i, 4, be);
		put(im, sec + (wide ? 52 : 44), 2, 4, be);
	}
	at = seg + segsz + 3 * (size_t)secsz;
	put(im, at, 5, 4, be);
	put(im, at + 4, 176, 4, be);
	put(im, at + 16, 0x2010, 4, be);	/* PowerPC srr0 */
}

/* Damage applied after building; each gets the image to change. */
typedef void	(*mutate_fn)(struct img *);

static void m_none(struct img *im) { (void)im; }
static void m_trunc2(struct img *im) { im->len = 2; }
static void m_lfanew0(struct img *im) { put(im, 0x3c, 0, 4, 0); }
static void m_notpe(struct img *im) { im->b[PE_FH] = 'N'; }
static void m_nsect0(struct img *im) { put(im, PE_FH + 6, 0, 2, 0); }
static void m_nsect97(struct img *im) { put(im, PE_FH + 6, 97, 2, 0); }
static void m_ohsmall(struct img *im) { put(im, PE_FH + 20, 95, 2, 0); }
static void m_pestcut(struct img *im) { im->len = pe_sect(im, 2) + 39; }
static void m_pesign(struct img *im) { put(im, pe_sect(im, 1) + 8, 0x80000000u, 4, 0); }
static void m_pehdrep(struct img *im) { put(im, PE_OPT + 16, 0x100, 4, 0); }
static void m_peepout(struct img *im) { put(im, PE_OPT + 16, 0x9000, 4, 0); }
static void m_pefalign(struct img *im) { put(im, PE_OPT + 36, 0x1000, 4, 0); }
static void m_perawodd(struct img *im) { put(im, pe_sect(im, 0) + 20, 0x410, 4, 0); }
static void m_pepastend(struct img *im) { put(im, pe_sect(im, 2) + 20, 0x5000, 4, 0); }
static void m_pelong(struct img *im) { put(im, pe_sect(im, 2) + 16, 0x4000, 4, 0); }
static void m_elfcls(struct img *im) { im->b[4] = 3; }
static void m_elfshort(struct img *im) { im->len = 60; }
static void m_e64phnum(struct img *im) { put(im, 56, 129, 2, 0); }
static void m_e64phent(struct img *im) { put(im, 54, 32, 2, 0); }
static void m_e64entry0(struct img *im) { put(im, 24, 0, 8, 0); }
static void m_e64phnum0(struct img *im) { put(im, 56, 0, 2, 0); }
static void m_e64epout(struct img *im) { put(im, 24, 0x900000, 8, 0); }
static void m_e64shnum(struct img *im) { put(im, 60, 257, 2, 0); }
static void m_e64shcut(struct img *im) { im->len = 0x800 + 3 * 64 + 10; }
static void m_e64noshdr(struct img *im) { put(im, 60, 0, 2, 0); }
static void m_e64shent0(struct img *im) { put(im, 60, 0, 2, 0); put(im, 58, 0, 2, 0); }
static void m_e64phcut(struct img *im) { put(im, 32, 0xc00 - 60, 8, 0); }
static void m_mo0cmd(struct img *im) { put(im, 16, 0, 4, 0); }
static void m_mo1025(struct img *im) { put(im, 16, 1025, 4, 0); }
static void m_moalign(struct img *im) { put(im, MO_SEC + 80 + 52, 32, 4, 0); }
static void m_mozfill(struct img *im) { put(im, MO_SEC + 64, 1, 4, 0); put(im, MO_SEC + 40, 1ull << 33, 8, 0); }
static void m_mobig(struct img *im) { put(im, MO_SEC + 40, 1ull << 33, 8, 0); }
static void m_monsect(struct img *im) { put(im, MO_SEG + 64, 256, 4, 0); }
static void m_moppcep(struct img *im) { put(im, 28 + 56 + 3 * 68 + 16, 0x9000, 4, 1); }
static void m_mocut(struct img *im) { im->len = MO_SEC + 100; }
static void m_fat(struct img *im) { memset(im, 0, sizeof(*im)); im->len = 64; put(im, 0, 0xcafebabe, 4, 1); put(im, 4, 2, 4, 1); }
static void m_java(struct img *im) { m_fat(im); put(im, 4, 0x34, 4, 1); }
static void m_text(struct img *im) { memset(im, 0, sizeof(*im)); memcpy(im->b, "hello, world\n", 13); im->len = 13; }
static void m_empty(struct img *im) { im->len = 0; }
static void m_zm(struct img *im) { im->b[0] = 'Z'; im->b[1] = 'M'; }

enum { K_PE32, K_PE64, K_E32L, K_E64L, K_E64B, K_MO64, K_MOPPC };

struct exe_case {
	const char	*name;
	int		 kind;
	mutate_fn	 mutate;
	enum exe_type	 type;
	int		 has_ep, broken;
	uint64_t	 ep;
	uint32_t	 nsect;
	int		 s;		/* section to check, or -1 */
	uint64_t	 raw, rsz, rva, vsz;
};

static const struct exe_case cases[] = {
	/* not executables, or nothing ClamAV parses */
	{ "empty", K_PE32, m_empty, EXE_NONE, 0, 0, 0, 0, -1, 0, 0, 0, 0 },
	{ "text", K_PE32, m_text, EXE_NONE, 0, 0, 0, 0, -1, 0, 0, 0, 0 },
	{ "zm magic", K_PE32, m_zm, EXE_NONE, 0, 0, 0, 0, -1, 0, 0, 0, 0 },
	{ "java class", K_PE32, m_java, EXE_NONE, 0, 0, 0, 0, -1, 0, 0, 0, 0 },
	{ "fat mach-o", K_PE32, m_fat, EXE_MACHO, 0, 0, 0, 0, -1, 0, 0, 0, 0 },
	{ "dos mz", K_PE32, m_lfanew0, EXE_PE, 0, 0, 0, 0, -1, 0, 0, 0, 0 },
	{ "ne header", K_PE32, m_notpe, EXE_PE, 0, 0, 0, 0, -1, 0, 0, 0, 0 },
	/* PE */
	{ "mz only", K_PE32, m_trunc2, EXE_PE, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "pe32", K_PE32, m_none, EXE_PE, 1, 0, 0x410, 3, 1, 0xc00, 0x400, 0x2000, 0x1000 },
	{ "pe32+", K_PE64, m_none, EXE_PE, 1, 0, 0x410, 3, 2, 0x1000, 0x200, 0x3000, 0x1000 },
	{ "pe 0 sections", K_PE32, m_nsect0, EXE_PE, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "pe 97 sections", K_PE32, m_nsect97, EXE_PE, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "pe opthdr small", K_PE32, m_ohsmall, EXE_PE, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "pe table cut", K_PE32, m_pestcut, EXE_PE, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "pe sign bit", K_PE32, m_pesign, EXE_PE, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "pe ep in header", K_PE32, m_pehdrep, EXE_PE, 1, 0, 0x100, 3, -1, 0, 0, 0, 0 },
	{ "pe ep unmapped", K_PE32, m_peepout, EXE_PE, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "pe falign fallback", K_PE32, m_pefalign, EXE_PE, 1, 0, 0x410, 3, 1, 0xc00, 0x400, 0x2000, 0x1000 },
	{ "pe raw rounded down", K_PE32, m_perawodd, EXE_PE, 1, 0, 0x410, 3, 0, 0x400, 0x800, 0x1000, 0x1000 },
	{ "pe section past eof", K_PE32, m_pepastend, EXE_PE, 1, 0, 0x410, 3, 2, 0x5000, 0, 0x3000, 0x1000 },
	{ "pe section cut at eof", K_PE32, m_pelong, EXE_PE, 1, 0, 0x410, 3, 2, 0x1000, 0x200, 0x3000, 0x1000 },
	/* ELF */
	{ "elf32 le", K_E32L, m_none, EXE_ELF, 1, 0, 0x434, 4, 2, 0x502, 0x80, 0x804a000, 0 },
	{ "elf64 le", K_E64L, m_none, EXE_ELF, 1, 0, 0x434, 4, 3, 0x603, 0x80, 0x403000, 0 },
	{ "elf64 be", K_E64B, m_none, EXE_ELF, 1, 0, 0x434, 4, 1, 0x401, 0x80, 0x401000, 0 },
	{ "elf bad class", K_E64L, m_elfcls, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf64 short", K_E64L, m_elfshort, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf 129 phdrs", K_E64L, m_e64phnum, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf phentsize", K_E64L, m_e64phent, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf phdrs cut", K_E64L, m_e64phcut, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf entry 0", K_E64L, m_e64entry0, EXE_ELF, 1, 0, 0, 4, -1, 0, 0, 0, 0 },
	{ "elf no phdrs", K_E64L, m_e64phnum0, EXE_ELF, 1, 0, 0, 4, -1, 0, 0, 0, 0 },
	{ "elf ep unmapped", K_E64L, m_e64epout, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf 257 shdrs", K_E64L, m_e64shnum, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf shdrs cut", K_E64L, m_e64shcut, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "elf no shdrs", K_E64L, m_e64noshdr, EXE_ELF, 1, 0, 0x434, 0, -1, 0, 0, 0, 0 },
	{ "elf shentsize 0", K_E64L, m_e64shent0, EXE_ELF, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	/* Mach-O */
	{ "macho64 x86", K_MO64, m_none, EXE_MACHO, 1, 0, 0, 3, 2, 0x906, 0x100, 0x3000, 0x100 },
	{ "macho ppc ep", K_MOPPC, m_none, EXE_MACHO, 1, 0, 0x713, 3, 1, 0x703, 0x100, 0x2000, 0x100 },
	{ "macho ppc ep unmapped", K_MOPPC, m_moppcep, EXE_MACHO, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "macho 0 cmds", K_MO64, m_mo0cmd, EXE_MACHO, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "macho 1025 cmds", K_MO64, m_mo1025, EXE_MACHO, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "macho align 2^32", K_MO64, m_moalign, EXE_MACHO, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "macho zerofill", K_MO64, m_mozfill, EXE_MACHO, 1, 0, 0, 3, 0, 0x500, 0, 0x1000, 0 },
	{ "macho size > 4g", K_MO64, m_mobig, EXE_MACHO, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "macho 256 sections", K_MO64, m_monsect, EXE_MACHO, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
	{ "macho sections cut", K_MO64, m_mocut, EXE_MACHO, 0, 1, 0, 0, -1, 0, 0, 0, 0 },
};

/* build - the unmodified image of kind k */
static void
build(struct img *im, int k)
{
	switch (k) {
	case K_PE32: pe_build(im, 0); break;
	case K_PE64: pe_build(im, 1); break;
	case K_E32L: elf_build(im, 0, 0); break;
	case K_E64L: elf_build(im, 1, 0); break;
	case K_E64B: elf_build(im, 1, 1); break;
	case K_MO64: macho_build(im, 1); break;
	default: macho_build(im, 0); break;
	}
}

/* test_cases - every table row */
static void
test_cases(void **state)
{
	struct img	*im = malloc(sizeof(*im));
	struct exe_info	*info = malloc(sizeof(*info));

	(void)state;
	assert_non_null(im);
	assert_non_null(info);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct exe_case	*c = &cases[i];

		print_message("case %s\n", c->name);
		build(im, c->kind);
		c->mutate(im);
		assert_int_equal(exe_parse(im->b, im->len, info), c->type);
		assert_int_equal(info->type, c->type);
		assert_int_equal(info->has_ep, c->has_ep);
		assert_int_equal(info->broken, c->broken);
		assert_int_equal(info->ep, c->ep);
		assert_int_equal(info->nsections, c->nsect);
		if (c->s >= 0) {
			assert_int_equal(info->sect[c->s].raw, c->raw);
			assert_int_equal(info->sect[c->s].rsz, c->rsz);
			assert_int_equal(info->sect[c->s].rva, c->rva);
			assert_int_equal(info->sect[c->s].vsz, c->vsz);
		}
	}
	free(im);
	free(info);
}

/* test_null - a NULL buffer is not an executable */
static void
test_null(void **state)
{
	struct exe_info	info;

	(void)state;
	assert_int_equal(exe_parse(NULL, 0, &info), EXE_NONE);
	assert_int_equal(info.has_ep, 0);
}

/* test_prefixes - every prefix of every image parses without faults */
static void
test_prefixes(void **state)
{
	struct img	*im = malloc(sizeof(*im));
	struct exe_info	*info = malloc(sizeof(*info));
	uint8_t		*copy;

	(void)state;
	assert_non_null(im);
	assert_non_null(info);
	for (int k = K_PE32; k <= K_MOPPC; k++) {
		build(im, k);
		for (size_t n = 0; n <= im->len; n++) {
			/* exact-size copy so ASan sees any overread */
			copy = malloc(n ? n : 1);
			assert_non_null(copy);
			memcpy(copy, im->b, n);
			exe_parse(copy, n, info);
			if (info->has_ep)
				assert_int_equal(info->broken, 0);
			assert_true(info->nsections <= 0xffff);
			free(copy);
		}
	}
	free(im);
	free(info);
}

/* test_many_sections - counts past EXE_MAXSECT keep the first 96 */
static void
test_many_sections(void **state)
{
	struct img	*im = malloc(sizeof(*im));
	struct exe_info	*info = malloc(sizeof(*info));
	size_t		 p;

	(void)state;
	assert_non_null(im);
	assert_non_null(info);
	elf_build(im, 1, 0);
	im->len = 0x800 + 200 * 64;
	memset(im->b + 0x800, 0, 200 * 64);
	for (int i = 0; i < 200; i++) {
		p = 0x800 + (size_t)i * 64;
		put(im, p + 24, (uint64_t)i * 16, 8, 0);
	}
	put(im, 60, 200, 2, 0);
	assert_int_equal(exe_parse(im->b, im->len, info), EXE_ELF);
	assert_int_equal(info->has_ep, 1);
	assert_int_equal(info->nsections, 200);
	assert_int_equal(info->sect[EXE_MAXSECT - 1].raw, (EXE_MAXSECT - 1) * 16);
	free(im);
	free(info);
}

int
main(void)
{
	const struct CMUnitTest	tests[] = {
		cmocka_unit_test(test_null),
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_many_sections),
	};

	return cmocka_run_group_tests_name("exe", tests, NULL, NULL);
}
