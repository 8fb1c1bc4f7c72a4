#!/bin/bash
# 003-proxy: vigil-update through a real forward proxy: Squid with basic
# authentication (basic_ncsa_auth, an apr1 password file) in front of a
# private nginx mirror.  UseProxy + ProxyAddress with the right password
# (Squid's access log shows the requests), a wrong password (exit 3),
# ProxyAddress empty with http_proxy from the environment, and UseProxy=no
# going direct although http_proxy points to a dead port.
. "$(dirname "$0")/ulib.sh" || exit 1
need_built
need_prog nginx nginx-light
need_prog squid squid
need_prog openssl openssl
[ -x /usr/lib/squid/basic_ncsa_auth ] || need_prog basic_ncsa_auth squid

ver() { echo $((20261200 + $1)); }
keygen k
src_new "$T/src"
mkdir -p "$T/www"
addsig "$T/src" Vigil.Test.P1
build k "$(ver 1)" "$T/src" "$T/www/m"
nginx_start "$T/www"
ORIGIN=http://127.0.0.1:$NGINX_PORT/m

# squid_start - Squid on a free port, basic auth user vigil / s3cret;
# sets SQUID_PORT, SQ (its directory: access.log, cache.log)
squid_start() {
	local try
	SQ=$T/squid
	mkdir -p "$SQ"
	printf 'vigil:%s\n' "$(openssl passwd -apr1 's3cret')" > "$SQ/passwd"
	for try in 1 2 3; do
		SQUID_PORT=$(free_port)
		cat > "$SQ/squid.conf" <<-EOF
		http_port 127.0.0.1:$SQUID_PORT
		visible_hostname vigil-test
		pid_filename $SQ/squid.pid
		cache_log $SQ/cache.log
		access_log stdio:$SQ/access.log
		cache deny all
		cache_mem 8 MB
		coredump_dir $SQ
		pinger_enable off
		netdb_filename none
		shutdown_lifetime 1 seconds
		auth_param basic program /usr/lib/squid/basic_ncsa_auth $SQ/passwd
		auth_param basic children 2
		auth_param basic realm vigil-test
		acl authed proxy_auth REQUIRED
		http_access allow authed
		http_access deny all
		EOF
		if [ "$(id -u)" = 0 ]; then
			# Squid will not run as root: its helpers and logs as nobody
			echo "cache_effective_user nobody" >> "$SQ/squid.conf"
			chmod 755 "$T"
			chown -R nobody "$SQ"
		fi
		squid -N -f "$SQ/squid.conf" > "$SQ/stdout" 2>&1 &
		SQUID_PID=$!
		on_exit "stop_pid $SQUID_PID"
		if wait_port "$SQUID_PORT" 150 && kill -0 "$SQUID_PID" 2> /dev/null; then
			return 0
		fi
		stop_pid "$SQUID_PID"
	done
	echo "FAIL: squid did not start"
	tail -5 "$SQ/cache.log" "$SQ/stdout" 2> /dev/null
	exit 1
}
# squid_saw PATTERN - wait (bounded) for PATTERN in Squid's access log
squid_saw() {
	local i
	for i in $(seq 30); do
		grep -q "$1" "$SQ/access.log" 2> /dev/null && return 0
		sleep 0.1
	done
	return 1
}
squid_start
PROXY=http://vigil:s3cret@127.0.0.1:$SQUID_PORT
PROXY_BAD=http://vigil:Wr0ngPa55@127.0.0.1:$SQUID_PORT

# the right password -------------------------------------------------------------
uconf "$T/u.conf" BasesPath="$T/b1" UpdateServerUrl="$ORIGIN" UseProxy=yes ProxyAddress="$PROXY"
upd
expect_rc "through Squid with basic auth" 0
check "... installed" [ "$(cur "$T/b1")" = "v$(ver 1)" ]
check "... detects" detects "$T/b1" Vigil.Test.P1
check "Squid's access log: the manifest, as user vigil" \
	squid_saw "TCP_[A-Z_]*/200 .* GET $ORIGIN/vigil.manifest vigil "
check "Squid's access log: the objects" squid_saw "GET $ORIGIN/objects/[0-9a-f]*.zst vigil "

# a wrong password ---------------------------------------------------------------------
addsig "$T/src" Vigil.Test.P2
build k "$(ver 2)" "$T/src" "$T/www/m"
uconf "$T/u.conf" BasesPath="$T/b1" UpdateServerUrl="$ORIGIN" UseProxy=yes ProxyAddress="$PROXY_BAD"
upd
expect_rc "wrong proxy password" 3
check "... nothing changed" [ "$(cur "$T/b1")" = "v$(ver 1)" ]
check "Squid refused it (407)" squid_saw "TCP_DENIED/407 .* GET $ORIGIN/vigil.manifest"
check "... the password is not in the report" eval '! grep -q Wr0ngPa55 <<<"$out"'

# ProxyAddress empty, http_proxy from the environment --------------------------------------
lines=$(wc -l < "$SQ/access.log")
uconf "$T/u.conf" BasesPath="$T/b1" UpdateServerUrl="$ORIGIN" UseProxy=yes ProxyAddress=
out=$(http_proxy=$PROXY "$UPDATE" -c "$T/u.conf" 2>&1); rc=$?
expect_rc "ProxyAddress empty, http_proxy set" 0
check "... v2 installed" [ "$(cur "$T/b1")" = "v$(ver 2)" ]
check "... through Squid" eval 'sleep 0.3; tail -n +$((lines + 1)) "$SQ/access.log" | grep -q "GET $ORIGIN/vigil.manifest vigil "'

# UseProxy=no: direct, although http_proxy points to a dead port ---------------------------
lines=$(wc -l < "$SQ/access.log")
uconf "$T/u.conf" BasesPath="$T/b2" UpdateServerUrl="$ORIGIN" UseProxy=no ProxyAddress="$PROXY_BAD"
dead=http://127.0.0.1:$(dead_port)
out=$(http_proxy=$dead HTTP_PROXY=$dead "$UPDATE" -c "$T/u.conf" 2>&1); rc=$?
expect_rc "UseProxy=no, http_proxy dead" 0
check "... installed directly" [ "$(cur "$T/b2")" = "v$(ver 2)" ]
sleep 0.3
check "... Squid saw nothing" [ "$(wc -l < "$SQ/access.log")" -eq "$lines" ]

# UseProxy=yes, the proxy itself dead: no source -----------------------------------------------
uconf "$T/u.conf" BasesPath="$T/b3" UpdateServerUrl="$ORIGIN" UseProxy=yes ProxyAddress="$dead"
upd
expect_rc "UseProxy=yes, proxy dead" 3
finish
