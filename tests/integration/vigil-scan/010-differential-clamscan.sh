#!/bin/bash
# 010-differential-clamscan: vigil-scan and clamscan on the same generated
# database (10k signatures of every kind) and corpus (~30 MB of this
# machine's files with planted detections); every file must get the same
# verdict and threat name from both.
#
# DESIGN: bench/engine/gen.py builds the corpus and database (each planted
# file matches exactly one signature, so first-match names compare without
# --allmatch), bench/engine/diffscan.py compares.  clamscan runs with every
# container/document parser and heuristic off, PE and ELF parsing on (the
# EP/Sx/SL offsets need them), PUA signatures loaded; vigil-scan runs with
# --set paranoid so it loads every signature too, and -eP: no container
# unpacked either (011-differential-containers.sh compares those).  Exit 1 on any
# disagreement, or when clamscan itself misses a planted detection (the
# generator is then wrong); exit 77 only when clamscan is absent outside CI.
# Environment: VIGIL_DIFF_MB (30), VIGIL_DIFF_SEED (7), VIGIL_DIFF_ARGS (more
# vigil-scan arguments, e.g. --lenient), VIGIL_DIFF_KEEP=DIR (keep the inputs
# and outputs there on failure).
. "$(dirname "$0")/../lib.sh"

DIFF=$VIGIL_SRC/bench/engine/diffscan.py
SEED=${VIGIL_DIFF_SEED:-7}
MB=${VIGIL_DIFF_MB:-30}

need_clamscan

clam_tmpdir

# clamscan: parsers that normalize or unpack off, executables parsed
clam_base
CLAMOPTS+=(--scan-archive=no --scan-mail=no --max-filesize=200M
	--max-scansize=400M)

start=$SECONDS
diff_gen corpus 60
echo "generated corpus and database in $((SECONDS - start)) s"

files=("$T/corpus/files"/*)
diff_run clamscan "$T/clam.out" timeout 100 clamscan "${CLAMOPTS[@]}" \
	-d "$T/db" "${files[@]}"
read -ra extra <<< "${VIGIL_DIFF_ARGS:-}"
diff_run vigil-scan "$T/vigil.out" timeout 60 "$VIGIL_SCAN" \
	-c "$T/empty.conf" -d "$T/db" --cache-dir "$T/cache" --set paranoid \
	--json --no-summary -eP --no-icheck ${extra[@]+"${extra[@]}"} \
	"${files[@]}"

python3 "$DIFF" --manifest "$T/corpus/manifest.json" \
	--clamscan "$T/clam.out" --vigil "$T/vigil.out" --vigil-format json
rc=$?
diff_keep $rc
echo "total: $((SECONDS - start)) s"
exit $rc
