/*
 * smtpd_pool.c - idle vigild and downstream connections, shared by the
 * sessions
 *
 * An MTA usually opens a session per message (Postfix's smtp client to a
 * content filter, smtp-source): connecting to vigild (which sets up a
 * scanner for each new connection) and greeting the downstream MTA
 * again for every message costs more than scanning a small message.
 * A session therefore takes its connections from these pools and gives
 * them back when it ends.  Downstream connections are tagged with the
 * configuration generation that opened them: after a reload (a new
 * ForwardMailer, perhaps) older ones are closed instead of reused.
 * A kept connection the peer closed in the meantime is noticed by
 * vigil_client_usable() / fwd_usable() and replaced.
 */
#include <pthread.h>
#include <stdlib.h>

#include "smtpd.h"

#define POOL_MAX	32

static pthread_mutex_t	 pool_mu = PTHREAD_MUTEX_INITIALIZER;
static struct vigil_client *vpool[POOL_MAX];
static size_t		 nv;
static struct {
	struct fwd_conn	*c;
	unsigned	 gen;
}			 fpool[POOL_MAX];
static size_t		 nf;

/* pool_vigild - an idle vigild connection, or NULL */
struct vigil_client *
pool_vigild(void)
{
	struct vigil_client	*vc = NULL;

	pthread_mutex_lock(&pool_mu);
	while (vc == NULL && nv > 0) {
		vc = vpool[--nv];
		if (!vigil_client_usable(vc)) {
			vigil_client_close(vc);
			vc = NULL;
		}
	}
	pthread_mutex_unlock(&pool_mu);
	return vc;
}

/* pool_fwd - an idle downstream connection of generation gen, or NULL */
struct fwd_conn *
pool_fwd(unsigned gen)
{
	struct fwd_conn	*fc = NULL;
	struct fwd_conn	*drop[POOL_MAX];
	size_t		 nd = 0, i;

	pthread_mutex_lock(&pool_mu);
	while (fc == NULL && nf > 0) {
		nf--;
		if (fpool[nf].gen == gen && fwd_usable(fpool[nf].c))
			fc = fpool[nf].c;
		else
			drop[nd++] = fpool[nf].c;
	}
	pthread_mutex_unlock(&pool_mu);
	for (i = 0; i < nd; i++)
		fwd_close(drop[i]);
	return fc;
}

/* pool_put - give a session's connections back (or close them) */
void
pool_put(struct vigil_client *vc, struct fwd_conn *fc, unsigned gen)
{
	pthread_mutex_lock(&pool_mu);
	if (vc != NULL && vigil_client_usable(vc) && nv < POOL_MAX) {
		vpool[nv++] = vc;
		vc = NULL;
	}
	if (fc != NULL && fwd_usable(fc) && nf < POOL_MAX &&
	    !atomic_load(&G.stopping)) {
		fpool[nf].c = fc;
		fpool[nf++].gen = gen;
		fc = NULL;
	}
	pthread_mutex_unlock(&pool_mu);
	vigil_client_close(vc);
	fwd_close(fc);
}

/* pool_drain - close everything kept (at exit) */
void
pool_drain(void)
{
	pthread_mutex_lock(&pool_mu);
	while (nv > 0)
		vigil_client_close(vpool[--nv]);
	while (nf > 0)
		fwd_close(fpool[--nf].c);
	pthread_mutex_unlock(&pool_mu);
}
