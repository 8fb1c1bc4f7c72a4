/*
 * exe.h - executable header facts for signature offsets (PE, ELF, Mach-O)
 *
 * Body signatures and logical-signature target blocks of target type
 * 1 (PE), 6 (ELF) and 9 (Mach-O) need three facts about a file: which
 * of those types it is, the file offset of its entry point (EP+n, EP-n,
 * TDB EntryPoint) and its section table (Sx+n, SL+n, SEx, TDB
 * NumberOfSections).  exe_parse() computes them the way ClamAV 1.4 does,
 * quirks included, so that verdicts agree with clamscan:
 *
 *   type     what ClamAV's file typing says: "MZ" -> EXE_PE, "\177ELF" ->
 *            EXE_ELF, the four thin Mach-O magics and a fat header with
 *            fewer than 32 architectures -> EXE_MACHO.
 *   has_ep   ClamAV's "target info parsed" status.  When 0, no EP/Sx/SL/SE
 *            offset and no EntryPoint/NumberOfSections condition may match
 *            (ClamAV skips them all), even though type may be set.
 *   ep       32 bits, as ClamAV keeps it; 0 is a valid entry point (ELF
 *            with e_entry 0 or no program headers, x86/x86-64/ARM Mach-O,
 *            which ClamAV does not decode).  Callers computing EP+n or
 *            EP-n must wrap modulo 2^32 to agree with ClamAV.
 *   sect     raw/rsz/rva/vsz are the values ClamAV computes (PE offsets
 *            and sizes rounded to the file/section alignment, sizes cut at
 *            end of file; ELF section headers; Mach-O sections), each
 *            truncated to 32 bits like ClamAV.  ELF sections have vsz 0.
 *   nsections  ClamAV's count (PE <= 96, ELF <= 256, Mach-O modulo 65536);
 *            only the first EXE_MAXSECT are stored.
 *   broken   the magic matched and ClamAV would reject the headers as
 *            truncated or inconsistent (has_ep is then 0).  A DOS "MZ"
 *            without a PE header and a fat Mach-O are not broken.
 */
#ifndef VIGIL_EXE_H
#define VIGIL_EXE_H

#include <stddef.h>
#include <stdint.h>

enum exe_type { EXE_NONE = 0, EXE_PE, EXE_ELF, EXE_MACHO };

#define EXE_MAXSECT	96

struct exe_section {
	uint64_t	raw, rsz, rva, vsz;	/* raw = file offset of start */
};

struct exe_info {
	enum exe_type	type;
	int		has_ep;		/* EP could be mapped to a file offset */
	uint64_t	ep;		/* file offset of the entry point */
	uint32_t	nsections;	/* as ClamAV counts them (may exceed EXE_MAXSECT) */
	struct exe_section sect[EXE_MAXSECT];	/* the first EXE_MAXSECT */
	int		broken;		/* headers present but inconsistent/truncated */
};

/*
 * exe_parse - classify buf and fill info; never reads outside [buf, buf+len);
 * returns info->type.  buf must hold the whole file: ClamAV measures
 * sections and the entry point against the file size.  Cheap when the
 * buffer is not an executable (the magic is checked first).  Work is
 * bounded by the header limits ClamAV applies (at most 1024 Mach-O load
 * commands, 255 sections each); nothing is allocated.
 */
enum exe_type	exe_parse(const uint8_t *buf, size_t len,
		    struct exe_info *info);

#endif /* VIGIL_EXE_H */
