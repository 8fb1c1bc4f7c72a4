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

GEN=$VIGIL_SRC/bench/engine/gen.py
DIFF=$VIGIL_SRC/bench/engine/diffscan.py
SEED=${VIGIL_DIFF_SEED:-7}
MB=${VIGIL_DIFF_MB:-30}

need_clamscan

clam_tmpdir

# clamscan: parsers that normalize or unpack off, executables parsed
CLAMOPTS=(--no-summary --stdout --scan-archive=no --scan-mail=no
	--scan-html=no --scan-ole2=no --scan-pdf=no --scan-swf=no
	--scan-xmldocs=no --scan-hwp3=no --scan-onenote=no --scan-image=no
	--scan-image-fuzzy-hash=no --heuristic-alerts=no --detect-pua=yes
	--bytecode=no --nocerts --max-filesize=200M --max-scansize=400M
	--tempdir="$CT")

start=$SECONDS
timeout 60 python3 "$GEN" corpus --out "$T/corpus" --size-mb "$MB" \
	--seed "$SEED" -q || { echo "FAIL: gen.py corpus"; exit 1; }
timeout 30 python3 "$GEN" db --out "$T/db" --scale 10k \
	--corpus "$T/corpus" --seed "$SEED" -q || { echo "FAIL: gen.py db"; exit 1; }
echo "generated corpus and database in $((SECONDS - start)) s"

files=("$T/corpus/files"/*)
t0=$SECONDS
timeout 100 clamscan "${CLAMOPTS[@]}" -d "$T/db" "${files[@]}" \
	> "$T/clam.out" 2> "$T/clam.err"
rc=$?
if [ $rc -gt 1 ]; then
	echo "FAIL: clamscan exit $rc"
	head -20 "$T/clam.err"
	exit 1
fi
echo "clamscan: $((SECONDS - t0)) s"

read -ra extra <<< "${VIGIL_DIFF_ARGS:-}"
t0=$SECONDS
timeout 60 "$VIGIL_SCAN" -c "$T/empty.conf" -d "$T/db" \
	--cache-dir "$T/cache" --set paranoid --json --no-summary -eP \
	--no-icheck \
	${extra[@]+"${extra[@]}"} "${files[@]}" > "$T/vigil.out" 2> "$T/vigil.err"
rc=$?
if [ $rc -gt 1 ]; then
	echo "FAIL: vigil-scan exit $rc"
	head -20 "$T/vigil.err"
	exit 1
fi
echo "vigil-scan: $((SECONDS - t0)) s"

python3 "$DIFF" --manifest "$T/corpus/manifest.json" \
	--clamscan "$T/clam.out" --vigil "$T/vigil.out" --vigil-format json
rc=$?
if [ $rc -ne 0 ] && [ -n "${VIGIL_DIFF_KEEP:-}" ]; then
	mkdir -p "$VIGIL_DIFF_KEEP"
	cp -r "$T/corpus" "$T/db" "$T/clam.out" "$T/vigil.out" "$T/vigil.err" \
		"$VIGIL_DIFF_KEEP"/
	echo "kept the corpus, database and outputs in $VIGIL_DIFF_KEEP"
fi
echo "total: $((SECONDS - start)) s"
exit $rc
