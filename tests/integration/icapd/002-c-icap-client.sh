#!/bin/bash
# 002-c-icap-client: vigil-icapd against c-icap's own client (c-icap-client,
# another ICAP implementation than Squid's).  OPTIONS (c-icap-client sends
# it when no -f is given) of both services: Methods, ISTag, Preview,
# Allow: 204, Transfer-Preview: *.  RESPMOD with a preview (-w), with the
# preview size taken from OPTIONS, without preview (-nopreview) and without
# 204 outside the preview (-no204): a clean body is answered 204 or comes
# back unchanged; EICAR is answered with ICAP 200 + HTTP 403, the block
# page naming URL and threat, X-Infection-Found / X-Virus-ID; EICAR in
# front of 100 kB never comes back whole.  REQMOD (-req, a POST body):
# clean 204, EICAR the block page.  Bounded: about 15 s.
. "$(dirname "$0")/ilib.sh" || exit 1
need_icapd
need_prog c-icap-client c-icap

eicar "$T/eicar.com"
icapd_conf
vigild_start
icapd_start
printf 'hello, world\n' > "$T/clean.txt"
head -c 200000 /dev/urandom > "$T/clean.bin"
{ cat "$T/eicar.com"; head -c 100000 /dev/urandom; } > "$T/eicar-big.bin"
URL=http://www.example.org/dl/eicar.com
T_EICAR=Eicar-Test-Signature

# OPTIONS -------------------------------------------------------------------
for svc in respmod reqmod; do
	cic -s "av/$svc"
	check "OPTIONS av/$svc: ICAP 200" hgrep 'ICAP/1.0 200'
	m=$(tr a-z A-Z <<<"$svc")
	check "OPTIONS av/$svc: Methods: $m" hgrep "Methods: *$m"
	for h in ISTag Preview 'Transfer-Preview: \*' 'Allow: 204'; do
		check "OPTIONS av/$svc: $h" hgrep "$h"
	done
	[ "$failures" -eq 0 ] || sed 's/^/    | /' <<<"$H"
done
cic -s av/nosuch
check "OPTIONS of an unknown service: ICAP 404" hgrep 'ICAP/1.0 404'

# RESPMOD ---------------------------------------------------------------------
for a in "-w 1024" "" "-nopreview" "-no204 -nopreview"; do
	w=${a:-"(preview from OPTIONS)"}
	# shellcheck disable=SC2086
	cic -s av/respmod -f "$T/eicar.com" -resp "$URL" $a
	check "EICAR $w: ICAP 200" hgrep 'ICAP/1.0 200'
	check "EICAR $w: HTTP 403" hgrep 'HTTP/1.[01] 403'
	check "EICAR $w: X-Infection-Found / X-Virus-ID" \
		hgrep "(X-Infection-Found|X-Virus-ID):.*$T_EICAR"
	check "EICAR $w: block page names the threat" grep -aq "$T_EICAR" "$O"
	check "EICAR $w: block page names the URL" grep -aqF "$URL" "$O"
	check "EICAR $w: the body is not delivered" eval '! has_eicar "$O"'
	hgrep 'HTTP/1.[01] 403' || sed 's/^/    | /' <<<"$H"
	# shellcheck disable=SC2086
	cic -s av/respmod -f "$T/clean.txt" -resp http://www.example.org/clean.txt $a
	if [ "$a" = "-no204 -nopreview" ]; then
		check "clean $w: ICAP 200" hgrep 'ICAP/1.0 200'
		check "clean $w: body unchanged" cmp -s "$O" "$T/clean.txt"
	else
		check "clean $w: ICAP 204" hgrep 'ICAP/1.0 204'
	fi
	check "clean $w: no infection header" eval '! grep -qiE "X-Infection-Found|X-Virus-ID" <<<"$H"'
done
cic -s av/respmod -f "$T/clean.bin" -resp http://www.example.org/clean.bin -w 1024
check "clean 200 kB: 204 or unchanged" eval 'hgrep "ICAP/1.0 204" || cmp -s "$O" "$T/clean.bin"'
cic -s av/respmod -f "$T/clean.bin" -resp http://www.example.org/clean.bin -no204 -nopreview
check "clean 200 kB, -no204 -nopreview: unchanged" cmp -s "$O" "$T/clean.bin"
cic -s av/respmod -f "$T/eicar-big.bin" -resp http://www.example.org/big.bin -w 1024
check "EICAR + 100 kB: not 204 (unmodified)" eval '! hgrep "ICAP/1.0 204"'
check "EICAR + 100 kB: never returned whole" eval '! cmp -s "$O" "$T/eicar-big.bin"'
check "EICAR + 100 kB: blocked (403) or cut (shorter)" \
	eval 'hgrep "HTTP/1.[01] 403" || [ "$(stat -c %s "$O")" -lt "$(stat -c %s "$T/eicar-big.bin")" ]'

# REQMOD ---------------------------------------------------------------------
cic -s av/reqmod -req http://www.example.org/upload -method POST -f "$T/eicar.com"
check "REQMOD EICAR: ICAP 200" hgrep 'ICAP/1.0 200'
check "REQMOD EICAR: HTTP 403 (request satisfied by the block page)" hgrep 'HTTP/1.[01] 403'
check "REQMOD EICAR: block page names the threat" grep -aq "$T_EICAR" "$O"
check "REQMOD EICAR: the body is not passed on" eval '! has_eicar "$O"'
hgrep 'HTTP/1.[01] 403' || sed 's/^/    | /' <<<"$H"
cic -s av/reqmod -req http://www.example.org/upload -method POST -f "$T/clean.txt"
check "REQMOD clean: ICAP 204" hgrep 'ICAP/1.0 204'
cic -s av/reqmod -req http://www.example.org/upload -method POST -f "$T/clean.txt" -no204 -nopreview
check "REQMOD clean, -no204 -nopreview: ICAP 200, the POST goes on" hgrep 'POST http://www.example.org/upload'
check "REQMOD clean, -no204 -nopreview: body unchanged" cmp -s "$O" "$T/clean.txt"

if [ "$failures" -ne 0 ] && ! stand_in; then
	echo "--- vigil-icapd stderr (last lines)"; tail -15 "$T/icapd.err"
fi
finish
