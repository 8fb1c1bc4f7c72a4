#!/bin/bash
# 003-guide-examples: the proxy guide's two worked examples ("Ensuring
# anti-virus protection of HTTP traffic" and "Configuring anti-virus scan
# parameters for user groups") applied as written, with Squid (the guide's
# Squid 3.1 ICAP lines) in front.  The configuration text is the guide's,
# blanks of its PDF extraction included ("[i capserver.protocol]",
# "ExcludeURL=^www \ . example \ .com \ /.*", "ScanPacked= true"); only the
# statistics path is ours.
#
# Example 1: EICAR is blocked; www.example.com is excluded from scanning.
# Squid resolves www.example.com to 127.0.0.1 (hosts_file) and forwards
# it to the origin's port as an originserver cache_peer, so the URL the
# ICAP server sees is http://www.example.com/eicar.com, the form the
# guide's regex is written for.  The same host with an explicit port
# (http://www.example.com:PORT/...) is NOT excluded: the regex wants "/"
# right after ".com".  Cure=true: a zip holding EICAR comes back cured
# (without the member) or blocked, never with it.  `vigilctl stats
# vigil-icapd` writes the AVStatisticsFile.
#
# Example 2 (the guide's text breaks off after the managers group's first
# engine option): the managers group (192.168.1.0/255.255.255.0) is chosen
# by the X-Client-IP header, which Squid always sets to 127.0.0.1 here, so
# it is driven by c-icap-client -x 'X-Client-IP: ...'; the report line's
# group= shows the group, and options a group does not set are
# inherited.  Through Squid, a group with ClientIP=127.0.0.1 and
# ScanArchives=false (ours) lets a zipped EICAR pass and still blocks a
# plain one.  Bounded: about 1 minute.
. "$(dirname "$0")/ilib.sh" || exit 1
need_icapd
need_prog squid squid
need_prog c-icap-client c-icap

origin_start
T_EICAR=Eicar-Test-Signature

# Example 1 ------------------------------------------------------------------
# the guide's text, lines and blanks as extracted from its PDF; the
# statistics path replaced, and CounterStatisticsFile added (ours)
ICONF_EXTRA=$(cat <<EOF
[icapserver.filter]  

ExcludeURL=^www \ . example \ .com \ /.*  

 

[ icapserver.engine.options]  

ScanPacked= true  

ScanArchives= true  

ScanMailBases= false  

ScanMailPlain= false  

Cure= true  

 

[icapserver.actions]  

InfectedAction=deny  

SuspiciousAction=deny  

WarningAction=deny  

ErrorAction=skip  

ProtectedAction=skip  

CorruptedAction=skip  

 

[i capserver.protocol]  

AnswerMode=partial  

 

[icapserver.statistics]  

AVStatisticsFile=$T/statistic  
CounterStatisticsFile=$T/counters
EOF
)
icapd_conf -icapserver.statistics
if ! stand_in; then
	out=$("$VIGILD" -t -c "$CONF" 2>&1); rc=$?
	check "example 1: the guide's text loads (vigild -t)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/    | /' <<<"$out"
fi
vigild_start
icapd_start
squid_start "acl exdom dstdomain www.example.com" \
	"cache_peer 127.0.0.1 parent $OPORT 0 no-query no-digest originserver name=exorigin" \
	"cache_peer_access exorigin allow exdom" \
	"cache_peer_access exorigin deny all" \
	"never_direct allow exdom"

pcurl "$ORIGIN/eicar.com"
blocked_page "example 1: eicar.com" "$ORIGIN/eicar.com" "$T_EICAR"
[ "$code" = 403 ] || showlast
pcurl "http://www.example.com/eicar.com"
check "example 1: www.example.com/eicar.com excluded: 200" [ "$code" = 200 ]
check "example 1: www.example.com/eicar.com excluded: EICAR passes" cmp -s "$B" "$T/eicar.com"
[ "$code" = 200 ] || showlast
check "example 1: Squid fetched it from the origin" grep -q "GET /eicar.com - -" "$OLOG"
pcurl "http://www.example.com:$OPORT/eicar.com"
check "example 1: www.example.com:PORT/ (\"/\" not right after .com): scanned, 403" [ "$code" = 403 ]
pcurl "http://www.example.org:$OPORT/eicar.com"
check "example 1: www.example.org: scanned, 403" [ "$code" = 403 ]
pcurl "$ORIGIN/eicar.zip"
echo "example 1: eicar.zip with Cure= true: HTTP $code, $size bytes"
if [ "$code" = 200 ]; then
	names=$(python3 -c 'import sys, zipfile; print(" ".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$B" 2>&1)
	check "example 1: eicar.zip cured: only readme.txt left" [ "$names" = readme.txt ]
else
	blocked_page "example 1: eicar.zip" "$ORIGIN/eicar.zip" "$T_EICAR"
fi
if ! stand_in; then
	rm -f "$T/statistic" "$T/counters"
	vctl stats vigil-icapd
	check "example 1: vigilctl stats vigil-icapd exits 0" [ "$rc" -eq 0 ]
	[ "$rc" -eq 0 ] || sed 's/^/    | /' <<<"$out"
	check "example 1: AVStatisticsFile written" wait_for 50 test -s "$T/statistic"
	check "example 1: statistics count the infected objects" grep -Eqs '^Infected=[1-9]' "$T/statistic"
	check "example 1: statistics count the blocked objects" grep -Eqs '^Blocked=[1-9]' "$T/statistic"
	check "example 1: counters count the excluded object" grep -Eqs '^Excluded=[1-9]' "$T/counters"
	sed 's/^/    | /' "$T/statistic" 2> /dev/null | head -20
fi

# Example 2 --------------------------------------------------------------------
# the guide's text (it ends after ScanPacked), then a group of ours for the
# address Squid sends
icapd_stop
ICONF_EXTRA=$(cat <<EOF
[icapserver.groups:managers]  

Priority=1  

ClientIP=192.168.1.0/255.255.255.0  

URL=.*  

 

[icapserver.engine.options:managers]  

ScanPacked= false  

[icapserver.groups:loopback]
Priority=2
ClientIP=127.0.0.1
[icapserver.engine.options:loopback]
ScanArchives=false
EOF
)
icapd_conf
if ! stand_in; then
	out=$("$VIGILD" -t -c "$CONF" 2>&1); rc=$?
	check "example 2: the guide's text loads (vigild -t)" [ $rc -eq 0 ]
	[ $rc -eq 0 ] || sed 's/^/    | /' <<<"$out"
fi
icapd_start
eicar_zip=$T/eicar.zip
curl -s --max-time 10 -o "$eicar_zip" "$ORIGIN/eicar.zip"
for ip in 192.168.1.5 192.168.1.254 192.168.2.5 10.1.1.1; do
	cic -s av/respmod -f "$T/eicar.com" -resp "http://www.example.net/$ip/eicar.com" -x "X-Client-IP: $ip"
	check "example 2: X-Client-IP $ip: EICAR blocked" hgrep 'HTTP/1.[01] 403'
	case $ip in 192.168.1.*) want=managers ;; *) want=default ;; esac
	g=$(group_for "http://www.example.net/$ip/eicar.com")
	check "example 2: X-Client-IP $ip: group $want (report: group=$g)" [ "$g" = "$want" ]
done
cic -s av/respmod -f "$eicar_zip" -resp http://www.example.net/m/eicar.zip -x "X-Client-IP: 192.168.1.7"
check "example 2: managers inherit ScanArchives=true: zipped EICAR blocked" hgrep 'HTTP/1.[01] 403'
cic -s av/respmod -f "$eicar_zip" -resp http://www.example.net/l/eicar.zip -x "X-Client-IP: 127.0.0.1"
check "example 2: X-Client-IP 127.0.0.1 (loopback, ScanArchives=false): zipped EICAR passes" \
	eval '! hgrep "HTTP/1.[01] 403"'

# through Squid: X-Client-IP is 127.0.0.1, group loopback
pcurl "$ORIGIN/eicar.com?ex2"
blocked_page "example 2, Squid: eicar.com" "$ORIGIN/eicar.com?ex2" "$T_EICAR"
g=$(group_for "$ORIGIN/eicar.com?ex2")
check "example 2, Squid: group loopback (report: group=$g)" [ "$g" = loopback ]
pcurl "$ORIGIN/eicar.zip?ex2"
check "example 2, Squid: loopback, ScanArchives=false: eicar.zip passes (200)" [ "$code" = 200 ]
check "example 2, Squid: eicar.zip intact" same_as "$B" /eicar.zip
if [ "$failures" -ne 0 ] && ! stand_in; then
	echo "--- vigil-icapd stderr (last lines)"; tail -15 "$T/icapd.err"
	echo "--- vigil-icapd report (last lines)"; tail -8 "$T/icapd.log"
fi
finish
