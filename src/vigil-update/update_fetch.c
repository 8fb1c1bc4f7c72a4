/*
 * update_fetch.c - downloads for vigil-update, through libcurl
 *
 * DESIGN: one easy handle for the whole run, so requests to a server
 * share its connection.  libcurl speaks http, https, ftp and file; other
 * schemes are refused, and redirects may only lead to http or https (a
 * server must not send the updater to a local file).  Every transfer has
 * a byte ceiling taken from the signed manifest (or the manifest size
 * limit): the write callback stops a server that sends more, so a
 * hostile or broken mirror cannot fill the disk.  A stalled transfer
 * ends after Timeout seconds below 1 byte/s, a slow one after Timeout.
 * Proxies as the guides describe: UseProxy=yes with ProxyAddress
 * (user:password in the URL for basic authentication), or, with
 * ProxyAddress empty, the http_proxy/https_proxy/ftp_proxy variables that
 * libcurl reads itself; UseProxy=no ignores both.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "fdio.h"
#include "update.h"

struct sink {
	struct strbuf	*sb;		/* to memory, or */
	int		 fd;		/* to a file */
	uint64_t	 max, got;
	int		 over, local, saved_errno;
};

/* fetch_init - the run's handle */
int
fetch_init(struct upd *u, char *err, size_t errlen)
{
	CURL	*c;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "cannot initialise libcurl");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,ftp,file");
	curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
	curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, u->ctimeout);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, u->timeout);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, u->ctimeout);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "vigil-update");
	if (!u->passive_ftp)
		curl_easy_setopt(c, CURLOPT_FTPPORT, "-");
	if (!u->use_proxy)
		curl_easy_setopt(c, CURLOPT_PROXY, "");
	else if (u->proxy != NULL && u->proxy[0] != '\0') {
		curl_easy_setopt(c, CURLOPT_PROXY, u->proxy);
		curl_easy_setopt(c, CURLOPT_PROXYAUTH, (long)CURLAUTH_ANY);
	}
	u->curl = c;
	return 0;
}

/* fetch_fini - release the handle */
void
fetch_fini(struct upd *u)
{
	if (u->curl != NULL)
		curl_easy_cleanup(u->curl);
	u->curl = NULL;
	curl_global_cleanup();
}

/* fetch_source_url - a source as a URL: a directory becomes file:// */
char *
fetch_source_url(const char *src)
{
	char	 abs[PATH_MAX], *url, *esc;
	CURL	*c;
	size_t	 n;

	if (strstr(src, "://") != NULL) {
		url = strdup(src);
		goto trim;
	}
	if (realpath(src, abs) == NULL)
		snprintf(abs, sizeof(abs), "%s", src);
	/* escape what a URL cannot hold, keeping the slashes */
	if ((c = curl_easy_init()) == NULL)
		return NULL;
	esc = curl_easy_escape(c, abs, 0);
	curl_easy_cleanup(c);
	if (esc == NULL)
		return NULL;
	n = strlen(esc) + 8;
	if ((url = malloc(n)) != NULL) {
		char	*o = url + 7, *p;

		memcpy(url, "file://", 7);
		for (p = esc; *p != '\0'; p++) {
			if (strncmp(p, "%2F", 3) == 0) {
				*o++ = '/';
				p += 2;
			} else
				*o++ = *p;
		}
		*o = '\0';
	}
	curl_free(esc);
trim:
	if (url != NULL)
		for (n = strlen(url); n > 0 && url[n - 1] == '/'; n--)
			url[n - 1] = '\0';
	return url;
}

/* on_data - CURLOPT_WRITEFUNCTION */
static size_t
on_data(char *p, size_t sz, size_t nm, void *arg)
{
	struct sink	*s = arg;
	size_t		 n = sz * nm;

	if (n > s->max - s->got) {
		s->over = 1;
		return 0;
	}
	if (s->sb != NULL) {
		if (strbuf_append(s->sb, p, n) == -1) {
			s->over = 1;
			return 0;
		}
	} else if (fd_write_all(s->fd, p, n) == -1) {
		s->local = 1;
		s->saved_errno = errno;
		return 0;
	}
	s->got += n;
	return n;
}

/* transfer - one GET of base/rel into the sink */
static int
transfer(struct upd *u, const char *base, const char *rel, struct sink *s,
    char *err, size_t errlen)
{
	char		 url[8192];
	CURLcode	 cc;
	curl_off_t	 dl = 0;
	CURL		*c = u->curl;

	snprintf(url, sizeof(url), "%s/%s", base, rel);
	urep(u, R_DEBUG, "fetching %s", url);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	cc = curl_easy_perform(c);
	if (curl_easy_getinfo(c, CURLINFO_SIZE_DOWNLOAD_T, &dl) == CURLE_OK &&
	    dl > 0)
		u->fetched += (uint64_t)dl;
	if (cc == CURLE_OK)
		return 0;
	if (s->local) {
		snprintf(err, errlen, "%s: writing: %s", rel,
		    strerror(s->saved_errno));
		errno = s->saved_errno;
		return FETCH_LOCAL;
	}
	if (s->over)
		snprintf(err, errlen, "%s: larger than the %llu bytes "
		    "expected", rel, (unsigned long long)s->max);
	else
		snprintf(err, errlen, "%s: %s", url, curl_easy_strerror(cc));
	return FETCH_REMOTE;
}

/* fetch_mem - GET base/rel into out, at most max bytes */
int
fetch_mem(struct upd *u, const char *base, const char *rel, size_t max,
    struct strbuf *out, char *err, size_t errlen)
{
	struct sink	 s = { .sb = out, .fd = -1, .max = max };

	return transfer(u, base, rel, &s, err, errlen);
}

/* fetch_fd - GET base/rel into fd, at most max bytes */
int
fetch_fd(struct upd *u, const char *base, const char *rel, int fd,
    uint64_t max, char *err, size_t errlen)
{
	struct sink	 s = { .fd = fd, .max = max };

	return transfer(u, base, rel, &s, err, errlen);
}
