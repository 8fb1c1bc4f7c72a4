/*
 * exe.c - executable header facts for signature offsets (PE, ELF, Mach-O)
 *
 * exe_parse() recognises a file by its leading magic, then walks just
 * enough of its headers to find the entry point's file offset and the
 * section table, reproducing what ClamAV 1.4 computes for its target
 * types 1, 6 and 9 (read from its public source and checked against
 * clamscan with tests/integration/vigil-scan/exe-offsets-check.sh):
 *
 *   PE      sections from the section table, rva/vsz rounded to
 *           SectionAlignment, raw rounded down and rsz up to
 *           FileAlignment (0x200 when a section's PointerToRawData only
 *           fits that), rsz cut at end of file; the entry point RVA is
 *           mapped through the LAST section whose raw extent holds it, or
 *           taken as is below the (aligned) SizeOfHeaders.
 *   ELF     sections are the section header table (sh_offset, sh_size,
 *           sh_addr); the entry point is mapped through the FIRST program
 *           header, of any type, with p_vaddr <= e_entry < p_vaddr +
 *           p_memsz.  e_entry 0 or no program headers give EP 0.
 *   Mach-O  sections of LC_SEGMENT(_64) commands; the entry point comes
 *           only from a PowerPC LC_(UNIX)THREAD and is mapped through the
 *           first section holding it, otherwise it is 0.
 *
 * DESIGN: one pass over the header bytes, no allocation.  Every read goes
 * through rd_ok(), which checks an (offset, length) pair against the
 * buffer without overflow, so hostile offsets just fail the parse.  Each
 * format parser returns P_OK, P_BROKEN (ClamAV would reject the headers),
 * P_FOREIGN (right magic, but nothing ClamAV parses: a DOS "MZ" or a fat
 * Mach-O) or P_NOTYPE (the magic was a coincidence).  ClamAV keeps all
 * these values in 32 bits and so do we, wrapping where it wraps.  Work is
 * bounded by ClamAV's own limits: 96 PE sections, 128 program headers and
 * 256 section headers for ELF, 1024 load commands of at most 255 sections
 * each for Mach-O (walked twice when the entry point must be mapped).
 *
 * Why hand-written: libelf/libbfd-style readers validate differently and
 * would disagree with ClamAV exactly where signatures care (which section
 * table counts, how offsets are aligned, what counts as broken), and
 * pulling them into the scanning process widens the attack surface.
 */
#include <string.h>

#include "exe.h"

#define PE_MAXSECT	96	/* ClamAV's PE_MAXSECTIONS */
#define PE_OPT32	96	/* optional header without data directories */
#define PE_OPT64	112
#define ELF_MAXPHDR	128
#define ELF_MAXSHDR	256
#define MACHO_MAXCMD	1024
#define MACHO_MAXSECT	255	/* per segment */

enum { P_OK, P_BROKEN, P_FOREIGN, P_NOTYPE };

/* A bounded, endian-aware view of the file. */
struct rd {
	const uint8_t	*buf;
	size_t		 len;
	int		 be;
};

/* rd_ok - 1 if [off, off+n) lies inside the buffer */
static int
rd_ok(const struct rd *r, uint64_t off, uint64_t n)
{
	return off <= r->len && n <= r->len - off;
}

/* rd_u16 - 16-bit field at off; caller checked the range */
static uint16_t
rd_u16(const struct rd *r, uint64_t off)
{
	const uint8_t	*p = r->buf + off;

	return r->be ? (uint16_t)(p[0] << 8 | p[1]) :
	    (uint16_t)(p[1] << 8 | p[0]);
}

/* rd_u32 - 32-bit field at off; caller checked the range */
static uint32_t
rd_u32(const struct rd *r, uint64_t off)
{
	const uint8_t	*p = r->buf + off;

	if (r->be)
		return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
		    (uint32_t)p[2] << 8 | p[3];
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | p[0];
}

/* rd_u64 - 64-bit field at off; caller checked the range */
static uint64_t
rd_u64(const struct rd *r, uint64_t off)
{
	uint64_t	hi, lo;

	hi = rd_u32(r, off + (r->be ? 0 : 4));
	lo = rd_u32(r, off + (r->be ? 4 : 0));
	return hi << 32 | lo;
}

/* exe_setsect - record section i (if it fits) with ClamAV's 32-bit values */
static void
exe_setsect(struct exe_info *info, uint32_t i, uint32_t raw, uint32_t rsz,
    uint32_t rva, uint32_t vsz)
{
	if (i >= EXE_MAXSECT)
		return;
	info->sect[i].raw = raw;
	info->sect[i].rsz = rsz;
	info->sect[i].rva = rva;
	info->sect[i].vsz = vsz;
}

/* pe_down - round o down to a multiple of a (a == 0: unchanged) */
static uint32_t
pe_down(uint32_t o, uint32_t a)
{
	return a ? o / a * a : o;
}

/* pe_up - round o up to a multiple of a, wrapping in 32 bits like ClamAV */
static uint32_t
pe_up(uint32_t o, uint32_t a)
{
	return a ? (o / a + (o % a != 0)) * a : o;
}

/* pe_falign - FileAlignment, or 0x200 when a section only fits that */
static uint32_t
pe_falign(const struct rd *r, uint64_t st, uint32_t nsect, uint32_t falign)
{
	uint32_t	i, raw;

	for (i = 0; falign != 0x200 && i < nsect; i++) {
		raw = rd_u32(r, st + 40 * i + 20);
		if (falign && rd_u32(r, st + 40 * i + 16) != 0 &&
		    raw % falign != 0 && raw % 0x200 == 0)
			falign = 0x200;
	}
	return falign;
}

/* pe_section - compute section i as ClamAV does; -1 if it is rejected */
static int
pe_section(const struct rd *r, uint64_t h, uint32_t salign, uint32_t falign,
    struct exe_section *s)
{
	uint32_t	uvsz, urva, ursz, uraw, rva, vsz, raw, rsz;
	uint64_t	fsize = r->len;

	uvsz = rd_u32(r, h + 8);
	urva = rd_u32(r, h + 12);
	ursz = rd_u32(r, h + 16);
	uraw = rd_u32(r, h + 20);
	rva = pe_down(urva, salign);
	vsz = pe_up(uvsz, salign);
	raw = pe_down(uraw, falign);
	rsz = pe_up(ursz, falign);
	if (rsz != 0) {
		if (raw >= fsize || uraw >= fsize)	/* wholly past EOF */
			rsz = ursz = 0;
		else {
			if (raw + (uint64_t)rsz > fsize)
				rsz = (uint32_t)(fsize - raw);
			if (uraw + (uint64_t)ursz > fsize)
				ursz = (uint32_t)(fsize - uraw);
		}
	}
	if (vsz == 0 && rsz != 0)
		vsz = pe_up(ursz, salign);
	if (urva >> 31 || uvsz >> 31 || (rsz && uraw >> 31) || ursz >> 31)
		return -1;
	*s = (struct exe_section){ .raw = raw, .rsz = rsz, .rva = rva,
	    .vsz = vsz };
	return 0;
}

/* pe_rawaddr - file offset of rva (ClamAV's cli_rawaddr); -1 if unmapped */
static int
pe_rawaddr(const struct exe_info *info, uint32_t rva, uint32_t hdrsize,
    uint64_t fsize, uint32_t *off)
{
	uint32_t	i, srva, rsz;

	if (rva < hdrsize) {
		if (rva >= fsize)
			return -1;
		*off = rva;
		return 0;
	}
	for (i = info->nsections; i-- > 0;) {
		srva = (uint32_t)info->sect[i].rva;
		rsz = (uint32_t)info->sect[i].rsz;
		if (rsz && srva <= rva && rsz > rva - srva) {
			*off = rva - srva + (uint32_t)info->sect[i].raw;
			return 0;
		}
	}
	return -1;
}

/* pe_parse - PE32/PE32+ headers, section table and entry point */
static int
pe_parse(struct rd *r, int wide, struct exe_info *info)
{
	uint32_t	lfanew, nsect, ohsize, stored, ndirs, i, ep;
	uint32_t	salign, falign, hdrsize, vep;
	uint64_t	fh, opt, st;

	(void)wide;
	if (!rd_ok(r, 0x3c, 4))
		return P_BROKEN;
	if ((lfanew = rd_u32(r, 0x3c)) == 0)
		return P_FOREIGN;
	fh = lfanew;
	if (!rd_ok(r, fh, 24) || rd_u32(r, fh) != 0x00004550)
		return P_FOREIGN;	/* DOS, NE, LE: not PE */
	nsect = rd_u16(r, fh + 6);
	ohsize = rd_u16(r, fh + 20);
	if (nsect == 0 || nsect > PE_MAXSECT || ohsize < PE_OPT32)
		return P_BROKEN;
	opt = fh + 24;
	if (!rd_ok(r, opt, PE_OPT32))
		return P_BROKEN;
	if (rd_u16(r, opt) == 0x20b) {	/* PE32+ */
		if (ohsize < PE_OPT64 || !rd_ok(r, opt, PE_OPT64))
			return P_BROKEN;
		stored = PE_OPT64;
		ndirs = rd_u32(r, opt + 108);
	} else {
		stored = PE_OPT32;
		ndirs = rd_u32(r, opt + 92);
	}
	vep = rd_u32(r, opt + 16);
	salign = rd_u32(r, opt + 32);
	falign = rd_u32(r, opt + 36);
	hdrsize = rd_u32(r, opt + 60);
	if (ndirs > 16)
		ndirs = 16;
	if (ohsize < stored + 8 * ndirs ||
	    (ndirs && !rd_ok(r, opt + stored, 8 * ndirs)))
		return P_BROKEN;
	st = opt + ohsize;
	if (!rd_ok(r, st, 40 * (uint64_t)nsect))
		return P_BROKEN;
	hdrsize = pe_up(hdrsize, salign);
	falign = pe_falign(r, st, nsect, falign);
	for (i = 0; i < nsect; i++)
		if (pe_section(r, st + 40 * i, salign, falign,
		    &info->sect[i]) == -1)
			return P_BROKEN;
	info->nsections = nsect;
	if (pe_rawaddr(info, vep, hdrsize, r->len, &ep) == -1)
		return P_BROKEN;
	info->ep = ep;
	return P_OK;
}

/* elf_entry - map e_entry through the program headers; -1 on failure */
static int
elf_entry(const struct rd *r, int wide, uint64_t entry, uint64_t phoff,
    uint32_t phentsize, uint32_t phnum, uint32_t *ep)
{
	const uint32_t	 esz = wide ? 56 : 32;
	const uint64_t	 mask = wide ? UINT64_MAX : UINT32_MAX;
	uint64_t	 h, off, vaddr, memsz;
	uint32_t	 i;
	int		 found = 0;

	*ep = 0;
	if (phnum > ELF_MAXPHDR)
		return -1;
	if (phnum == 0 || entry == 0)
		return 0;
	if (phentsize != esz)
		return -1;
	/* ClamAV reads every header before it looks at any */
	if (!rd_ok(r, phoff, (uint64_t)phnum * esz))
		return -1;
	for (i = 0; i < phnum && !found; i++) {
		h = phoff + (uint64_t)i * esz;
		off = wide ? rd_u64(r, h + 8) : rd_u32(r, h + 4);
		vaddr = wide ? rd_u64(r, h + 16) : rd_u32(r, h + 8);
		memsz = wide ? rd_u64(r, h + 40) : rd_u32(r, h + 20);
		if (vaddr <= entry && ((vaddr + memsz) & mask) > entry) {
			*ep = (uint32_t)(entry - vaddr + off);
			found = 1;
		}
	}
	return found ? 0 : -1;
}

/* elf_sections - record the section header table; -1 on failure */
static int
elf_sections(const struct rd *r, int wide, uint64_t shoff,
    uint32_t shentsize, uint32_t shnum, struct exe_info *info)
{
	const uint32_t	 esz = wide ? 64 : 40;
	uint64_t	 h, addr, off, size;
	uint32_t	 i;

	if (shnum > ELF_MAXSHDR || shentsize != esz)
		return -1;
	if (shnum && !rd_ok(r, shoff, (uint64_t)shnum * esz))
		return -1;
	for (i = 0; i < shnum; i++) {
		h = shoff + (uint64_t)i * esz;
		addr = wide ? rd_u64(r, h + 16) : rd_u32(r, h + 12);
		off = wide ? rd_u64(r, h + 24) : rd_u32(r, h + 16);
		size = wide ? rd_u64(r, h + 32) : rd_u32(r, h + 20);
		exe_setsect(info, i, (uint32_t)off, (uint32_t)size,
		    (uint32_t)addr, 0);
	}
	info->nsections = shnum;
	return 0;
}

/* elf_parse - ELF32/ELF64, either byte order */
static int
elf_parse(struct rd *r, int wide, struct exe_info *info)
{
	uint64_t	entry, phoff, shoff;
	uint32_t	ep;

	if (!rd_ok(r, 0, 52))
		return P_BROKEN;
	if (r->buf[4] != 1 && r->buf[4] != 2)
		return P_BROKEN;
	wide = r->buf[4] == 2;
	r->be = r->buf[5] != 1;	/* ClamAV: all but 1 are big-endian */
	if (wide && !rd_ok(r, 0, 64))
		return P_BROKEN;
	entry = wide ? rd_u64(r, 24) : rd_u32(r, 24);
	phoff = wide ? rd_u64(r, 32) : rd_u32(r, 28);
	shoff = wide ? rd_u64(r, 40) : rd_u32(r, 32);
	if (elf_entry(r, wide, entry, phoff, rd_u16(r, wide ? 54 : 42),
	    rd_u16(r, wide ? 56 : 44), &ep) == -1)
		return P_BROKEN;
	if (elf_sections(r, wide, shoff, rd_u16(r, wide ? 58 : 46),
	    rd_u16(r, wide ? 60 : 48), info) == -1)
		return P_BROKEN;
	info->ep = ep;
	return P_OK;
}

/* State of one walk over the Mach-O load commands. */
struct macho {
	const struct rd	*r;
	int		 wide;
	uint32_t	 ep;		/* virtual, from LC_(UNIX)THREAD */
	uint32_t	 nsect;		/* sections seen */
	struct exe_info	*info;	/* 1st walk: record sections */
	uint32_t	 limit;	/* 2nd walk: sections to search */
	int		 mapped;	/* 2nd walk: epoff is set */
	uint32_t	 epoff;
};

/* macho_rsz - ClamAV's raw size of a section; -1 if malformed */
static int
macho_rsz(uint64_t size, uint32_t align, uint32_t flags, uint32_t *rsz)
{
	uint64_t	a, r;
	uint8_t		type = flags & 0xff;

	if (align > 31)
		return -1;
	/* S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL */
	if (type == 0x01 || type == 0x0c || type == 0x12) {
		*rsz = 0;
		return 0;
	}
	if (size > UINT32_MAX)
		return -1;
	a = (uint64_t)1 << align;
	r = size + ((a - (size & (a - 1))) & (a - 1));
	if (r > UINT32_MAX)
		return -1;
	*rsz = (uint32_t)r;
	return 0;
}

/* macho_section - one section header at off; -1 if malformed */
static int
macho_section(struct macho *m, uint64_t off)
{
	const struct rd	*r = m->r;
	uint64_t	 size;
	uint32_t	 addr, raw, align, flags, rsz, k;

	addr = m->wide ? (uint32_t)rd_u64(r, off + 32) : rd_u32(r, off + 32);
	size = m->wide ? rd_u64(r, off + 40) : rd_u32(r, off + 36);
	raw = rd_u32(r, off + (m->wide ? 48 : 40));
	align = rd_u32(r, off + (m->wide ? 52 : 44));
	flags = rd_u32(r, off + (m->wide ? 64 : 56));
	if (macho_rsz(size, align, flags, &rsz) == -1)
		return -1;
	k = m->nsect++;
	if (m->info != NULL)
		exe_setsect(m->info, k, raw, rsz, addr, (uint32_t)size);
	else if (!m->mapped && k < m->limit && addr <= m->ep &&
	    (uint32_t)(addr + (uint32_t)size) > m->ep) {
		m->epoff = m->ep - addr + raw;
		m->mapped = 1;
	}
	return 0;
}

/* macho_segment - LC_SEGMENT(_64) body at *at; -1 if malformed */
static int
macho_segment(struct macho *m, uint64_t *at)
{
	const uint64_t	 ssz = m->wide ? 64 : 48, esz = m->wide ? 80 : 68;
	uint32_t	 nsects, j;

	if (!rd_ok(m->r, *at, ssz))
		return -1;
	nsects = rd_u32(m->r, *at + (m->wide ? 56 : 40));
	*at += ssz;
	if (nsects > MACHO_MAXSECT)
		return -1;
	for (j = 0; j < nsects; j++, *at += esz)
		if (!rd_ok(m->r, *at, esz) || macho_section(m, *at) == -1)
			return -1;
	return 0;
}

/* macho_thread - LC_(UNIX)THREAD body at *at; -1 if truncated */
static int
macho_thread(struct macho *m, uint64_t *at, int arch)
{
	/* thread state sizes: x86, PowerPC, PowerPC 64 */
	static const uint64_t	statesz[] = { 0, 64, 160, 312 };

	*at += 8;	/* flavor, count */
	if (!rd_ok(m->r, *at, statesz[arch]))
		return -1;
	if (arch == 2)
		m->ep = rd_u32(m->r, *at);
	else if (arch == 3)
		m->ep = (uint32_t)rd_u64(m->r, *at);
	/* XXX ClamAV reads the x86 state but never takes eip from it */
	*at += statesz[arch];
	return 0;
}

/*
 * macho_walk - follow the load commands as ClamAV does; -1 if malformed.
 * arch: 0 other, 1 x86, 2 PowerPC, 3 PowerPC 64 (whose thread state
 * ClamAV reads).  Like ClamAV, a segment or thread command advances by
 * what was read, not by cmdsize.
 */
static int
macho_walk(struct macho *m, uint32_t ncmds, int arch)
{
	uint64_t	at = m->wide ? 32 : 28;
	uint32_t	i, cmd, cmdsize;
	int		rc = 0;

	m->nsect = 0;
	for (i = 0; i < ncmds && rc == 0; i++) {
		if (!rd_ok(m->r, at, 8))
			return -1;
		cmd = rd_u32(m->r, at);
		cmdsize = rd_u32(m->r, at + 4);
		at += 8;
		if (cmd == (m->wide ? 0x19u : 0x01u))
			rc = macho_segment(m, &at);
		else if (arch && (cmd == 0x4 || cmd == 0x5))
			rc = macho_thread(m, &at, arch);
		else if (cmdsize > 8)
			at += cmdsize - 8;
	}
	return rc;
}

/* macho_parse - thin Mach-O, 32/64-bit, either byte order */
static int
macho_parse(struct rd *r, int wide, struct exe_info *info)
{
	struct macho	m = { .r = r, .wide = wide, .info = info };
	uint32_t	ncmds, cpu;
	int		arch;

	if (!rd_ok(r, 0, 28))
		return P_BROKEN;
	cpu = rd_u32(r, 4);
	arch = cpu == 7 ? 1 : cpu == 18 ? 2 : cpu == 0x1000012 ? 3 : 0;
	ncmds = rd_u32(r, 16);
	if (ncmds == 0 || ncmds > MACHO_MAXCMD)
		return P_BROKEN;
	if (macho_walk(&m, ncmds, arch) == -1)
		return P_BROKEN;
	info->nsections = m.nsect & 0xffff;	/* ClamAV's is 16 bits */
	info->ep = m.ep;
	if (m.ep != 0 && m.nsect != 0) {
		/* map through the first section that holds it */
		m.info = NULL;
		m.limit = m.nsect & 0xffff;
		if (macho_walk(&m, ncmds, arch) == -1 || !m.mapped)
			return P_BROKEN;
		info->ep = m.epoff;
	}
	return P_OK;
}

/* fat_parse - a universal binary: typed Mach-O, but never parsed */
static int
fat_parse(struct rd *r, int wide, struct exe_info *info)
{
	(void)wide;
	(void)info;
	/* nfats < 32; larger values are Java class files */
	if (!rd_ok(r, 0, 8) || r->buf[4] || r->buf[5] || r->buf[6] ||
	    r->buf[7] >= 0x20)
		return P_NOTYPE;
	return P_FOREIGN;
}

static const struct exe_kind {
	uint8_t		 magic[4];
	size_t		 mlen;
	enum exe_type	 type;
	int		 be;	/* multi-byte fields are big-endian */
	int		 wide;	/* 64-bit layout */
	int		(*parse)(struct rd *, int, struct exe_info *);
} exe_kinds[] = {
	{ { 'M', 'Z' },			2, EXE_PE,    0, 0, pe_parse },
	{ { 0x7f, 'E', 'L', 'F' },	4, EXE_ELF,   0, 0, elf_parse },
	{ { 0xce, 0xfa, 0xed, 0xfe },	4, EXE_MACHO, 0, 0, macho_parse },
	{ { 0xcf, 0xfa, 0xed, 0xfe },	4, EXE_MACHO, 0, 1, macho_parse },
	{ { 0xfe, 0xed, 0xfa, 0xce },	4, EXE_MACHO, 1, 0, macho_parse },
	{ { 0xfe, 0xed, 0xfa, 0xcf },	4, EXE_MACHO, 1, 1, macho_parse },
	{ { 0xca, 0xfe, 0xba, 0xbe },	4, EXE_MACHO, 1, 0, fat_parse },
};

/* exe_parse - classify buf by its magic and fill info (see exe.h) */
enum exe_type
exe_parse(const uint8_t *buf, size_t len, struct exe_info *info)
{
	const struct exe_kind	*k;
	struct rd		 r;
	size_t			 i;
	int			 rc;

	memset(info, 0, sizeof(*info));
	if (buf == NULL)
		return EXE_NONE;
	for (i = 0; i < sizeof(exe_kinds) / sizeof(exe_kinds[0]); i++) {
		k = &exe_kinds[i];
		if (len < k->mlen || memcmp(buf, k->magic, k->mlen) != 0)
			continue;
		r = (struct rd){ .buf = buf, .len = len, .be = k->be };
		rc = k->parse(&r, k->wide, info);
		if (rc == P_NOTYPE)
			break;
		if (rc != P_OK) {
			memset(info, 0, sizeof(*info));
			info->broken = rc == P_BROKEN;
		} else
			info->has_ep = 1;
		info->type = k->type;
		break;
	}
	return info->type;
}
