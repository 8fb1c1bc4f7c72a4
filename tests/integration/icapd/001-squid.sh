#!/bin/bash
# 001-squid: vigil-icapd behind a real Squid (5.x) configured with the proxy
# guide's Squid 3.1 ICAP lines, curl as the browser, origin.py as the web
# server.  Clean text arrives intact; EICAR plain, gzip-encoded (Squid
# passes the encoding) and zipped is answered with the 403 block page
# naming the URL and the threat; 1 MiB clean arrives intact within 30 s
# with Squid's default read_ahead_gap (AnswerMode=partial); 1 MiB with
# EICAR at the start or at the end never reaches the user whole (403, or a
# cut transfer); a blocked URL is never served from Squid's cache while a
# clean one is; a clean upload (REQMOD) reaches the origin, an EICAR upload
# gets the block page and never reaches the origin; the notify script and
# the report see each detection.  Bounded: about 1 minute.
. "$(dirname "$0")/ilib.sh" || exit 1
need_icapd
need_prog squid squid

origin_start
notify_script
icapd_conf
vigild_start
icapd_start
squid_start
T_EICAR=Eicar-Test-Signature
T_ANY=Vigil.Test.Eicar-Anywhere

# clean -------------------------------------------------------------------
pcurl "$ORIGIN/clean.txt"
check "clean.txt: 200" [ "$code" = 200 ]
check "clean.txt: intact" same_as "$B" /clean.txt
check "clean.txt: no infection header" eval '! grep -qiE "^(X-Infection-Found|X-Virus-ID):" "$HDR"'
[ "$failures" -eq 0 ] || showlast

# EICAR, plain, gzip, zip -----------------------------------------------------
pcurl "$ORIGIN/eicar.com"
blocked_page "eicar.com" "$ORIGIN/eicar.com" "$T_EICAR"
[ "$code" = 403 ] || showlast
pcurl "$ORIGIN/eicar.gz"
blocked_page "eicar.gz (Content-Encoding: gzip)" "$ORIGIN/eicar.gz" "$T_EICAR"
check "eicar.gz: the gzip body is not delivered" eval '! same_as "$B" /eicar.gz'
[ "$code" = 403 ] || showlast
pcurl "$ORIGIN/eicar.zip"
blocked_page "eicar.zip" "$ORIGIN/eicar.zip" "$T_EICAR"
check "eicar.zip: the zip is not delivered" eval '! same_as "$B" /eicar.zip'
[ "$code" = 403 ] || showlast

# 1 MiB clean: the read_ahead_gap case -------------------------------------------
t0=$(date +%s%N)
pcurl "$ORIGIN/big.bin"
ms=$((($(date +%s%N) - t0) / 1000000))
echo "big.bin: curl rc=$rc code=$code size=$size in $ms ms"
check "big.bin: 200" [ "$code" = 200 ]
check "big.bin: 1 MiB received" [ "$size" -eq "$MIB" ]
check "big.bin: intact (sha256)" [ "$(sha256sum < "$B")" = "$(curl -s --max-time 30 "$ORIGIN/big.bin" | sha256sum)" ]
check "big.bin: within 30 s (Squid's default read_ahead_gap)" eval '[ "$rc" -ne 28 ] && [ "$ms" -lt 30000 ]'

# 1 MiB with EICAR at the start / at the end ------------------------------------
# big_blocked PATH THREAT - the user never gets the whole object: a 403
# block page naming THREAT, or a cut transfer (curl fails, less than 1 MiB)
big_blocked() {
	local p=$1
	pcurl "$ORIGIN$p"
	echo "$1: curl rc=$rc code=$code size=$size"
	if [ "$code" = 403 ]; then
		blocked_page "$1 (blocked before relaying)" "$ORIGIN$1" "$2"
	else
		check "$1: cut transfer (curl exit != 0)" [ "$rc" -ne 0 ]
		check "$1: less than 1 MiB received" [ "$size" -lt "$MIB" ]
		has_eicar "$B" && echo "note: $1: EICAR bytes were relayed before the cut"
	fi
	check "$1: never the whole object" eval '! same_as "$B" "$p"'
	check "$1: detection logged" wait_for 30 grep -qs "$2" "$T/icapd.log"
}
big_blocked /big-eicar.bin "$T_EICAR"
big_blocked /big-eicar-end.bin "$T_ANY"

# Squid's cache: blocked objects are not kept, clean ones are ---------------------
n=$(sq_lines)
pcurl "$ORIGIN/eicar.com"
check "eicar.com again: still blocked (403)" [ "$code" = 403 ]
check "eicar.com again: still the block page" grep -qF "$T_EICAR" "$B"
l=$(sq_last "$ORIGIN/eicar.com")
echo "squid: $l"
check "eicar.com again: a cache miss (Squid kept no blocked object)" \
	sq_since "$n" "TCP_MISS/[0-9]+ .* GET $ORIGIN/eicar.com "
pcurl "$ORIGIN/clean.txt"
check "clean.txt again: intact" same_as "$B" /clean.txt
l=$(sq_last "$ORIGIN/clean.txt")
echo "squid: $l"
check "clean.txt again: a cache hit" sq_since "$n" "TCP_(MEM_)?HIT/200 .* GET $ORIGIN/clean.txt "

# uploads: REQMOD -------------------------------------------------------------------
printf 'a clean upload, nothing to see here\n' > "$T/up-clean.txt"
posts=$(origin_posts)
pcurl "$ORIGIN/upload" -F "file=@$T/up-clean.txt" -F "comment=hello"
check "clean upload: 200 from the origin" [ "$code" = 200 ]
check "clean upload: the origin read it" grep -q "^received [0-9]* bytes" "$B"
check "clean upload: the origin logged one more POST" [ "$(origin_posts)" -eq $((posts + 1)) ]
[ "$code" = 200 ] || showlast
posts=$(origin_posts)
pcurl "$ORIGIN/upload" -F "file=@$T/eicar.com" -F "comment=hello"
blocked_page "EICAR upload" "$ORIGIN/upload" "$T_EICAR"
sleep 0.5
check "EICAR upload: the origin never received it" [ "$(origin_posts)" -eq "$posts" ]
[ "$code" = 403 ] || showlast

# notify script and report --------------------------------------------------------
check "notify script ran for eicar.com" wait_for 50 grep -qs "^VIGIL_URL=$ORIGIN/eicar.com$" "$T/notify.out"
check "notify: VIGIL_THREAT" grep -qs "^VIGIL_THREAT=$T_EICAR$" "$T/notify.out"
check "notify: VIGIL_CLIENT is the browser (Squid's X-Client-IP)" grep -qs "^VIGIL_CLIENT=127.0.0.1$" "$T/notify.out"
check "notify: VIGIL_SERVICE reqmod for the upload" grep -qs "^VIGIL_SERVICE=reqmod$" "$T/notify.out"
check "report names the URL and threat" grep -qs "$ORIGIN/eicar.com.*$T_EICAR\|$T_EICAR.*$ORIGIN/eicar.com" "$T/icapd.log"
check "Squid logged no ICAP errors" eval '! grep -qi "essential ICAP service is down\|ICAP.*suspend" "$SQ/cache.log"'
if [ "$failures" -ne 0 ]; then
	echo "--- vigil-icapd stderr (last lines)"; tail -15 "$T/icapd.err" 2> /dev/null
	echo "--- squid cache.log (last lines)"; tail -15 "$SQ/cache.log"
fi
finish
