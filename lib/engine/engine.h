/*
 * engine.h - the engine object shared by load.c and scan.c (internal)
 */
#ifndef VIGIL_ENGINE_H
#define VIGIL_ENGINE_H

#include <hs/hs.h>

#include "image.h"

struct cure_db;

struct vigil_engine {
	void		*img;		/* malloc'ed or mmapped image */
	size_t		 imglen;
	int		 mapped;
	struct img_view	 v;
	hs_database_t	*hs;		/* NULL when there are no literals */
	char		 version[72];
	uint32_t	*zero_lsigs;	/* logical signatures true on nothing */
	size_t		 nzero;
	struct cure_db	*cure;		/* .cure records; NULL: none */
};

#endif
