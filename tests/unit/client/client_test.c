/*
 * client_test.c - the vigild client library against a scripted fake
 * server: a thread that accepts one connection (unix socket in a
 * temporary directory, or TCP on 127.0.0.1) and, per step, reads one
 * command (with any passed descriptor and any VINSTREAM chunks), then
 * answers with canned text, passes a descriptor, closes, or stays silent
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "vigil/client.h"

#define DB64	"0123456789abcdef0123456789abcdef" \
		"0123456789abcdef0123456789abcdef"

enum srv_act {
	SRV_REPLY,	/* send the reply */
	SRV_CURED,	/* send the reply, a descriptor with its "VEND\n" */
	SRV_FDFIRST,	/* send the reply, a descriptor with its first byte */
	SRV_CLOSE,	/* send the reply, then close */
	SRV_SILENT,	/* say nothing until the client goes away */
	SRV_NOREAD	/* send the reply, read nothing until the client goes */
};

struct srv_step {
	int		 read_cmd;	/* 0: act at once (a greeting); 1: read
					 * the command and its stream; 2: the
					 * command line only */
	enum srv_act	 act;
	const char	*reply;
};

#define SRV_MAXCMD	8
struct srv {
	int			 lfd;
	const struct srv_step	*steps;
	size_t			 nsteps;
	int			 passfd;	/* what SRV_CURED passes */
	pthread_t		 th;
	/* what the server saw */
	char			 cmd[SRV_MAXCMD][1024];
	int			 ncmd;
	char			 fdtext[64];	/* content of a passed fd */
	int			 nfds;
	size_t			 streamlen;
	uint32_t		 streamsum;
	unsigned		 chunks[16];
	int			 nchunks;
	/* connection buffer */
	int			 cfd;
	size_t			 len;
	unsigned char		 buf[1 << 17];
};

static char	 tdir[64];
static char	 tsock[100];

/* srv_recv - read more bytes, collecting passed descriptors; -1 on EOF */
static int
srv_recv(struct srv *s)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(int) * 4)];
	} cb;
	struct iovec	 iov = { s->buf + s->len, sizeof(s->buf) - s->len };
	struct msghdr	 m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cb.b, .msg_controllen = sizeof(cb.b) };
	struct cmsghdr	*c;
	ssize_t		 n, k;
	int		 fd;

	if ((n = recvmsg(s->cfd, &m, 0)) <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c != NULL; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_type != SCM_RIGHTS)
			continue;
		memcpy(&fd, CMSG_DATA(c), sizeof(fd));
		s->nfds++;
		k = pread(fd, s->fdtext, sizeof(s->fdtext) - 1, 0);
		s->fdtext[k > 0 ? k : 0] = '\0';
		close(fd);
	}
	s->len += (size_t)n;
	return 0;
}

/* srv_take - remove n bytes from the front of the buffer */
static void
srv_take(struct srv *s, size_t n)
{
	memmove(s->buf, s->buf + n, s->len - n);
	s->len -= n;
}

/* srv_command - read one command line and, with_stream, its stream */
static int
srv_command(struct srv *s, int with_stream)
{
	unsigned char	*nl;
	uint32_t	 n;
	size_t		 i;
	char		*cmd = s->cmd[s->ncmd < SRV_MAXCMD ? s->ncmd : 0];

	while ((nl = memchr(s->buf, '\n', s->len)) == NULL)
		if (srv_recv(s) == -1)
			return -1;
	snprintf(cmd, 1024, "%.*s", (int)(nl - s->buf), (char *)s->buf);
	srv_take(s, (size_t)(nl - s->buf) + 1);
	s->ncmd++;
	if (!with_stream || strncmp(cmd, "nVINSTREAM", 10) != 0)
		return 0;
	for (;;) {
		while (s->len < 4)
			if (srv_recv(s) == -1)
				return -1;
		n = (uint32_t)s->buf[0] << 24 | (uint32_t)s->buf[1] << 16 |
		    (uint32_t)s->buf[2] << 8 | s->buf[3];
		if (s->nchunks < 16)
			s->chunks[s->nchunks++] = n;
		if (n == 0) {
			srv_take(s, 4);
			return 0;
		}
		while (s->len < 4 + n)
			if (srv_recv(s) == -1)
				return -1;
		for (i = 0; i < n; i++)
			s->streamsum = s->streamsum * 31 + s->buf[4 + i];
		s->streamlen += n;
		srv_take(s, 4 + n);
	}
}

/* srv_sendfd - send text with a descriptor attached */
static void
srv_sendfd(int cfd, const char *text, size_t n, int fd)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct iovec	 iov = { (void *)text, n };
	struct msghdr	 m = { .msg_iov = &iov, .msg_iovlen = 1,
	    .msg_control = cb.b, .msg_controllen = sizeof(cb.b) };

	memset(&cb, 0, sizeof(cb));
	CMSG_FIRSTHDR(&m)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&m)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&m)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&m)), &fd, sizeof(int));
	if (sendmsg(cfd, &m, MSG_NOSIGNAL) != (ssize_t)n)
		abort();
}

/* srv_act - carry out one step's answer; -1 when the connection ends */
static int
srv_act(struct srv *s, const struct srv_step *st)
{
	const char	*r = st->reply != NULL ? st->reply : "";
	const char	*vend = strstr(r, "VEND\n");
	char		 sink[256];

	switch (st->act) {
	case SRV_CURED:
		if (vend == NULL)
			abort();
		(void)send(s->cfd, r, (size_t)(vend - r), MSG_NOSIGNAL);
		srv_sendfd(s->cfd, vend, strlen(vend), s->passfd);
		return 0;
	case SRV_FDFIRST:
		srv_sendfd(s->cfd, r, 1, s->passfd);
		(void)send(s->cfd, r + 1, strlen(r) - 1, MSG_NOSIGNAL);
		return 0;
	case SRV_REPLY:
	case SRV_CLOSE:
		(void)send(s->cfd, r, strlen(r), MSG_NOSIGNAL);
		return st->act == SRV_CLOSE ? -1 : 0;
	case SRV_SILENT:
		while (recv(s->cfd, sink, sizeof(sink), 0) > 0)
			;
		return -1;
	case SRV_NOREAD: {
		struct pollfd	 p = { .fd = s->cfd, .events = POLLRDHUP };

		(void)send(s->cfd, r, strlen(r), MSG_NOSIGNAL);
		while (poll(&p, 1, 5000) == 1 &&
		    !(p.revents & (POLLRDHUP | POLLHUP)))
			;
		return -1;
	}
	}
	return -1;
}

/* srv_main - accept one connection and play the script */
static void *
srv_main(void *arg)
{
	struct srv	*s = arg;
	char		 sink[256];
	size_t		 i;

	if ((s->cfd = accept(s->lfd, NULL, NULL)) == -1)
		return NULL;
	for (i = 0; i < s->nsteps; i++) {
		if (s->steps[i].read_cmd &&
		    srv_command(s, s->steps[i].read_cmd == 1) == -1)
			goto out;
		if (srv_act(s, &s->steps[i]) == -1)
			goto out;
	}
	/* wait for the client to go */
	while (recv(s->cfd, sink, sizeof(sink), 0) > 0)
		;
out:
	close(s->cfd);
	return NULL;
}

/* srv_start - listen (unix socket tsock, or TCP when port != NULL) and run */
static struct srv *
srv_start(const struct srv_step *steps, size_t nsteps, int *port)
{
	struct sockaddr_un	 sun = { .sun_family = AF_UNIX };
	struct sockaddr_in	 sin = { .sin_family = AF_INET };
	socklen_t		 sl = sizeof(sin);
	struct srv		*s;

	s = calloc(1, sizeof(*s));
	assert_non_null(s);
	s->steps = steps;
	s->nsteps = nsteps;
	s->passfd = -1;
	if (port != NULL) {
		sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		assert_true((s->lfd = socket(AF_INET, SOCK_STREAM, 0)) != -1);
		assert_int_equal(bind(s->lfd, (struct sockaddr *)&sin,
		    sizeof(sin)), 0);
		assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sin,
		    &sl), 0);
		*port = ntohs(sin.sin_port);
	} else {
		unlink(tsock);
		snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", tsock);
		assert_true((s->lfd = socket(AF_UNIX, SOCK_STREAM, 0)) != -1);
		assert_int_equal(bind(s->lfd, (struct sockaddr *)&sun,
		    sizeof(sun)), 0);
	}
	assert_int_equal(listen(s->lfd, 4), 0);
	return s;
}

/* srv_run - start the thread (after the test set passfd) */
static void
srv_run(struct srv *s)
{
	assert_int_equal(pthread_create(&s->th, NULL, srv_main, s), 0);
}

/* srv_join - wait for the script to end and free */
static void
srv_join(struct srv *s)
{
	pthread_join(s->th, NULL);
	close(s->lfd);
	if (s->passfd != -1)
		close(s->passfd);
	free(s);
}

/* tmpfile_with - a temporary file holding text, offset at its end */
static int
tmpfile_with(const char *text)
{
	char	 p[160];
	int	 fd;

	snprintf(p, sizeof(p), "%s/f.XXXXXX", tdir);
	assert_true((fd = mkstemp(p)) != -1);
	unlink(p);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

/* count_fds - descriptors open in this process */
static int
count_fds(void)
{
	DIR		*d = opendir("/proc/self/fd");
	struct dirent	*e;
	int		 n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;	/* the directory's own */
}

/* now_ms - monotonic milliseconds */
static long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

#define VERDICT2 \
	"VRESULT status=INFECTED ndet=2 objects=3 bytes=4096 usec=1500 " \
	"cached=0 cured=0 db=" DB64 " threat=Eicar-Test-Signature\n" \
	"VDET status=INFECTED object=a.zip/e%20i.com " \
	"threat=Eicar-Test-Signature\n" \
	"VDET status=CORRUPTED object=a.zip/b.tar reason=bad%20header\n" \
	"VEND\n"
#define CLEAN0 \
	"VRESULT status=CLEAN ndet=0 objects=1 bytes=5 usec=9 cached=1 " \
	"cured=0 db=\nVEND\n"

/* test_verdict - VSCAN passes the fd; a verdict with two detections,
 * then the same connection answers PING */
static void
test_verdict(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_REPLY, VERDICT2 },
		{ 1, SRV_REPLY, "PONG\n" },
	};
	struct vigil_client_result	 res;
	struct vigil_client_opts	 o = { .name = "/srv/a b.zip",
	    .client = "test" };
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256], reply[64];
	int				 fd;

	(void)state;
	s = srv_start(steps, 2, NULL);
	srv_run(s);
	fd = tmpfile_with("hello");
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_fd(c, fd, &o, &res, err,
	    sizeof(err)), 0);
	assert_int_equal(res.status, VIGIL_INFECTED);
	assert_string_equal(res.threat, "Eicar-Test-Signature");
	assert_null(res.reason);
	assert_int_equal(res.ndet, 2);
	assert_int_equal(res.det[0].status, VIGIL_INFECTED);
	assert_string_equal(res.det[0].object, "a.zip/e i.com");
	assert_string_equal(res.det[0].threat, "Eicar-Test-Signature");
	assert_null(res.det[0].reason);
	assert_int_equal(res.det[1].status, VIGIL_CORRUPTED);
	assert_null(res.det[1].threat);
	assert_string_equal(res.det[1].reason, "bad header");
	assert_int_equal(res.bytes, 4096);
	assert_int_equal(res.objects, 3);
	assert_int_equal(res.usec, 1500);
	assert_int_equal(res.cached, 0);
	assert_int_equal(res.cured_fd, -1);
	assert_string_equal(res.db, DB64);
	vigil_client_result_free(&res);
	assert_null(res.det);
	assert_int_equal(vigil_client_usable(c), 1);
	assert_int_equal(vigil_client_command(c, "PING", reply, sizeof(reply),
	    err, sizeof(err)), 0);
	assert_string_equal(reply, "PONG");
	vigil_client_close(c);
	srv_join(s);
	close(fd);
}

/* test_verdict_wire - what the server saw of a VSCAN: the command text
 * and the descriptor, content from offset 0 */
static void
test_verdict_wire(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_REPLY, CLEAN0 },
		{ 1, SRV_REPLY, CLEAN0 },
	};
	struct vigil_limits		 lim = { .max_file_size = 10,
	    .set = VIGIL_SET_PARANOID, .flags = VIGIL_SCAN_ALLMATCH };
	struct vigil_client_opts	 o = { .name = "/srv/a b.zip",
	    .client = "test" };
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256];
	int				 fd;

	(void)state;
	s = srv_start(steps, 2, NULL);
	srv_run(s);
	fd = tmpfile_with("hello");
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_fd(c, fd, &o, &res, err,
	    sizeof(err)), 0);
	assert_int_equal(res.status, VIGIL_CLEAN);
	assert_int_equal(res.cached, 1);
	assert_string_equal(res.db, "");
	vigil_client_result_free(&res);
	o.lim = &lim;
	assert_int_equal(vigil_client_scan_fd(c, fd, &o, &res, err,
	    sizeof(err)), 0);
	vigil_client_result_free(&res);
	vigil_client_close(c);
	pthread_join(s->th, NULL);
	assert_string_equal(s->cmd[0],
	    "nVSCAN cure=0 name=/srv/a%20b.zip client=test");
	assert_string_equal(s->cmd[1], "nVSCAN set=paranoid flags=allmatch "
	    "maxfilesize=10 maxscansize=0 maxrecursion=0 maxfiles=0 "
	    "maxratio=0 maxscantime=0 cure=0 name=/srv/a%20b.zip "
	    "client=test");
	assert_int_equal(s->nfds, 2);
	assert_string_equal(s->fdtext, "hello");
	close(s->lfd);
	free(s);
	close(fd);
}

/* test_cured - cured=1: the descriptor sent with VEND is the cured copy */
static void
test_cured(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_CURED, "VRESULT status=CURED ndet=1 objects=1 "
		    "bytes=5 usec=1 cached=0 cured=1 db=\n"
		    "VDET status=INFECTED object= threat=T\nVEND\n" },
		{ 1, SRV_CURED, "VRESULT status=CURED ndet=0 objects=1 "
		    "bytes=5 usec=1 cached=0 cured=1 db=\nVEND\n" },
	};
	struct vigil_client_opts	 o = { .cure = 1 };
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256], buf[16];
	int				 fd, before;

	(void)state;
	s = srv_start(steps, 2, NULL);
	s->passfd = tmpfile_with("cured");
	srv_run(s);
	fd = tmpfile_with("dirty");
	before = count_fds();
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_fd(c, fd, &o, &res, err,
	    sizeof(err)), 0);
	assert_int_equal(res.status, VIGIL_CURED);
	assert_true(res.cured_fd >= 0);
	assert_int_equal(fcntl(res.cured_fd, F_GETFD) & FD_CLOEXEC,
	    FD_CLOEXEC);
	assert_int_equal(pread(res.cured_fd, buf, sizeof(buf), 0), 5);
	assert_memory_equal(buf, "cured", 5);
	close(res.cured_fd);
	vigil_client_result_free(&res);
	/* cure not asked: the descriptor is closed, cured_fd stays -1 */
	o.cure = 0;
	assert_int_equal(vigil_client_scan_fd(c, fd, &o, &res, err,
	    sizeof(err)), 0);
	assert_int_equal(res.cured_fd, -1);
	vigil_client_close(c);
	srv_join(s);
	assert_int_equal(count_fds(), before - 2);	/* passfd, lfd closed */
	close(fd);
}

/* test_stray_fd - a descriptor the client did not ask for is closed */
static void
test_stray_fd(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_FDFIRST, CLEAN0 },
		{ 1, SRV_FDFIRST, "PONG\n" },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256], reply[16];
	int				 before;

	(void)state;
	s = srv_start(steps, 2, NULL);
	s->passfd = tmpfile_with("x");
	srv_run(s);
	before = count_fds();
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_buffer(c, "abc", 3, NULL, &res,
	    err, sizeof(err)), 0);
	assert_int_equal(res.cured_fd, -1);
	/* the sockets only (the client's and the server's end) */
	assert_int_equal(count_fds(), before + 2);
	assert_int_equal(vigil_client_command(c, "PING", reply, sizeof(reply),
	    err, sizeof(err)), 0);
	assert_int_equal(count_fds(), before + 2);
	vigil_client_close(c);
	srv_join(s);
}

/* test_busy - VERROR busy is EBUSY, another VERROR is EPROTO; both keep
 * the connection */
static void
test_busy(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_REPLY, "VERROR code=busy msg=queue%20full\n" },
		{ 1, SRV_REPLY, "VERROR code=badrequest msg=unknown%20key\n" },
		{ 1, SRV_REPLY, "VERROR code=nofd msg=\n" },
		{ 1, SRV_REPLY, CLEAN0 },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256];

	(void)state;
	s = srv_start(steps, 4, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_buffer(c, "x", 1, NULL, &res, err,
	    sizeof(err)), VIGIL_CLIENT_EBUSY);
	assert_non_null(strstr(err, "queue full"));
	assert_null(res.det);
	assert_int_equal(vigil_client_usable(c), 1);
	assert_int_equal(vigil_client_scan_buffer(c, "x", 1, NULL, &res, err,
	    sizeof(err)), VIGIL_CLIENT_EPROTO);
	assert_non_null(strstr(err, "badrequest: unknown key"));
	assert_int_equal(vigil_client_scan_buffer(c, NULL, 0, NULL, &res, err,
	    sizeof(err)), VIGIL_CLIENT_EPROTO);
	assert_int_equal(vigil_client_usable(c), 1);
	assert_int_equal(vigil_client_scan_buffer(c, "x", 1, NULL, &res, err,
	    sizeof(err)), 0);
	vigil_client_result_free(&res);
	vigil_client_close(c);
	srv_join(s);
}

/* test_conn_busy - past MaxConnections: one line, then the server closes */
static void
test_conn_busy(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 0, SRV_CLOSE, "ERROR: vigild busy (MaxConnections 2)\n" },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256];

	(void)state;
	s = srv_start(steps, 1, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	pthread_join(s->th, NULL);	/* the server has closed */
	assert_int_equal(vigil_client_scan_buffer(c, "x", 1, NULL, &res, err,
	    sizeof(err)), VIGIL_CLIENT_EBUSY);
	assert_non_null(strstr(err, "MaxConnections"));
	assert_int_equal(vigil_client_usable(c), 0);
	vigil_client_close(c);
	close(s->lfd);
	free(s);
}

/* test_close_mid - the server closes in the middle of a reply: -1, and
 * the connection refuses every later call at once */
static void
test_close_mid(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_CLOSE, "VRESULT status=INFECTED ndet=2 objects=3 "
		    "bytes=1 usec=1 cached=0 cured=0 db=\n"
		    "VDET status=INFECTED object= threat=T\nVDET sta" },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256], reply[16];
	int				 fd;

	(void)state;
	s = srv_start(steps, 1, NULL);
	srv_run(s);
	fd = tmpfile_with("x");
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_fd(c, fd, NULL, &res, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "closed"));
	assert_null(res.det);
	assert_null(res.threat);
	assert_int_equal(vigil_client_usable(c), 0);
	assert_int_equal(vigil_client_scan_fd(c, fd, NULL, &res, err,
	    sizeof(err)), -1);
	assert_int_equal(vigil_client_command(c, "PING", reply, sizeof(reply),
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "unusable"));
	vigil_client_close(c);
	srv_join(s);
	close(fd);
}

/* test_bad_replies - replies that do not follow the protocol: EPROTO,
 * connection dropped */
static void
test_bad_replies(void **state)
{
	static const char *const bad[] = {
		"stream: OK\n",
		"VEND\n",
		"VRESULT status=CLEAN ndet=1 objects=1 bytes=1 usec=1 "
		    "cached=0 cured=0 db=\nVEND\n",
		"VRESULT status=CLEAN ndet=0 objects=1 bytes=1 usec=1 "
		    "cached=0 cured=0 db=\nVDET status=CLEAN object=\n",
		"VRESULT status=CLEAN ndet=0 objects=1 bytes=1 usec=1 "
		    "cached=0 cured=0 db= bogus=1\nVEND\n",
	};
	struct srv_step			 step = { 1, SRV_REPLY, NULL };
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256];
	size_t				 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		step.reply = bad[i];
		s = srv_start(&step, 1, NULL);
		srv_run(s);
		c = vigil_client_open(tsock, 2000, err, sizeof(err));
		assert_non_null(c);
		err[0] = '\0';
		if (vigil_client_scan_buffer(c, "x", 1, NULL, &res, err,
		    sizeof(err)) != VIGIL_CLIENT_EPROTO)
			fail_msg("reply %zu accepted", i);
		assert_true(err[0] != '\0');
		assert_null(res.det);
		assert_int_equal(vigil_client_usable(c), 0);
		vigil_client_close(c);
		srv_join(s);
	}
}

/* test_long_line - a reply line past VPROTO_LINE_MAX: EPROTO-free -1 */
static void
test_long_line(void **state)
{
	struct srv_step			 step = { 1, SRV_REPLY, NULL };
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256], *big;

	(void)state;
	big = malloc(20002);
	assert_non_null(big);
	memset(big, 'A', 20000);
	memcpy(big + 20000, "\n", 2);
	step.reply = big;
	s = srv_start(&step, 1, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_buffer(c, "x", 1, NULL, &res, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "longer"));
	vigil_client_close(c);
	srv_join(s);
	free(big);
}

/* test_timeout - a silent server: the call fails after about timeout_ms */
static void
test_timeout(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_SILENT, NULL },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256];
	long				 t0, dt;

	(void)state;
	s = srv_start(steps, 1, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 300, err, sizeof(err));
	assert_non_null(c);
	t0 = now_ms();
	assert_int_equal(vigil_client_scan_buffer(c, "x", 1, NULL, &res, err,
	    sizeof(err)), -1);
	dt = now_ms() - t0;
	assert_true(dt >= 280 && dt < 1500);
	assert_non_null(strstr(err, "timed out"));
	assert_int_equal(vigil_client_usable(c), 0);
	vigil_client_close(c);	/* ends the silent server */
	srv_join(s);
}

/* test_instream - VINSTREAM sends 64 KiB chunks and a 0 end mark */
static void
test_instream(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_REPLY, CLEAN0 },
		{ 1, SRV_REPLY, CLEAN0 },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	unsigned char			*buf;
	char				 err[256];
	uint32_t			 sum = 0;
	size_t				 i, n = 150000;

	(void)state;
	buf = malloc(n);
	assert_non_null(buf);
	for (i = 0; i < n; i++) {
		buf[i] = (unsigned char)(i * 7 + i / 251);
		sum = sum * 31 + buf[i];
	}
	s = srv_start(steps, 2, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_buffer(c, buf, n, NULL, &res, err,
	    sizeof(err)), 0);
	vigil_client_result_free(&res);
	/* an empty buffer: just the end mark */
	assert_int_equal(vigil_client_scan_buffer(c, buf, 0, NULL, &res, err,
	    sizeof(err)), 0);
	vigil_client_close(c);
	pthread_join(s->th, NULL);
	assert_string_equal(s->cmd[0], "nVINSTREAM cure=0");
	assert_int_equal(s->nchunks, 5);
	assert_int_equal(s->chunks[0], 65536);
	assert_int_equal(s->chunks[1], 65536);
	assert_int_equal(s->chunks[2], 150000 - 131072);
	assert_int_equal(s->chunks[3], 0);
	assert_int_equal(s->chunks[4], 0);
	assert_int_equal(s->streamlen, n);
	assert_int_equal(s->streamsum, sum);
	close(s->lfd);
	free(s);
	free(buf);
}

/* test_early_reply - the server answers before the end of a stream
 * (too large) and closes: its answer is returned, no SIGPIPE */
static void
test_early_reply(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 0, SRV_CLOSE, "VERROR code=toolarge msg=limit\n" },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	unsigned char			*buf;
	char				 err[256];
	int				 rc;

	(void)state;
	buf = calloc(1, 8 << 20);
	assert_non_null(buf);
	s = srv_start(steps, 1, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	pthread_join(s->th, NULL);
	rc = vigil_client_scan_buffer(c, buf, 8 << 20, NULL, &res, err,
	    sizeof(err));
	assert_int_equal(rc, VIGIL_CLIENT_EPROTO);
	assert_non_null(strstr(err, "toolarge"));
	assert_int_equal(vigil_client_usable(c), 0);
	vigil_client_close(c);
	close(s->lfd);
	free(s);
	free(buf);
}

/* test_early_reply_open - the server answers a stream it stopped
 * reading, and keeps the connection: the client sees the answer while
 * sending, returns it and drops the connection */
static void
test_early_reply_open(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 2, SRV_NOREAD, "VERROR code=busy msg=queue\n" },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	unsigned char			*buf;
	char				 err[256];
	long				 t0;

	(void)state;
	buf = calloc(1, 8 << 20);
	assert_non_null(buf);
	s = srv_start(steps, 1, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 3000, err, sizeof(err));
	assert_non_null(c);
	t0 = now_ms();
	assert_int_equal(vigil_client_scan_buffer(c, buf, 8 << 20, NULL, &res,
	    err, sizeof(err)), VIGIL_CLIENT_EBUSY);
	assert_true(now_ms() - t0 < 2000);
	assert_non_null(strstr(err, "queue"));
	assert_int_equal(vigil_client_usable(c), 0);
	vigil_client_close(c);
	srv_join(s);
	free(buf);
}

/* test_tcp - over TCP scan_fd streams the file from offset 0 */
static void
test_tcp(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_REPLY, VERDICT2 },
		{ 1, SRV_REPLY, "PONG\n" },
	};
	struct vigil_client_result	 res;
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256], addr[64], reply[16];
	int				 port, fd;

	(void)state;
	s = srv_start(steps, 2, &port);
	srv_run(s);
	fd = tmpfile_with("hello");	/* offset at the end: not used */
	snprintf(addr, sizeof(addr), "127.0.0.1:%d", port);
	c = vigil_client_open(addr, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_scan_fd(c, fd, NULL, &res, err,
	    sizeof(err)), 0);
	assert_int_equal(res.ndet, 2);
	vigil_client_result_free(&res);
	assert_int_equal(lseek(fd, 0, SEEK_CUR), 5);
	assert_int_equal(vigil_client_command(c, "PING", reply, sizeof(reply),
	    err, sizeof(err)), 0);
	assert_string_equal(reply, "PONG");
	vigil_client_close(c);
	pthread_join(s->th, NULL);
	assert_string_equal(s->cmd[0], "nVINSTREAM cure=0");
	assert_int_equal(s->streamlen, 5);
	assert_int_equal(s->nfds, 0);
	close(s->lfd);
	free(s);
	close(fd);
}

/* test_commands - PING, STATS (multi-line), a reply too long, SHUTDOWN */
static void
test_commands(void **state)
{
	static const struct srv_step	 steps[] = {
		{ 1, SRV_REPLY, "PONG\n" },
		{ 1, SRV_REPLY, "POOLS: 1\n\nSTATE: VALID PRIMARY\n"
		    "THREADS: live 1  idle 1 max 2\nEND\n" },
		{ 1, SRV_REPLY, "RUNNING pid=1 uptime=5\n" },
		{ 1, SRV_REPLY, "POOLS: 1\nEND\n" },
		{ 1, SRV_REPLY, "vigil 0.1.0/1/date\n" },
		{ 1, SRV_CLOSE, NULL },
	};
	struct vigil_client		*c;
	struct srv			*s;
	char				 err[256], reply[256], small[8];

	(void)state;
	s = srv_start(steps, 6, NULL);
	srv_run(s);
	c = vigil_client_open(tsock, 2000, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(vigil_client_command(c, "PING", reply, sizeof(reply),
	    err, sizeof(err)), 0);
	assert_string_equal(reply, "PONG");
	assert_int_equal(vigil_client_command(c, "STATS", reply, sizeof(reply),
	    err, sizeof(err)), 0);
	assert_string_equal(reply, "POOLS: 1\n\nSTATE: VALID PRIMARY\n"
	    "THREADS: live 1  idle 1 max 2\nEND");
	/* too long: -1, but the whole reply was read */
	assert_int_equal(vigil_client_command(c, "STATUS", small,
	    sizeof(small), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer"));
	assert_int_equal(vigil_client_usable(c), 1);
	assert_int_equal(vigil_client_command(c, "STATS", small,
	    sizeof(small), err, sizeof(err)), -1);
	assert_int_equal(vigil_client_command(c, "VERSION", reply,
	    sizeof(reply), err, sizeof(err)), 0);
	assert_string_equal(reply, "vigil 0.1.0/1/date");
	/* bad commands are refused before anything is sent */
	assert_int_equal(vigil_client_command(c, "", reply, sizeof(reply),
	    err, sizeof(err)), -1);
	assert_int_equal(vigil_client_command(c, "PING\nPING", reply,
	    sizeof(reply), err, sizeof(err)), -1);
	assert_int_equal(vigil_client_usable(c), 1);
	assert_int_equal(vigil_client_command(c, "SHUTDOWN", reply,
	    sizeof(reply), err, sizeof(err)), 0);
	assert_string_equal(reply, "");
	assert_int_equal(vigil_client_usable(c), 0);
	vigil_client_close(c);
	pthread_join(s->th, NULL);
	assert_string_equal(s->cmd[0], "nPING");
	assert_string_equal(s->cmd[5], "nSHUTDOWN");
	close(s->lfd);
	free(s);
}

/* test_open_errors - addresses that cannot work */
static void
test_open_errors(void **state)
{
	static const char *const bad[] = {
		"", "/nonexistent/dir/vigild.sock", "nosuchfile",
		"[::1", "[::1]", "[::1]:", "::1:3310", "127.0.0.1:",
		":3310", "127.0.0.1:notaport",
	};
	char	 err[256], p[200];
	size_t	 i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (vigil_client_open(bad[i], 500, err, sizeof(err)) != NULL)
			fail_msg("opened '%s'", bad[i]);
		assert_true(err[0] != '\0');
	}
	assert_null(vigil_client_open(NULL, 500, err, sizeof(err)));
	memset(p, 'a', sizeof(p) - 1);
	p[0] = '/';
	p[sizeof(p) - 1] = '\0';
	assert_null(vigil_client_open(p, 500, err, sizeof(err)));
	assert_non_null(strstr(err, "too long"));
	vigil_client_close(NULL);
	vigil_client_result_free(NULL);
	assert_int_equal(vigil_client_usable(NULL), 0);
}

/* setup - a temporary directory for sockets and files */
static int
setup(void **state)
{
	(void)state;
	snprintf(tdir, sizeof(tdir), "/tmp/client_test.XXXXXX");
	if (mkdtemp(tdir) == NULL)
		return -1;
	snprintf(tsock, sizeof(tsock), "%s/vigild.sock", tdir);
	return 0;
}

/* teardown - remove it */
static int
teardown(void **state)
{
	(void)state;
	unlink(tsock);
	return rmdir(tdir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_verdict),
		cmocka_unit_test(test_verdict_wire),
		cmocka_unit_test(test_cured),
		cmocka_unit_test(test_stray_fd),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_conn_busy),
		cmocka_unit_test(test_close_mid),
		cmocka_unit_test(test_bad_replies),
		cmocka_unit_test(test_long_line),
		cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_instream),
		cmocka_unit_test(test_early_reply),
		cmocka_unit_test(test_early_reply_open),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_commands),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
