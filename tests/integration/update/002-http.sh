#!/bin/bash
# 002-http: vigil-update against a private nginx serving a mirror made by
# vigil-dbtool: first install, up to date, an update fetching only what
# changed, UpdateServerUrl as a directory and as file://, -g, a mirror list
# with a dead server first, the only server down (exit 3, nothing changed),
# --rollback, KeepOldBases pruning, PostUpdateCmd (and exit 6), --no-post,
# -q / KeepSilent, -l and the report file, -x mirror mode and an update from
# that mirror, usage and configuration errors.
. "$(dirname "$0")/ulib.sh" || exit 1
need_built
need_prog nginx nginx-light

ver() { echo $((20261100 + $1)); }
# release I - add marker Vigil.Test.V<I> to the source and build version I
release() { addsig "$T/src" "Vigil.Test.V$1"; build k "$(ver "$1")" "$T/src" "$T/www/m"; }
# versions BASES - the version directories in BASES, sorted, on one line
versions() { (cd "$1" && ls -d v[0-9]* 2> /dev/null | sort | tr '\n' ' '); }
# newlog - the access log lines since the last newlog
ALOG_AT=0
newlog() {
	tail -n +$((ALOG_AT + 1)) "$NGX/access.log"
	ALOG_AT=$(wc -l < "$NGX/access.log")
}

keygen k
src_new "$T/src"
mkdir -p "$T/www"
release 1
src_new "$T/bases"
nginx_start "$T/www"
URL=http://127.0.0.1:$NGINX_PORT/m
uconf "$T/u.conf"

# first install ---------------------------------------------------------------------
check "before: the flat bundled database does not know V1" clean "$T/bases" Vigil.Test.V1
newlog > /dev/null
out=$("$UPDATE" -c "$T/u.conf" -v 2>&1 > "$T/stdout"); rc=$?
expect_rc "first update installs v1" 0
check "messages go to stderr, nothing to stdout" [ ! -s "$T/stdout" ]
check "says installed version N" grep -q "installed version $(ver 1)" <<<"$out"
check "says fetched B bytes" grep -Eq "fetched [0-9]+ bytes" <<<"$out"
full1=$(fetched)
check "current -> v$(ver 1) (relative symlink)" [ "$(cur "$T/bases")" = "v$(ver 1)" ]
check "the version directory holds its manifest" cmp -s "$T/bases/v$(ver 1)/vigil.manifest" "$T/www/m/vigil.manifest"
check "vigil-dbtool verify passes on the installed directory" \
	eval '"$DBTOOL" verify --key "$T/k.pub" "$T/bases/v$(ver 1)" > /dev/null'
check "vigil-scan -d BasesPath detects the v1-only signature" detects "$T/bases" Vigil.Test.V1
check "the bundled flat files are left alone" cmp -s "$T/bases/vigil.ndb" "$DB/vigil.ndb"
check "nginx served the manifest" grep -q "GET /m/vigil.manifest " <<<"$(newlog)"
check "no staging directory left" eval '! staging_left "$T/bases"'

upd
expect_rc "second run: up to date" 1
check "says up to date (version N)" grep -q "up to date (version $(ver 1))" <<<"$out"

# v2: only what changed is fetched -----------------------------------------------------
release 2
newlog > /dev/null
upd -v
expect_rc "update to v2" 0
delta2=$(fetched)
req=$(newlog)
check "current -> v$(ver 2)" [ "$(cur "$T/bases")" = "v$(ver 2)" ]
check "v2's new signature detected" detects "$T/bases" Vigil.Test.V2
h1=$(mf_field "$T/www/m/manifests/$(ver 1).manifest" vigil.hdb 4)
h2=$(mf_field "$T/www/m/vigil.manifest" vigil.hdb 4)
nd=$(mf_field "$T/www/m/vigil.manifest" vigil.ndb 4)
check "the changed file came as a delta or its object" \
	grep -Eq "GET /m/(deltas/$h1-$h2|objects/$h2)\.zst " <<<"$req"
check "unchanged files were not fetched again" eval '! grep -q "objects/$nd.zst" <<<"$req"'
uconf "$T/full.conf" BasesPath="$T/bfull"
out=$("$UPDATE" -v -c "$T/full.conf" 2>&1)
full2=$(fetched)
check "fetched bytes: update ($delta2) < full install of the same version ($full2)" \
	[ -n "$delta2" ] && [ -n "$full2" ] && [ "$delta2" -lt "$full2" ]

# other kinds of source ----------------------------------------------------------------------
uconf "$T/u.conf" BasesPath="$T/b-dir" UpdateServerUrl="$T/www/m"
upd
expect_rc "UpdateServerUrl = a directory" 0
check "... installed v2" [ "$(cur "$T/b-dir")" = "v$(ver 2)" ]
uconf "$T/u.conf" BasesPath="$T/b-file" UpdateServerUrl="file://$T/www/m"
upd
expect_rc "UpdateServerUrl = file://" 0
check "... installed v2" [ "$(cur "$T/b-file")" = "v$(ver 2)" ]
uconf "$T/u.conf" BasesPath="$T/b-slash" UpdateServerUrl="$URL/"
upd
expect_rc "UpdateServerUrl with a trailing slash" 0
dead=http://127.0.0.1:$(dead_port)/m
uconf "$T/u.conf" BasesPath="$T/b-g" UpdateServerUrl="$dead"
upd -g "$T/www/m"
expect_rc "-g DIR (the configured server is dead)" 0
check "... installed v2" [ "$(cur "$T/b-g")" = "v$(ver 2)" ]
uconf "$T/u.conf" BasesPath="$T/b-gu" UpdateServerUrl="$dead"
upd -g "$URL"
expect_rc "-g URL" 0
upd -g "$dead"
expect_rc "-g with a dead server: no source" 3

printf '# mirrors, tried in order\n%s\n\n%s\n' "$dead" "$URL" > "$T/mirrors2.list"
uconf "$T/u.conf" BasesPath="$T/b-list" UseUpdateServerUrl=no \
	-UseUpdateServerUrlOnly UpdateServerUrl= MirrorsFile="$T/mirrors2.list" \
	ServerOrder=listed
newlog > /dev/null
upd
expect_rc "MirrorsFile, dead server first, ServerOrder=listed" 0
check "... installed v2 from the second" [ "$(cur "$T/b-list")" = "v$(ver 2)" ]
check "... says the first failed" grep -q "source $dead.*failed" <<<"$out"
check "... nginx served it" grep -q "GET /m/vigil.manifest " <<<"$(newlog)"

# the only server down ------------------------------------------------------------------------
uconf "$T/u.conf"
release 3
nginx_stop
upd
expect_rc "UseUpdateServerUrl(Only)=yes, server down" 3
check "... says the source failed" grep -q "source .*failed" <<<"$out"
check "... current still v2" [ "$(cur "$T/bases")" = "v$(ver 2)" ]
check "... database still loads and detects v2" detects "$T/bases" Vigil.Test.V2
check "... no staging left" eval '! staging_left "$T/bases"'
printf '%s\n' "file://$T/www/m" > "$T/mirrors3.list"
uconf "$T/u.conf" BasesPath="$T/b-fall" UseUpdateServerUrlOnly=no MirrorsFile="$T/mirrors3.list"
upd
expect_rc "server down, UseUpdateServerUrlOnly=no: falls back to the mirror list" 0
nginx_start "$T/www" "$NGINX_PORT"
uconf "$T/u.conf"
upd
expect_rc "server back: v3 installed" 0

# rollback and pruning --------------------------------------------------------------------
check "KeepOldBases default 2: v1 v2 v3 kept" \
	[ "$(versions "$T/bases")" = "v$(ver 1) v$(ver 2) v$(ver 3) " ]
upd --rollback
expect_rc "--rollback" 0
check "... current -> v2" [ "$(cur "$T/bases")" = "v$(ver 2)" ]
check "... v2 detects" detects "$T/bases" Vigil.Test.V2
check "... v3's signature gone" clean "$T/bases" Vigil.Test.V3
release 4
upd
expect_rc "update after a rollback: v4" 0
check "KeepOldBases 2: v1 pruned, v2 v3 v4 kept" \
	[ "$(versions "$T/bases")" = "v$(ver 2) v$(ver 3) v$(ver 4) " ]
release 5
uconf "$T/u.conf" KeepOldBases=1
upd
expect_rc "v5 with KeepOldBases=1" 0
check "KeepOldBases 1: v4 v5 kept" [ "$(versions "$T/bases")" = "v$(ver 4) v$(ver 5) " ]
release 6
uconf "$T/u.conf" KeepOldBases=0
upd
expect_rc "v6 with KeepOldBases=0" 0
check "KeepOldBases 0: v6 only" [ "$(versions "$T/bases")" = "v$(ver 6) " ]
upd --rollback
check "--rollback with nothing older kept: refused (exit != 0)" [ $rc -ne 0 ]
check "... current still v6" [ "$(cur "$T/bases")" = "v$(ver 6)" ]

# PostUpdateCmd ------------------------------------------------------------------------------
release 7
uconf "$T/u.conf" PostUpdateCmd="touch $T/posted"
upd
expect_rc "v7 with PostUpdateCmd" 0
check "PostUpdateCmd ran" [ -e "$T/posted" ]
rm -f "$T/posted"
upd
expect_rc "up to date" 1
check "PostUpdateCmd does not run when nothing was installed" [ ! -e "$T/posted" ]
release 8
upd --no-post
expect_rc "v8 with --no-post" 0
check "--no-post: PostUpdateCmd did not run" [ ! -e "$T/posted" ]
release 9
uconf "$T/u.conf" PostUpdateCmd=false
upd
expect_rc "PostUpdateCmd fails" 6
check "... but the database is installed" [ "$(cur "$T/bases")" = "v$(ver 9)" ]
check "... and loads" detects "$T/bases" Vigil.Test.V9

# -q, KeepSilent, -l, the report ----------------------------------------------------------------
uconf "$T/u.conf"
upd -q
expect_rc "-q up to date" 1
check "-q: nothing printed" [ -z "$out" ]
release 10
upd -q -l "$T/report.log"
expect_rc "-q -l install" 0
check "-q on an install: nothing printed" [ -z "$out" ]
check "-l: report file written" grep -q "installed version $(ver 10)" "$T/report.log"
check "report lines: YYYY-MM-DD HH:MM:SS LEVEL message" \
	grep -Eq "^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2} [A-Za-z]+ .*installed version $(ver 10)" "$T/report.log"
uconf "$T/u.conf" KeepSilent=yes ReportFileName="$T/report2.log"
upd
expect_rc "KeepSilent=yes, up to date" 1
check "KeepSilent: nothing printed" [ -z "$out" ]
check "ReportFileName: up to date reported" grep -q "up to date (version $(ver 10))" "$T/report2.log"
uconf "$T/u.conf" ReportFileName="$T/report3.log"
upd -l "$T/report4.log"
check "-l overrides ReportFileName" eval '[ -s "$T/report4.log" ] && [ ! -s "$T/report3.log" ]'

# -x mirror mode, then an update from that mirror -------------------------------------------
uconf "$T/u.conf"
before=$(cur "$T/bases")
release 11
upd -x "$T/lmirror"
expect_rc "-x DIR writes a mirror" 0
check "-x: the local database is not touched" [ "$(cur "$T/bases")" = "$before" ]
check "-x: the mirror's manifest is the newest" cmp -s "$T/lmirror/vigil.manifest" "$T/www/m/vigil.manifest"
check "-x: vigil-dbtool verify passes on it" eval '"$DBTOOL" verify --key "$T/k.pub" "$T/lmirror" > /dev/null'
uconf "$T/u.conf" BasesPath="$T/b-x" UpdateServerUrl="$dead"
upd -g "$T/lmirror"
expect_rc "update of another BasesPath from the -x mirror" 0
check "... v11 installed" [ "$(cur "$T/b-x")" = "v$(ver 11)" ]
check "... and detects" detects "$T/b-x" Vigil.Test.V11

# usage and configuration errors ----------------------------------------------------------------
upd --frobnicate
expect_rc "unknown option" 2
printf '[updater.options]\nNoSuchKey = 1\n' > "$T/bad.conf"
out=$("$UPDATE" -c "$T/bad.conf" 2>&1); rc=$?
expect_rc "unknown configuration key" 2
out=$("$UPDATE" -c "$T/nonexistent.conf" 2>&1); rc=$?
expect_rc "missing configuration file" 2
uconf "$T/u.conf" TrustedKeys="$T/nonexistent.pub"
upd
expect_rc "TrustedKeys names a missing file" 2
finish
