/*
 * args.h - command lines pasted from the administrator guides
 */
#ifndef VIGIL_ARGS_H
#define VIGIL_ARGS_H

/*
 * args_normalise - the guides' printed command lines carry typographic
 * dashes ("\u2013qR") and a Cyrillic o ("-\u043efile"); rewrite them in
 * place as the ASCII they stand for, so a command pasted from a guide runs
 */
void	args_normalise(int argc, char **argv);

#endif
