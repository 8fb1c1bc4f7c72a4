/*
 * vigil-scan_out.c - what the on-demand scanner prints
 *
 * DESIGN: every line goes to stdout and, when -o is given, to the report
 * file, under one lock so lines from worker threads never interleave.
 * Text lines follow clamscan's shape ("PATH: NAME FOUND", "PATH: OK") so
 * existing scripts keep working; --json prints one object per scanned
 * object instead.  Paths are untrusted text: JSON escapes them fully,
 * text output replaces control characters.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "strbuf.h"
#include "vigil-scan.h"

/* emit - one line to stdout and the report file; caller holds the lock */
static void
emit(struct vs *vs, const char *line)
{
	fputs(line, stdout);
	if (vs->report != NULL)
		fputs(line, vs->report);
}

/* vs_printf - formatted line(s) to both outputs */
void
vs_printf(struct vs *vs, const char *fmt, ...)
{
	char	 buf[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&vs->lock);
	emit(vs, buf);
	pthread_mutex_unlock(&vs->lock);
}

/* text_path - path with control characters shown as '?' */
static void
text_path(struct strbuf *sb, const char *p)
{
	for (; *p != '\0'; p++)
		strbuf_addc(sb, (unsigned char)*p < 0x20 || *p == 0x7f ?
		    '?' : *p);
}

/* json_str - a JSON string literal */
static void
json_str(struct strbuf *sb, const char *p)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *s = (const unsigned char *)p;

	strbuf_addc(sb, '"');
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\') {
			strbuf_addc(sb, '\\');
			strbuf_addc(sb, *s);
		} else if (*s < 0x20 || *s == 0x7f) {
			strbuf_append(sb, "\\u00", 4);
			strbuf_addc(sb, hex[*s >> 4]);
			strbuf_addc(sb, hex[*s & 15]);
		} else
			strbuf_addc(sb, *s);
	}
	strbuf_addc(sb, '"');
}

/* count - fold a verdict into the counters; caller holds the lock */
static void
count(struct vs *vs, const struct vigil_result *r)
{
	vs->n.files++;
	vs->n.bytes += r->bytes;
	switch (r->status) {
	case VIGIL_INFECTED:	vs->n.infected++; break;
	case VIGIL_SUSPICIOUS:	vs->n.suspicious++; break;
	case VIGIL_WARNING:	vs->n.warning++; break;
	case VIGIL_CORRUPTED:	vs->n.corrupted++; break;
	case VIGIL_PROTECTED:	vs->n.protected_++; break;
	case VIGIL_STATUS_ERROR: vs->n.errors++; break;
	default:		break;
	}
}

/* format_json - one object per scanned object */
static void
format_json(struct strbuf *sb, const char *path, const struct vigil_result *r)
{
	const struct vigil_detection *d;
	unsigned i;

	strbuf_append(sb, "{\"path\":", 8);
	json_str(sb, path);
	strbuf_printf(sb, ",\"status\":\"%s\",\"threat\":",
	    vigil_status_name(r->status));
	if (r->threat != NULL)
		json_str(sb, r->threat);
	else
		strbuf_append(sb, "null", 4);
	if (r->ndet > 0) {
		strbuf_append(sb, ",\"detections\":[", 15);
		for (i = 0; i < r->ndet; i++) {
			d = &r->det[i];
			if (i > 0)
				strbuf_addc(sb, ',');
			strbuf_append(sb, "{\"object\":", 10);
			json_str(sb, d->object);
			strbuf_printf(sb, ",\"status\":\"%s\"",
			    vigil_status_name(d->status));
			if (d->threat != NULL) {
				strbuf_append(sb, ",\"threat\":", 10);
				json_str(sb, d->threat);
			}
			if (d->reason != NULL) {
				strbuf_append(sb, ",\"reason\":", 10);
				json_str(sb, d->reason);
			}
			strbuf_addc(sb, '}');
		}
		strbuf_addc(sb, ']');
	}
	if (r->reason != NULL) {
		strbuf_append(sb, ",\"reason\":", 10);
		json_str(sb, r->reason);
	}
	strbuf_printf(sb, ",\"objects\":%u,\"bytes\":%llu}\n", r->objects,
	    (unsigned long long)r->bytes);
}

/* format_text - clamscan-shaped lines, one per detection; a member is
 * named after its container: "a.zip/b.tar/c.exe: NAME FOUND" */
static void
format_text(struct vs *vs, struct strbuf *sb, const char *path,
    const struct vigil_result *r)
{
	const struct vigil_detection *d;
	unsigned i;

	for (i = 0; i < r->ndet; i++) {
		d = &r->det[i];
		text_path(sb, path);
		if (d->object[0] != '\0') {
			strbuf_addc(sb, '/');
			text_path(sb, d->object);
		}
		if (d->threat != NULL)
			strbuf_printf(sb, ": %s FOUND\n", d->threat);
		else
			strbuf_printf(sb, ": %s %s\n", d->reason ? d->reason :
			    "", vigil_status_name(d->status));
	}
	if (r->ndet > 0)
		return;
	if (r->status != VIGIL_CLEAN) {
		text_path(sb, path);
		strbuf_printf(sb, ": %s %s\n", r->reason ? r->reason : "",
		    vigil_status_name(r->status));
	} else if (vs->show_ok && !vs->quiet) {
		text_path(sb, path);
		strbuf_append(sb, ": OK\n", 5);
	}
}

/* vs_out_cached - a file skipped as unchanged and clean (iChecker) */
void
vs_out_cached(struct vs *vs, const char *path, uint64_t size)
{
	struct strbuf	 sb;

	strbuf_init(&sb, 1 << 16);
	if (vs->json) {
		strbuf_append(&sb, "{\"path\":", 8);
		json_str(&sb, path);
		strbuf_printf(&sb, ",\"status\":\"CLEAN\",\"threat\":null,"
		    "\"cached\":true,\"bytes\":%llu}\n",
		    (unsigned long long)size);
	} else if (vs->show_ok && !vs->quiet) {
		text_path(&sb, path);
		strbuf_append(&sb, ": OK\n", 5);
	}
	pthread_mutex_lock(&vs->lock);
	vs->n.files++;
	vs->n.cached++;
	if (sb.len > 0)
		emit(vs, sb.data);
	pthread_mutex_unlock(&vs->lock);
	strbuf_fini(&sb);
}

/* vs_note - "PATH: what was done" */
void
vs_note(struct vs *vs, const char *path, const char *fmt, ...)
{
	struct strbuf	 sb;
	char		 buf[1024];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	strbuf_init(&sb, 1 << 16);
	if (vs->json) {
		strbuf_append(&sb, "{\"path\":", 8);
		json_str(&sb, path);
		strbuf_append(&sb, ",\"action\":", 10);
		json_str(&sb, buf);
		strbuf_append(&sb, "}\n", 2);
	} else {
		text_path(&sb, path);
		strbuf_printf(&sb, ": %s\n", buf);
	}
	pthread_mutex_lock(&vs->lock);
	emit(vs, sb.data);
	pthread_mutex_unlock(&vs->lock);
	strbuf_fini(&sb);
}

/* vs_count_action - one more file cured, removed, moved, quarantined */
void
vs_count_action(struct vs *vs, enum vs_action a)
{
	pthread_mutex_lock(&vs->lock);
	vs->n.action[a]++;
	pthread_mutex_unlock(&vs->lock);
}

/* vs_out_result - report one scanned object; keep (may be NULL) gets a
 * copy of the lines */
void
vs_out_result(struct vs *vs, const char *path, const struct vigil_result *r,
    struct strbuf *keep)
{
	struct strbuf	 sb;

	strbuf_init(&sb, 1 << 20);
	if (vs->json)
		format_json(&sb, path, r);
	else
		format_text(vs, &sb, path, r);
	pthread_mutex_lock(&vs->lock);
	count(vs, r);
	if (sb.len > 0)
		emit(vs, sb.data);
	pthread_mutex_unlock(&vs->lock);
	if (keep != NULL && sb.len > 0)
		(void)strbuf_append(keep, sb.data, sb.len);
	strbuf_fini(&sb);
}

/* vs_out_replay - the lines of an unchanged file, from the verdict cache */
void
vs_out_replay(struct vs *vs, const char *text, int status)
{
	struct vigil_result r;

	memset(&r, 0, sizeof(r));
	r.status = (enum vigil_status)status;
	pthread_mutex_lock(&vs->lock);
	count(vs, &r);
	vs->n.cached++;
	emit(vs, text);
	pthread_mutex_unlock(&vs->lock);
}

/* vs_out_error - an object that could not even be opened */
void
vs_out_error(struct vs *vs, const char *path, const char *why)
{
	struct vigil_result r;

	memset(&r, 0, sizeof(r));
	r.status = VIGIL_STATUS_ERROR;
	r.reason = why;
	vs_out_result(vs, path, &r, NULL);
}

/* vs_out_dir - count a directory */
void
vs_out_dir(struct vs *vs)
{
	pthread_mutex_lock(&vs->lock);
	vs->n.dirs++;
	pthread_mutex_unlock(&vs->lock);
}

/* vs_out_summary - the closing summary */
void
vs_out_summary(struct vs *vs, const struct vigil_load_report *rep,
    double seconds)
{
	const struct vs_counts *n = &vs->n;

	if (!vs->summary || vs->json)
		return;
	if (vs->engine == NULL)
		vs_printf(vs, "\n----------- SCAN SUMMARY -----------\n"
		    "Scanned by: vigild at %s\n"
		    "Engine version: vigil %s\n"
		    "Database version: %.16s\n",
		    vs->daemon, VIGIL_VERSION, vs->daemon_db[0] ?
		    vs->daemon_db : "-");
	else {
		vs_printf(vs, "\n----------- SCAN SUMMARY -----------\n"
		    "Known viruses: %lu\n"
		    "Engine version: vigil %s\n",
		    vigil_engine_sigcount(vs->engine), VIGIL_VERSION);
		/* an installed package is known by its version */
		if (rep->package_version != 0)
			vs_printf(vs, "Database version: %llu (%.16s)\n",
			    rep->package_version,
			    vigil_engine_version(vs->engine));
		else
			vs_printf(vs, "Database version: %.16s\n",
			    vigil_engine_version(vs->engine));
		vs_printf(vs, "Database load: %.3f sec%s\n", rep->seconds,
		    rep->from_cache ? " (cached)" : "");
	}
	vs_printf(vs, "Scanned directories: %lu\n"
	    "Scanned files: %lu\n"
	    "Infected files: %lu\n", n->dirs, n->files, n->infected);
	if (n->suspicious)
		vs_printf(vs, "Suspicious files: %lu\n", n->suspicious);
	if (n->warning)
		vs_printf(vs, "Warnings: %lu\n", n->warning);
	if (n->corrupted)
		vs_printf(vs, "Corrupted files: %lu\n", n->corrupted);
	if (n->protected_)
		vs_printf(vs, "Protected files: %lu\n", n->protected_);
	if (n->cached)
		vs_printf(vs, "Unchanged files skipped (cache): %lu\n",
		    n->cached);
	if (n->action[VS_CURED])
		vs_printf(vs, "Cured files: %lu\n", n->action[VS_CURED]);
	if (n->action[VS_REMOVED])
		vs_printf(vs, "Removed files: %lu\n", n->action[VS_REMOVED]);
	if (n->action[VS_MOVED])
		vs_printf(vs, "Moved files: %lu\n", n->action[VS_MOVED]);
	if (n->action[VS_QUARANTINED])
		vs_printf(vs, "Quarantined files: %lu\n",
		    n->action[VS_QUARANTINED]);
	vs_printf(vs, "Total errors: %lu\n"
	    "Data scanned: %.2f MB\n"
	    "Time: %.3f sec\n", n->errors, (double)n->bytes / 1e6, seconds);
}
