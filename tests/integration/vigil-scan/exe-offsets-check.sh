#!/bin/sh
#
# exe-offsets-check.sh - check lib/engine/exe.c against clamscan
#
# For real ELF files of this machine and for PE, ELF and Mach-O samples
# generated here, build .ndb/.ldb signatures from the offsets exe_parse()
# computes (EP+n, EP-n, Sx+n, SL+n, TDB EntryPoint and NumberOfSections),
# each paired with a signature one byte off that must NOT match, and check
# that clamscan reports exactly the expected set.  Builds everything under
# a temporary directory; prints what it compared; exits 0 if all agree,
# 1 otherwise (2 if a tool is missing).  Extra files to compare may be
# given as arguments.
#
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../.." && pwd)
CC=${CC:-cc}
for t in clamscan "$CC"; do
	command -v "$t" >/dev/null 2>&1 || { echo "missing $t"; exit 2; }
done
tmp=$(mktemp -d "${TMPDIR:-/tmp}/exeoff.XXXXXX") || exit 2
trap 'rm -rf "$tmp"' EXIT INT TERM

cat >"$tmp/exeprobe.c" <<'EOF'
/*
 * exeprobe - test helper for exe-offsets-check.sh: writes sample
 * executables and prints signatures built from exe_parse()'s offsets.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exe.h"

static uint8_t	img[0x4000];
static uint32_t	seed = 12345;

/* put - store v as n bytes at off, little- or big-endian */
static void
put(size_t off, uint64_t v, int n, int be)
{
	for (int i = 0; i < n; i++)
		img[off + (be ? n - 1 - i : i)] = (uint8_t)(v >> (8 * i));
}

/* fill - deterministic noise so every 8-byte window is unique */
static void
fill(size_t from, size_t to)
{
	for (size_t i = from; i < to; i++) {
		seed = seed * 1103515245u + 12345u;
		img[i] = (uint8_t)(seed >> 16);
	}
}

/* save - write the first n bytes of img to dir/name */
static void
save(const char *dir, const char *name, size_t n)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "wb")) == NULL || fwrite(img, 1, n, f) != n) {
		perror(path);
		exit(2);
	}
	fclose(f);
}

struct pesect { uint32_t va, vsz, raw, rsz; };

/* genpe - a PE32/PE32+ with the given layout, noise in the sections */
static void
genpe(const char *dir, const char *name, int plus, uint32_t salign,
    uint32_t falign, uint32_t vep, const struct pesect *s, int n,
    size_t size)
{
	const size_t	fh = 0x80, opt = fh + 24;
	const size_t	ohsz = plus ? 240 : 224;
	size_t		st = opt + ohsz;

	memset(img, 0, sizeof(img));
	fill(0x400, size);
	img[0] = 'M';
	img[1] = 'Z';
	put(0x3c, fh, 4, 0);
	memcpy(img + fh, "PE\0\0", 4);
	put(fh + 4, plus ? 0x8664 : 0x14c, 2, 0);
	put(fh + 6, n, 2, 0);
	put(fh + 20, ohsz, 2, 0);
	put(fh + 22, 0x0102, 2, 0);
	put(opt, plus ? 0x20b : 0x10b, 2, 0);
	put(opt + 16, vep, 4, 0);
	put(opt + 32, salign, 4, 0);
	put(opt + 36, falign, 4, 0);
	put(opt + 56, 0x10000, 4, 0);	/* SizeOfImage */
	put(opt + 60, 0x400, 4, 0);	/* SizeOfHeaders */
	put(opt + 68, 3, 2, 0);		/* console */
	put(opt + (plus ? 108 : 92), 16, 4, 0);
	for (int i = 0; i < n; i++, st += 40) {
		memcpy(img + st, ".s", 2);
		img[st + 2] = (uint8_t)('0' + i);
		put(st + 8, s[i].vsz, 4, 0);
		put(st + 12, s[i].va, 4, 0);
		put(st + 16, s[i].rsz, 4, 0);
		put(st + 20, s[i].raw, 4, 0);
		put(st + 36, 0x60000020, 4, 0);
	}
	save(dir, name, size);
}

/* genelf - a small ELF of either class and byte order */
static void
genelf(const char *dir, const char *name, int wide, int be, size_t size)
{
	const uint64_t	base = wide ? 0x400000 : 0x8048000;
	size_t		ph = wide ? 64 : 52, sh = 0x800;
	int		phsz = wide ? 56 : 32, shsz = wide ? 64 : 40, w = wide ? 8 : 4;
	size_t		p;

	memset(img, 0, sizeof(img));
	fill(0x100, size);
	memcpy(img, "\177ELF", 4);
	img[4] = wide ? 2 : 1;
	img[5] = be ? 2 : 1;
	img[6] = 1;
	put(16, 2, 2, be);
	put(18, wide ? 62 : 3, 2, be);
	put(20, 1, 4, be);
	put(24, base + 0x1234, w, be);			/* e_entry */
	put(wide ? 32 : 28, ph, w, be);			/* e_phoff */
	put(wide ? 40 : 32, sh, w, be);			/* e_shoff */
	put(wide ? 54 : 42, phsz, 2, be);
	put(wide ? 56 : 44, 2, 2, be);
	put(wide ? 58 : 46, shsz, 2, be);
	put(wide ? 60 : 48, 4, 2, be);
	/* phdr 0 covers the entry with offset 0x200; phdr 1 would say 0 */
	for (int i = 0; i < 2; i++) {
		p = ph + (size_t)i * phsz;
		memset(img + p, 0, phsz);
		put(p, 1, 4, be);
		put(p + (wide ? 8 : 4), i ? 0 : 0x200, w, be);
		put(p + (wide ? 16 : 8), base + (i ? 0 : 0x1000), w, be);
		put(p + (wide ? 32 : 16), 0x800, w, be);
		put(p + (wide ? 40 : 20), i ? 0x3000 : 0x2000, w, be);
	}
	memset(img + sh, 0, 4 * shsz);
	for (int i = 1; i < 4; i++) {
		p = sh + (size_t)i * shsz;
		put(p + 4, 1, 4, be);
		put(p + (wide ? 16 : 12), base + 0x1000 * i, w, be);
		put(p + (wide ? 24 : 16), 0x300 + 0x100 * i + i, w, be);
		put(p + (wide ? 32 : 20), 0x80, w, be);
	}
	save(dir, name, size);
}

/* genmacho - PowerPC (EP from LC_UNIXTHREAD) or x86-64 (EP 0) Mach-O */
static void
genmacho(const char *dir, const char *name, int wide, size_t size)
{
	const int	be = !wide;
	size_t		at = wide ? 32 : 28, seg, sec;
	int		segsz = wide ? 72 : 56, secsz = wide ? 80 : 68;

	memset(img, 0, sizeof(img));
	fill(0x400, size);
	put(0, wide ? 0xfeedfacf : 0xfeedface, 4, be);
	put(4, wide ? 0x1000007 : 18, 4, be);
	put(12, 2, 4, be);
	put(16, 2, 4, be);				/* ncmds */
	seg = at;
	put(seg, wide ? 0x19 : 0x1, 4, be);
	put(seg + 4, segsz + 3 * secsz, 4, be);
	put(seg + (wide ? 64 : 48), 3, 4, be);		/* nsects */
	for (int i = 0; i < 3; i++) {
		sec = seg + segsz + (size_t)i * secsz;
		memcpy(img + sec, "__s", 3);
		put(sec + 32, 0x1000 * (i + 1), wide ? 8 : 4, be);
		put(sec + (wide ? 40 : 36), 0x100, wide ? 8 : 4, be);
		put(sec + (wide ? 48 : 40), 0x500 + 0x200 * i + 3 * i, 4, be);
		put(sec + (wide ? 52 : 44), 2, 4, be);
	}
	at = seg + segsz + 3 * secsz;
	put(at, 5, 4, be);				/* LC_UNIXTHREAD */
	put(at + 4, 16 + 160, 4, be);
	put(at + 16, 0x2010, 4, be);			/* srr0 (ppc) */
	save(dir, name, size);
}

/* gen - write every sample into dir */
static void
gen(const char *dir)
{
	const struct pesect a[] = { { 0x1000, 0x800, 0x400, 0x800 },
	    { 0x2000, 0x300, 0xc00, 0x400 }, { 0x3000, 0x200, 0x1000, 0x200 } };
	const struct pesect b[] = { { 0x1000, 0x800, 0x400, 0x800 },
	    { 0x2000, 0x300, 0xc10, 0x3f0 }, { 0x3000, 0x200, 0x1000, 0x200 } };
	const struct pesect c[] = { { 0x1000, 0x800, 0x400, 0x800 },
	    { 0x2000, 0x300, 0xc00, 0x400 }, { 0x3000, 0x1800, 0x1000, 0x1000 },
	    { 0x5000, 0x100, 0x2000, 0x200 } };
	const struct pesect f[] = { { 0x1000, 0x1000, 0x400, 0x1000 },
	    { 0x1000, 0x200, 0x1400, 0x200 } };
	const struct pesect g[] = { { 0x1000, 0x800, 0x400, 0x800 },
	    { 0x2000, 0x80000000, 0xc00, 0x400 } };
	const struct pesect h[] = { { 0x1000, 0x800, 0x400, 0x800 },
	    { 0x2000, 0x3000, 0xc00, 0x3000 } };

	genpe(dir, "pe32.exe", 0, 0x1000, 0x200, 0x1010, a, 3, 0x1200);
	genpe(dir, "pe32-unaligned-raw.exe", 0, 0x1000, 0x200, 0x2020, b, 3, 0x1200);
	genpe(dir, "pe32-falign-fallback.exe", 0, 0x1000, 0x1000, 0x1010, a, 3, 0x1200);
	genpe(dir, "pe32plus.exe", 1, 0x1000, 0x200, 0x5008, c, 4, 0x2200);
	genpe(dir, "pe32-ep-in-header.exe", 0, 0x1000, 0x200, 0x100, a, 3, 0x1200);
	genpe(dir, "pe32-overlap.exe", 0, 0x1000, 0x200, 0x1010, f, 2, 0x1600);
	genpe(dir, "pe32-signbit.broken.exe", 0, 0x1000, 0x200, 0x1010, g, 2, 0x1000);
	genpe(dir, "pe32-truncated.exe", 0, 0x1000, 0x200, 0x2010, h, 2, 0x1000);
	genelf(dir, "elf32le.elf", 0, 0, 0xa00);
	genelf(dir, "elf64be.elf", 1, 1, 0xc00);
	genelf(dir, "elf64le.elf", 1, 0, 0xc00);
	genmacho(dir, "macho-ppc.macho", 0, 0x1000);
	genmacho(dir, "macho64-x86.macho", 1, 0x1000);
}

static const uint8_t	*fbuf;
static size_t		 flen;
static int		 target;
static int		 nsig;

/* hex - 8 bytes at off as hex; NULL if they are not all in the file */
static const char *
hex(uint64_t off)
{
	static char	s[17];

	if (off > flen || flen - off < 8)
		return NULL;
	for (int i = 0; i < 8; i++)
		sprintf(s + 2 * i, "%02x", fbuf[off + i]);
	return s;
}

/* pair - POS sig at off, and NEG sig one byte later unless bytes repeat */
static void
pair(const char *what, const char *offpos, const char *offneg, uint64_t off)
{
	const char	*h = hex(off);

	if (h == NULL)
		return;
	printf("POS ndb Vig.%s.P%d:%d:%s:%s\n", what, nsig, target, offpos, h);
	if (offneg && hex(off + 1) && memcmp(fbuf + off, fbuf + off + 1, 8))
		printf("NEG ndb Vig.%s.N%d:%d:%s:%s\n", what, nsig, target,
		    offneg, hex(off));
	nsig++;
}

/* sigs - print POS/NEG signatures for file from exe_parse()'s offsets */
static int
sigs(const char *path, long naive)
{
	struct exe_info	*i = calloc(1, sizeof(*i));
	struct stat	 st;
	char		 a[64], b[64], m[16];
	int		 fd;

	if ((fd = open(path, O_RDONLY)) == -1 || fstat(fd, &st) == -1)
		return 2;
	flen = (size_t)st.st_size;
	fbuf = mmap(NULL, flen, PROT_READ, MAP_PRIVATE, fd, 0);
	if (fbuf == MAP_FAILED)
		return 2;
	exe_parse(fbuf, flen, i);
	close(fd);
	target = i->type == EXE_PE ? 1 : i->type == EXE_ELF ? 6 : 9;
	printf("INFO type=%d has_ep=%d broken=%d ep=%llu nsections=%u\n",
	    i->type, i->has_ep, i->broken, (unsigned long long)i->ep,
	    i->nsections);
	for (int k = 0; k < 4; k++)
		sprintf(m + 2 * k, "%02x", fbuf[k]);
	if (!i->has_ep) {
		if (naive >= 0 && hex((uint64_t)naive))
			printf("NEG ndb Vig.EP.N:%d:EP+0:%s\n", target, hex(naive));
		printf("NEG ldb Vig.NOS.N;Engine:51-255,Target:%d,"
		    "NumberOfSections:0-65535;0;0:%s\n", target, m);
		free(i);
		return 0;
	}
	pair("EP", "EP+0", "EP+1", i->ep);
	pair("EP", "EP+7", "EP+8", i->ep + 7);
	if (i->ep >= 3)
		pair("EP", "EP-3", "EP-2", i->ep - 3);
	for (uint32_t x = 0; x < i->nsections && x < EXE_MAXSECT; x++) {
		snprintf(a, sizeof(a), "S%u+1", x);
		snprintf(b, sizeof(b), "S%u+2", x);
		pair("S", a, b, i->sect[x].raw + 1);
	}
	if (i->nsections > 0 && i->nsections <= EXE_MAXSECT)
		pair("SL", "SL+1", "SL+2", i->sect[i->nsections - 1].raw + 1);
	printf("POS ldb Vig.NOS.P;Engine:51-255,Target:%d,"
	    "NumberOfSections:%u-%u;0;0:%s\n", target, i->nsections,
	    i->nsections, m);
	printf("NEG ldb Vig.NOS.N;Engine:51-255,Target:%d,"
	    "NumberOfSections:%u-%u;0;0:%s\n", target, i->nsections + 1,
	    i->nsections + 1, m);
	printf("POS ldb Vig.EPR.P;Engine:51-255,Target:%d,"
	    "EntryPoint:%llu-%llu;0;0:%s\n", target,
	    (unsigned long long)i->ep, (unsigned long long)i->ep, m);
	printf("NEG ldb Vig.EPR.N;Engine:51-255,Target:%d,"
	    "EntryPoint:%llu-%llu;0;0:%s\n", target,
	    (unsigned long long)i->ep + 1, (unsigned long long)i->ep + 1, m);
	free(i);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "gen") == 0) {
		gen(argv[2]);
		return 0;
	}
	if ((argc == 3 || argc == 4) && strcmp(argv[1], "sigs") == 0)
		return sigs(argv[2], argc == 4 ? atol(argv[3]) : -1);
	fprintf(stderr, "usage: exeprobe gen DIR | sigs FILE [NAIVE_EP]\n");
	return 2;
}
EOF

"$CC" -std=c17 -D_GNU_SOURCE -O1 -I"$top/lib/engine" -o "$tmp/exeprobe" \
    "$tmp/exeprobe.c" "$top/lib/engine/exe.c" || exit 2
mkdir "$tmp/s"
"$tmp/exeprobe" gen "$tmp/s" || exit 2

# ELF variants without a section header table (e_shnum at 60, e_shentsize
# at 58): ClamAV keeps the EP when e_shentsize is still right, and rejects
# the headers when it is 0.
true_ep=$("$tmp/exeprobe" sigs /usr/bin/true | sed -n 's/.* ep=\([0-9]*\) .*/\1/p')
cp /usr/bin/true "$tmp/s/true-noshdr.elf"
printf '\000\000' | dd of="$tmp/s/true-noshdr.elf" bs=1 seek=60 conv=notrunc 2>/dev/null
cp "$tmp/s/true-noshdr.elf" "$tmp/s/true-shentsize0.broken.elf"
printf '\000\000' | dd of="$tmp/s/true-shentsize0.broken.elf" bs=1 seek=58 conv=notrunc 2>/dev/null

libc=$(ls /usr/lib/x86_64-linux-gnu/libc.so.6 /lib/*/libc.so.6 2>/dev/null | head -1)
files="/usr/bin/ls /usr/bin/bash /usr/bin/true $libc $tmp/s/* $*"

fail=0
total=0
for f in $files; do
	[ -f "$f" ] || continue
	case $f in
	*pe32-signbit.broken.exe) naive=1040 ;;
	*true-shentsize0.broken.elf) naive=$true_ep ;;
	*) naive= ;;
	esac
	"$tmp/exeprobe" sigs "$f" $naive >"$tmp/list" || { fail=1; continue; }
	sed -n 's/^[A-Z]* ndb //p' "$tmp/list" >"$tmp/db.ndb"
	sed -n 's/^[A-Z]* ldb //p' "$tmp/list" >"$tmp/db.ldb"
	sed -n 's/^POS [a-z]* \([^:;]*\)[:;].*/\1/p' "$tmp/list" | sort >"$tmp/want"
	n=$(grep -c '^[PN][OE][SG] ' "$tmp/list")
	clamscan --no-summary --allmatch=yes -d "$tmp/db.ndb" -d "$tmp/db.ldb" \
	    "$f" >"$tmp/out" 2>"$tmp/err"
	sed -n 's/.*: \(Vig\.[^ ]*\)\.UNOFFICIAL FOUND$/\1/p' "$tmp/out" |
	    sort >"$tmp/got"
	total=$((total + n))
	if cmp -s "$tmp/want" "$tmp/got"; then
		echo "ok   $f: $n signatures agree ($(sed -n 's/^INFO //p' "$tmp/list"))"
	else
		fail=1
		echo "FAIL $f ($(sed -n 's/^INFO //p' "$tmp/list"))"
		echo "  expected but not reported by clamscan:"
		comm -23 "$tmp/want" "$tmp/got" | sed 's/^/    /'
		echo "  reported by clamscan but not expected:"
		comm -13 "$tmp/want" "$tmp/got" | sed 's/^/    /'
		sed 's/^/  clamscan: /' "$tmp/err" | head -5
	fi
done
echo "compared $total signatures"
exit $fail
