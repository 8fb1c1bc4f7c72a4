#!/bin/bash
# 021-containers: vigil-scan on hostile containers and the verdict cache.
# Zip bombs (a 42.zip-style nest, a huge ratio, a deep nest), path-traversal
# member names, a member named like a shell command reaching an exec rule,
# truncated and encrypted archives: the right status, quickly, in bounded
# memory, nothing written outside the target.  Then iChecker: a rescan of
# an unchanged tree skips every file; a changed file or database does not.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/h"
python3 - "$T/h" <<'PY'
import io, os, sys, tarfile, zipfile
d = sys.argv[1]
EICAR = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
def zbytes(members, method=zipfile.ZIP_DEFLATED):
    b = io.BytesIO()
    with zipfile.ZipFile(b, "w", method) as z:
        for n, data in members:
            z.writestr(n, data)
    return b.getvalue()
# 42.zip style: 16 x 16 x 16 x 16 nest, 64 MiB of zeros at the bottom
leaf = zbytes([("0.bin", b"\0" * (64 << 20))])
lvl = leaf
for depth in range(4):
    lvl = zbytes([("%d.zip" % i, lvl) for i in range(16)])
open(os.path.join(d, "42.zip"), "wb").write(lvl)
# a single huge-ratio member: 1 GiB of zeros announced honestly
with zipfile.ZipFile(os.path.join(d, "ratio.zip"), "w", zipfile.ZIP_DEFLATED) as z:
    with z.open("zeros", "w", force_zip64=True) as f:
        block = b"\0" * (1 << 20)
        for _ in range(1024):
            f.write(block)
# 40 levels of nesting, EICAR at the bottom (beyond MaxRecursion 17)
deep = EICAR
for i in range(40):
    deep = zbytes([("l%d" % i, deep)])
open(os.path.join(d, "deep.zip"), "wb").write(deep)
# path traversal and shell-looking names
t = tarfile.open(os.path.join(d, "trav.tar"), "w")
for name, data in [("../../../../tmp/vigil-escape", EICAR), ("/etc/vigil-abs", b"x"),
                   ("ok.txt", b"fine")]:
    ti = tarfile.TarInfo(name); ti.size = len(data); t.addfile(ti, io.BytesIO(data))
t.close()
open(os.path.join(d, "cmd.zip"), "wb").write(zbytes([("$(touch PWNED); touch PWNED2 `touch PWNED3`.exe", EICAR)]))
# truncated archive
z = zbytes([("a.txt", b"hello world " * 1000)])
open(os.path.join(d, "trunc.zip"), "wb").write(z[: len(z) // 2])
PY
( cd "$T/h" && for f in a b; do printf 'x%.0s' {1..100} > "$f.txt"; done
  if command -v zip > /dev/null; then zip -q -P secret enc.zip a.txt b.txt; fi
  rm -f a.txt b.txt )

cat > "$T/h.conf" <<CONF
[path]
BasesPath=$DB
[scanner.container]
OnInfected=exec touch %FULLPATH%/%FILENAME%.seen
CONF
start=$(date +%s)
/usr/bin/time -f '%M' -o "$T/rss" "$VIGIL_SCAN" -c "$T/h.conf" --allmatch --no-summary -mCn "$T/h" > "$T/out" 2>&1
end=$(date +%s)
cat "$T/out"
check "bombs end quickly (< 60 s)" [ $((end - start)) -lt 60 ]
check "peak memory bounded (< 1.5 GiB)" [ "$(tail -1 "$T/rss")" -lt 1500000 ]
check "42.zip: a limit status" grep -q "42.zip.*\(MaxRatio\|MaxFileSize\|MaxScanSize\|MaxFiles\).*ERROR" "$T/out"
check "ratio.zip: ERROR, not scanned to the end" grep -q "ratio.zip/zeros: .*\(MaxRatio\|MaxFileSize\).*ERROR" "$T/out"
check "deep nest: MaxRecursion" grep -q "deep.zip/.*MaxRecursion.*ERROR" "$T/out"
check "traversal member detected by its name" grep -qF "trav.tar/../../../../tmp/vigil-escape: Eicar" "$T/out"
check "nothing written outside the target" test ! -e /tmp/vigil-escape -a ! -e /etc/vigil-abs
check "truncated zip: CORRUPTED" grep -q "trunc.zip.*CORRUPTED" "$T/out"
if [ -e "$T/h/enc.zip" ]; then
	check "encrypted zip: PROTECTED" grep -q "enc.zip/a.txt: .*PROTECTED" "$T/out"
fi
check "shell-looking member: detected" grep -q 'cmd.zip/$(touch PWNED)' "$T/out"
check "shell-looking member: the exec rule ran" test -e "$T/h/cmd.zip.seen"
check "shell-looking member: nothing injected" eval "! ls '$T/h' '$PWD' | grep -q PWNED"

mkdir -p "$T/h2"; cp "$T/h/trav.tar" "$T/h2/"
vs -q -i1 --no-summary "$T/h2" > "$T/out2"
check "traversal tar cured: the member dropped, the rest kept" python3 -c "
import tarfile,sys; n=tarfile.open('$T/h2/trav.tar').getnames()
sys.exit(0 if sorted(n)==['/etc/vigil-abs','ok.txt'] else 1)"
check "cure wrote nothing outside the target" test ! -e /tmp/vigil-escape -a ! -e /etc/vigil-abs

# --- iChecker -------------------------------------------------------------
mkdir -p "$T/ic/d"
for i in $(seq 1 200); do echo "file $i" > "$T/ic/d/f$i.txt"; done
eicar "$T/ic/d/bad.com"
vs -o "$T/ic1" "$T/ic" > /dev/null
vs -o "$T/ic2" "$T/ic" > /dev/null
check "first scan: nothing from the cache" eval "! grep -q 'Unchanged files skipped' '$T/ic1'"
check "rescan: every file skipped, the infected one reported from the cache" grep -q "^Unchanged files skipped (cache): 201$" "$T/ic2"
check "rescan: the infected file is still reported" grep -q "bad.com: Eicar" "$T/ic2"
sleep 0.01; echo changed >> "$T/ic/d/f7.txt"
vs -o "$T/ic3" "$T/ic" > /dev/null
check "a changed file is scanned again" grep -q "^Unchanged files skipped (cache): 200$" "$T/ic3"
cp -r "$DB" "$T/db2"; echo "Extra.Test:0:*:6e6f7468696e672d6d617463686573" > "$T/db2/extra.ndb"
"$VIGIL_SCAN" -c "$T/empty.conf" -d "$T/db2" --cache-dir "$T/cache" -o "$T/ic4" "$T/ic" > /dev/null
check "a database change invalidates the cache" eval "! grep -q 'Unchanged files skipped' '$T/ic4'"
# a rule that acts is never answered from the cache
printf '[path]\nBasesPath=%s\n[scanner.object]\nOnInfected=exec touch %%FULLPATH%%/%%FILENAME%%.ran\n' "$DB" > "$T/ic.conf"
"$VIGIL_SCAN" -c "$T/ic.conf" --cache-dir "$T/cache" -q "$T/ic" > /dev/null
rm -f "$T/ic/d/bad.com.ran"
"$VIGIL_SCAN" -c "$T/ic.conf" --cache-dir "$T/cache" -q "$T/ic" > /dev/null
check "an exec rule runs again on a rescan" test -e "$T/ic/d/bad.com.ran"
rm -f "$T/ic/d/bad.com.ran"
vs -mCn -o "$T/ic5" "$T/ic" > /dev/null
check "-mCn: no cache" eval "! grep -q 'Unchanged files skipped' '$T/ic5'"

finish
