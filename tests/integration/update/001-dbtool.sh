#!/bin/bash
# 001-dbtool: vigil-dbtool against the spec (issue 7): keygen and its
# refusal to overwrite, build of v1 then v2 (objects, deltas, manifests/
# history) checked by an independent reader (manifest.py: hashlib, the zstd
# CLI, openssl for Ed25519), builds refused (version not newer, a source
# that does not load), verify with the right, another, several and no key,
# of a mirror, a manifest and an installed directory, info, list, and
# import of ClamAV .cvd/.cld containers made here.
. "$(dirname "$0")/ulib.sh" || exit 1
need_built
need_prog zstd zstd
need_prog openssl openssl
MF() { python3 "$UDIR/manifest.py" "$@"; }
V1=20261101
V2=20261102

# keygen ---------------------------------------------------------------------
out=$("$DBTOOL" keygen "$T/k.sec" "$T/k.pub" 2>&1); rc=$?
check "keygen exits 0" [ $rc -eq 0 ]
kid=$(MF keyid "$T/k.pub")
check "keygen prints the key id (BLAKE2b-128 of the public key, 8 bytes)" \
	grep -qx "key id: $kid" <<<"$out"
check "secret key file is mode 0600" [ "$(stat -c %a "$T/k.sec")" = 600 ]
check "public key file format" \
	grep -Eqx 'vigil-ed25519-public [A-Za-z0-9+/]{43}=' "$T/k.pub"
check "secret key file format" \
	grep -Eqx 'vigil-ed25519-secret [A-Za-z0-9+/]{86}==' "$T/k.sec"
cp "$T/k.sec" "$T/k.sec.orig"; cp "$T/k.pub" "$T/k.pub.orig"
out=$("$DBTOOL" keygen "$T/k.sec" "$T/k.pub" 2>&1); rc=$?
check "keygen refuses to overwrite (exit != 0)" [ $rc -ne 0 ]
check "the refused keygen left both files alone" \
	eval 'cmp -s "$T/k.sec" "$T/k.sec.orig" && cmp -s "$T/k.pub" "$T/k.pub.orig"'
: > "$T/x.sec"
"$DBTOOL" keygen "$T/x.sec" "$T/x.pub" > /dev/null 2>&1
check "keygen refuses when only the secret file exists" [ $? -ne 0 ]
"$DBTOOL" keygen -f "$T/o.sec" "$T/o.pub" > /dev/null 2>&1
cp "$T/o.sec" "$T/o.sec.1"
"$DBTOOL" keygen -f "$T/o.sec" "$T/o.pub" > /dev/null 2>&1; rc=$?
check "keygen -f overwrites" eval '[ $rc -eq 0 ] && ! cmp -s "$T/o.sec" "$T/o.sec.1"'
{ echo "# a comment"; echo; cat "$T/k.pub"; } > "$T/kc.pub"

# build v1 --------------------------------------------------------------------
src_new "$T/src"
addsig "$T/src" Vigil.Test.V1
M=$T/mirror
out=$("$DBTOOL" build --key "$T/k.sec" --version $V1 \
	--date 2026-11-01T10:00:00Z "$T/src" "$M" 2>&1); rc=$?
check "build v1 exits 0" [ $rc -eq 0 ]
check "build v1 summary line" \
	grep -Eq "^built version $V1: 4 files, [0-9]+ bytes, 0 deltas?( |$)" <<<"$out"
check "build v1: vigil.manifest" [ -f "$M/vigil.manifest" ]
check "build v1: manifests/$V1.manifest" cmp -s "$M/vigil.manifest" "$M/manifests/$V1.manifest"
check "build v1: 4 objects" [ "$(ls "$M/objects" | grep -Ec '^[0-9a-f]{64}\.zst$')" -eq 4 ]
mout=$(MF check "$M" "$T/k.pub")
check "build v1: the independent reader accepts it ($mout)" \
	grep -q "^ok version $V1, 4 files, 0 deltas" <<<"$mout"
check "build v1: --date is the manifest's date" \
	grep -qx "date 2026-11-01T10:00:00Z" "$M/vigil.manifest"
h=$(sha256sum < "$T/src/vigil.ndb"); h=${h%% *}
check "build v1: objects/<sha256 of the uncompressed file>.zst" \
	eval '[ "$(zstd -q -d -c "$M/objects/$h.zst" | sha256sum | cut -c1-64)" = "$h" ]'
check "build v1: the manifest names it" [ "$(mf_field "$M/vigil.manifest" vigil.ndb 4)" = "$h" ]
v1hdb=$(mf_field "$M/vigil.manifest" vigil.hdb 4)

# build v2: one file changed, a delta from v1's ------------------------------------
addsig "$T/src" Vigil.Test.V2
out=$("$DBTOOL" build --key "$T/k.sec" --version $V2 "$T/src" "$M" 2>&1); rc=$?
check "build v2 exits 0" [ $rc -eq 0 ]
check "build v2 summary line (1 delta)" \
	grep -Eq "^built version $V2: 4 files, [0-9]+ bytes, 1 deltas?( |$)" <<<"$out"
mout=$(MF check "$M" "$T/k.pub")
check "build v2: the independent reader accepts it, the delta rebuilds the file ($mout)" \
	grep -q "^ok version $V2, 4 files, 1 deltas" <<<"$mout"
v2hdb=$(mf_field "$M/vigil.manifest" vigil.hdb 4)
check "build v2: deltas/<v1 sha>-<v2 sha>.zst" [ -f "$M/deltas/$v1hdb-$v2hdb.zst" ]
check "build v2: the delta line follows its file line" \
	eval 'grep -A1 "^file vigil.hdb " "$M/vigil.manifest" | grep -q "^delta vigil.hdb $v1hdb "'
check "build v2: history keeps v1" [ -f "$M/manifests/$V1.manifest" ]
check "build v2: manifests/$V2.manifest is vigil.manifest" cmp -s "$M/vigil.manifest" "$M/manifests/$V2.manifest"
check "build v2: one new object, unchanged files shared (5 objects)" \
	[ "$(ls "$M/objects" | wc -l)" -eq 5 ]
check "build v2: date defaults to now (UTC)" \
	grep -q "^date $(date -u +%Y-%m-%d)T" "$M/vigil.manifest"
V3=$((V2 + 1))
src_new "$T/src3"; cp "$T/src/vigil.hdb" "$T/src3/"; addsig "$T/src3" Vigil.Test.V3
cp -r "$M" "$T/m3"
out=$("$DBTOOL" build --key "$T/k.sec" --version $V3 --deltas 1 "$T/src3" "$T/m3" 2>&1)
check "build --deltas 1: one delta (from the previous version only)" \
	grep -Eq "^built version $V3: 4 files, [0-9]+ bytes, 1 deltas?( |$)" <<<"$out"
rm -rf "$T/m3"; cp -r "$M" "$T/m3"
out=$("$DBTOOL" build --key "$T/k.sec" --version $V3 "$T/src3" "$T/m3" 2>&1)
check "build --deltas default 4: deltas from v1 and v2" \
	grep -Eq "^built version $V3: 4 files, [0-9]+ bytes, 2 deltas?( |$)" <<<"$out"
check "build v3: both deltas check out" grep -q "^ok version $V3, 4 files, 2 deltas" <<<"$(MF check "$T/m3" "$T/k.pub")"

# builds refused ----------------------------------------------------------------
cp "$M/vigil.manifest" "$T/mf.before"
out=$("$DBTOOL" build --key "$T/k.sec" --version $V2 "$T/src" "$M" 2>&1); rc=$?
check "build of the same version refused" [ $rc -ne 0 ]
check "... says version N is not newer than M" grep -q "version $V2 is not newer than $V2" <<<"$out"
out=$("$DBTOOL" build --key "$T/k.sec" --version $V1 "$T/src" "$M" 2>&1); rc=$?
check "build of an older version refused" [ $rc -ne 0 ]
check "... says so" grep -q "version $V1 is not newer than $V2" <<<"$out"
src_new "$T/bad"; echo 'Broken.Sig:0:*:zz' >> "$T/bad/vigil.ndb"
out=$("$DBTOOL" build --key "$T/k.sec" --version $((V2 + 5)) "$T/bad" "$M" 2>&1); rc=$?
check "build of a source that does not load refused" [ $rc -ne 0 ]
check "... naming file:line" grep -q "vigil.ndb:5" <<<"$out"
check "refused builds left the mirror alone" cmp -s "$M/vigil.manifest" "$T/mf.before"
check "refused builds left no history behind" \
	eval '[ ! -e "$M/manifests/$((V2 + 5)).manifest" ]'
"$DBTOOL" build --key "$T/k.pub" --version $((V2 + 6)) "$T/src" "$M" > /dev/null 2>&1
check "build with a public key as --key refused" [ $? -ne 0 ]
"$DBTOOL" build --key "$T/k.sec" --version 0 "$T/src" "$T/m0" > /dev/null 2>&1
check "build --version 0 refused" [ $? -ne 0 ]
"$DBTOOL" build --key "$T/k.sec" --version 7 --date 2026-13-01T00:00:00Z "$T/src" "$T/m0" > /dev/null 2>&1
check "build with an invalid --date refused" [ $? -ne 0 ]

# verify ------------------------------------------------------------------------
keygen other
out=$("$DBTOOL" verify --key "$T/k.pub" "$M" 2>&1); rc=$?
check "verify mirror with the right key: exit 0" [ $rc -eq 0 ]
check "... prints verified version N (key ID)" grep -qx "verified version $V2 (key $kid)" <<<"$out"
out=$("$DBTOOL" verify --key "$T/k.pub" "$M/vigil.manifest" 2>&1); rc=$?
check "verify of the manifest file: exit 0" [ $rc -eq 0 ]
"$DBTOOL" verify --key "$T/kc.pub" "$M" > /dev/null 2>&1
check "verify: comments and empty lines in the public key file" [ $? -eq 0 ]
"$DBTOOL" verify --key "$T/other.pub" "$M" > /dev/null 2>&1
check "verify with another key: exit 1" [ $? -eq 1 ]
"$DBTOOL" verify --key "$T/other.pub" --key "$T/k.pub" "$M" > /dev/null 2>&1
check "verify with several keys, one of them right: exit 0" [ $? -eq 0 ]
out=$("$DBTOOL" verify "$M" 2>&1); rc=$?
check "verify without a key: exit 1 (no trusted key)" [ $rc -eq 1 ]
check "... and says the signature is unchecked" grep -Eqi "unchecked|not checked" <<<"$out"
printf 'vigil-ed25519-public AAAA\n' > "$T/broken.pub"
"$DBTOOL" verify --key "$T/broken.pub" "$M" > /dev/null 2>&1
check "verify with a malformed key file: exit != 0" [ $? -ne 0 ]
cp -r "$M" "$T/mbad"; flip "$T/mbad/objects/$v2hdb.zst"
out=$("$DBTOOL" verify --key "$T/k.pub" "$T/mbad" 2>&1); rc=$?
check "verify of a mirror with a damaged object: exit 1" [ $rc -eq 1 ]
rm -rf "$T/mbad"; cp -r "$M" "$T/mbad"; sed -i 's/^date 2026/date 2025/' "$T/mbad/vigil.manifest"
"$DBTOOL" verify --key "$T/k.pub" "$T/mbad" > /dev/null 2>&1
check "verify of a manifest changed after signing: exit 1" [ $? -eq 1 ]
rm -rf "$T/mbad"; cp -r "$M" "$T/mbad"
sed -i '3a\\' "$T/mbad/vigil.manifest"
out=$("$DBTOOL" verify "$T/mbad" 2>&1)
check "a malformed manifest: the error names the line" grep -q "line 4" <<<"$out"
MF install "$M" "$T/inst" || fail "manifest.py install"
out=$("$DBTOOL" verify --key "$T/k.pub" "$T/inst" 2>&1); rc=$?
check "verify of an installed directory: exit 0" [ $rc -eq 0 ]
flip "$T/inst/vigil.ndb" 20
out=$("$DBTOOL" verify --key "$T/k.pub" "$T/inst" 2>&1); rc=$?
check "verify of an installed directory with a changed file: exit 1" [ $rc -eq 1 ]
flip "$T/inst/vigil.ndb" 20

# info and list --------------------------------------------------------------------
out=$("$DBTOOL" info "$M" 2>&1); rc=$?
check "info exits 0" [ $rc -eq 0 ]
check "info: version" grep -q "$V2" <<<"$out"
check "info: date" grep -q "$(sed -n 's/^date //p' "$M/vigil.manifest")" <<<"$out"
check "info: key id" grep -q "$kid" <<<"$out"
check "info: files" eval '(for f in vigil.hdb vigil.hsb vigil.ndb vigil.ldb; do grep -q "$f" <<<"$out" || exit 1; done)'
out=$("$DBTOOL" info "$M/manifests/$V1.manifest" 2>&1)
check "info of a history manifest" grep -q "$V1" <<<"$out"
out=$("$DBTOOL" list "$DB" 2>&1); rc=$?
names=$(cut -f1 <<<"$out")
check "list of the bundled database exits 0" [ $rc -eq 0 ]
for n in Eicar-Test-Signature Vigil.Test.Body-1 Vigil.Test.Logical-1 PUA.Vigil.Test-1; do
	check "list: $n" grep -qx "$n" <<<"$names"
done
check "list: one threat name a line, nothing else (spec)" \
	eval '! grep -Eqv "^[A-Za-z0-9._-]+$" <<<"$out"'
out=$("$DBTOOL" list "$T/inst" 2>&1 | cut -f1)
check "list of an installed version shows its new signatures" \
	eval 'grep -qx Vigil.Test.V1 <<<"$out" && grep -qx Vigil.Test.V2 <<<"$out"'
mkdir -p "$T/bases"; cp -r "$T/inst" "$T/bases/v$V2"; cp -r "$DB"/. "$T/bases/"
ln -s "v$V2" "$T/bases/current"
out=$("$DBTOOL" list "$T/bases" 2>&1 | cut -f1)
check "list of a BasesPath follows current" grep -qx Vigil.Test.V2 <<<"$out"
check "vigil-scan loads a hand-installed BasesPath through current" detects "$T/bases" Vigil.Test.V2

# import ClamAV containers ---------------------------------------------------------------
marker Vigil.Test.Cvd
marker Vigil.Test.Cld
mkdir -p "$T/cvdsrc" "$T/cldsrc"
m=$(md5sum < "$T/markers/Vigil.Test.Cvd")
printf '%s:%s:Vigil.Test.Cvd\n' "${m%% *}" "$(stat -c %s "$T/markers/Vigil.Test.Cvd")" > "$T/cvdsrc/daily.hdb"
printf 'Vigil.Test.CvdBody:0:*:%s\n' "$(printf 'VIGIL-CVD-BODY' | od -An -tx1 | tr -d ' \n')" > "$T/cvdsrc/daily.ndb"
printf 'DSIG:whatever\n' > "$T/cvdsrc/daily.info"
m=$(md5sum < "$T/markers/Vigil.Test.Cld")
printf '%s:%s:Vigil.Test.Cld\n' "${m%% *}" "$(stat -c %s "$T/markers/Vigil.Test.Cld")" > "$T/cldsrc/main.hdb"
# mkcvd DIR OUT VERSION gz|plain - a ClamAV container: the 512-byte header
# (md5 of the archive that follows), then a tar (.cvd: gzipped) of DIR's files
mkcvd() {
	python3 - "$@" <<'EOF'
import hashlib, io, os, sys, tarfile, time
d, out, ver, kind = sys.argv[1:5]
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w:gz" if kind == "gz" else "w",
                  format=tarfile.USTAR_FORMAT) as t:
    for n in sorted(os.listdir(d)):
        t.add(os.path.join(d, n), arcname=n)
body = buf.getvalue()
sigs = sum(1 for n in os.listdir(d) for _ in open(os.path.join(d, n)))
hdr = "ClamAV-VDB:21 Nov 2026 10-00 +0000:%s:%d:90:%s:%s:vigiltest:%d" % (
    ver, sigs, hashlib.md5(body).hexdigest(), "x" * 86, int(time.time()))
open(out, "wb").write(hdr.encode().ljust(512, b" ") + body)
EOF
}
mkcvd "$T/cvdsrc" "$T/daily.cvd" 27001 gz
mkcvd "$T/cldsrc" "$T/main.cld" 62 plain
check "the hand-made .cvd loads in vigil-scan (sanity)" \
	eval 'mkdir -p "$T/cvddb" && cp "$T/daily.cvd" "$T/cvddb/" && detects "$T/cvddb" Vigil.Test.Cvd'
out=$("$DBTOOL" import --key "$T/k.sec" --version 300 "$T/daily.cvd" "$T/main.cld" "$T/imirror" 2>&1); rc=$?
check "import .cvd + .cld exits 0" [ $rc -eq 0 ]
[ $rc -eq 0 ] || sed 's/^/    | /' <<<"$out"
mout=$(MF check "$T/imirror" "$T/k.pub")
check "import: a valid signed mirror ($mout)" grep -q "^ok version 300, " <<<"$mout"
"$DBTOOL" verify --key "$T/k.pub" "$T/imirror" > /dev/null 2>&1
check "import: vigil-dbtool verify accepts it" [ $? -eq 0 ]
rm -rf "$T/iinst"; MF install "$T/imirror" "$T/iinst"
check "import: the package detects the .cvd's hash signature" detects "$T/iinst" Vigil.Test.Cvd
check "import: the package detects the .cld's hash signature" detects "$T/iinst" Vigil.Test.Cld
out=$("$DBTOOL" list "$T/iinst" 2>&1 | cut -f1)
check "import: list shows the .cvd's body signature" grep -qx "Vigil.Test.CvdBody" <<<"$out"
out=$("$DBTOOL" import --key "$T/k.sec" "$T/daily.cvd" "$T/imirror2" 2>&1); rc=$?
check "import without --version exits 0" [ $rc -eq 0 ]
echo "note: import without --version made: $(sed -n 's/^version //p' "$T/imirror2/vigil.manifest" 2>/dev/null)"
out=$("$DBTOOL" import --key "$T/k.sec" --version 300 "$T/daily.cvd" "$T/imirror" 2>&1); rc=$?
check "import of a not-newer version refused" [ $rc -ne 0 ]
printf 'not a container at all\n' > "$T/junk.cvd"
out=$("$DBTOOL" import --key "$T/k.sec" --version 400 "$T/junk.cvd" "$T/imirror" 2>&1); rc=$?
check "import of a file that is no ClamAV container refused" [ $rc -ne 0 ]
check "refused import left the mirror at 300" grep -qx "version 300" "$T/imirror/vigil.manifest"

"$DBTOOL" frobnicate > /dev/null 2>&1
check "unknown subcommand: exit != 0" [ $? -ne 0 ]
finish
