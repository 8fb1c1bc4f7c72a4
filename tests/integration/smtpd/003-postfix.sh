#!/bin/bash
# 003-postfix: vigil-smtpd behind a private Postfix, as in the mail guide
# 4.4.3: content_filter = lmtp:127.0.0.1:PORT to the daemon (Protocol=lmtp),
# the same with smtp: (Protocol=smtp), and the guide's master.cf `spawn`
# service running `vigil-smtpd -s` on the connection; vigil-smtpd hands
# the mail back to Postfix's re-injection smtpd (-o content_filter=), which
# delivers it to the sink.  Checks: clean mail arrives with X-Vigil-Status:
# CLEAN, an EICAR attachment arrives cured, a DSN request (NOTIFY=SUCCESS,
# RET, ENVID) makes Postfix send the sender a success DSN; faults: vigild
# down while 100 messages come (all delivered exactly once after it is
# back), the downstream answering 4xx (Postfix keeps the mail deferred,
# then delivers it once), vigil-smtpd killed with SIGKILL while it forwards
# (Postfix defers and delivers once after the restart).
#
# Postfix runs as root from Debian's package with its own config_directory,
# queue_directory and data_directory under $T, loopback only, no DNS; it is
# stopped on exit.  Ports (all free loopback ports):
#   PF_L   smtpd, content_filter = lmtp:127.0.0.1:SMTP_PORT (main.cf)
#   PF_S   smtpd, -o content_filter=smtp:127.0.0.1:SMTP_PORT
#   PF_P   smtpd, -o content_filter=lmtp:127.0.0.1:SPAWN_PORT
#   SPAWN_PORT  spawn user=nobody argv=vigil-smtpd -s -c $T/spawn.conf
#   REINJ  smtpd -o content_filter= (vigil-smtpd's ForwardMailer)
#   SINK_PORT   sink.py; Postfix's default_transport relays everything there
# Mail for dsn.example.org goes to the sink through an smtp client that
# ignores the sink's DSN extension, so Postfix itself reports "relayed".
. "$(dirname "$0")/slib.sh" || exit 1
need_smtpd
need_prog postfix postfix
need_prog postqueue postfix
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private Postfix)"; exit 77; }
id nobody > /dev/null 2>&1 || { echo "SKIP: no user nobody"; exit 77; }

# Postfix's processes (user postfix) and spawn's (nobody) walk into $T
chmod 755 "$T"
PFC=$T/pf/etc
PFQ=$T/pf/spool
PFD=$T/pf/data
PFLOG=$T/pf/maillog

sink_start main
SMTP_PORT=$(free_port)
SPAWN_PORT=$(free_port)
PF_L=$(free_port)
PF_S=$(free_port)
PF_P=$(free_port)
REINJ=$(free_port)

# pf_conf - main.cf and master.cf of the private Postfix
pf_conf() {
	mkdir -p "$PFC" "$PFQ" "$PFD"
	chown postfix "$PFD"
	cat > "$PFC/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $PFQ
	data_directory = $PFD
	mail_owner = postfix
	setgid_group = postdrop
	maillog_file = $PFLOG
	maillog_file_prefixes = $T
	myhostname = mx.vigil.test
	mydomain = vigil.test
	myorigin = vigil.test
	mydestination =
	relay_domains =
	inet_interfaces = loopback-only
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	smtpd_relay_restrictions = permit_mynetworks, reject
	alias_maps =
	alias_database =
	local_recipient_maps =
	biff = no
	default_transport = smtp:[127.0.0.1]:$SINK_PORT
	relay_transport = smtp:[127.0.0.1]:$SINK_PORT
	transport_maps = inline:{ dsn.example.org=nodsn:[127.0.0.1]:$SINK_PORT }
	smtp_host_lookup = native
	lmtp_host_lookup = native
	disable_dns_lookups = yes
	smtp_dns_support_level = disabled
	smtp_tls_security_level = none
	smtpd_tls_security_level = none
	lmtp_tls_security_level = none
	queue_run_delay = 2s
	minimal_backoff_time = 2s
	maximal_backoff_time = 4s
	smtp_connect_timeout = 5s
	lmtp_connect_timeout = 5s
	message_size_limit = 0
	# the mail guide 4.4.3: main.cf
	content_filter = lmtp:127.0.0.1:$SMTP_PORT
	EOF
	cat > "$PFC/master.cf" <<-EOF
	127.0.0.1:$PF_L inet n - n - - smtpd
	127.0.0.1:$PF_S inet n - n - - smtpd
	  -o content_filter=smtp:127.0.0.1:$SMTP_PORT
	127.0.0.1:$PF_P inet n - n - - smtpd
	  -o content_filter=lmtp:127.0.0.1:$SPAWN_PORT
	# the mail guide 4.4.3: master.cf
	127.0.0.1:$SPAWN_PORT inet n n n - 10 spawn
	  user=nobody argv=$SMTPD -s -c $T/spawn.conf
	127.0.0.1:$REINJ inet n - n - 10 smtpd
	  -o content_filter= -o myhostname=localhost
	pickup    unix  n - n 60 1 pickup
	cleanup   unix  n - n - 0 cleanup
	qmgr      unix  n - n 300 1 qmgr
	rewrite   unix  - - n - - trivial-rewrite
	bounce    unix  - - n - 0 bounce
	defer     unix  - - n - 0 bounce
	trace     unix  - - n - 0 bounce
	verify    unix  - - n - 1 verify
	flush     unix  n - n 1000? 0 flush
	proxymap  unix  - - n - - proxymap
	smtp      unix  - - n - - smtp
	relay     unix  - - n - - smtp
	nodsn     unix  - - n - - smtp
	  -o smtp_discard_ehlo_keywords=dsn
	showq     unix  n - n - - showq
	error     unix  - - n - - error
	retry     unix  - - n - - error
	discard   unix  - - n - - discard
	lmtp      unix  - - n - - lmtp
	anvil     unix  - - n - 1 anvil
	scache    unix  - - n - 1 scache
	postlog   unix-dgram n - n - 1 postlogd
	EOF
}
# pf_master - the pid of the private Postfix's master, or nothing
pf_master() {
	local p
	p=$(head -1 "$PFQ/pid/master.pid" 2> /dev/null | tr -d ' ')
	[ -n "$p" ] && kill -0 "$p" 2> /dev/null && echo "$p"
}
# pf_start - start the private Postfix, until all its smtpd ports accept
pf_start() {
	local p
	postfix -c "$PFC" start > "$T/pf/start.out" 2>&1
	on_exit pf_stop
	for p in $PF_L $PF_S $PF_P $REINJ; do
		wait_for 150 greets "$p" && continue
		echo "FAIL: the private Postfix does not listen on $p"
		cat "$T/pf/start.out"
		tail -20 "$PFLOG"
		exit 1
	done
}
# pf_stop - stop the private Postfix (SIGKILL after 10 s)
pf_stop() {
	local m
	m=$(pf_master)
	[ -n "$m" ] || return 0
	postfix -c "$PFC" stop > /dev/null 2>&1
	wait_for 100 eval '[ -z "$(pf_master)" ]' && return 0
	pkill -KILL -P "$m"
	kill -KILL "$m" 2> /dev/null
}
# pf_q - the private Postfix's queue listing
pf_q() { timeout 20 postqueue -c "$PFC" -p 2>&1; }
# pf_qn - the number of messages in the private Postfix's queue
pf_qn() { pf_q | grep -cE '^[0-9A-F]{6,}[*!]? '; }
# pf_empty - true when the private Postfix's queue is empty
pf_empty() { pf_q | grep -q '^Mail queue is empty'; }
# pf_flush - postqueue -f: retry the deferred mail now
pf_flush() { timeout 20 postqueue -c "$PFC" -f > /dev/null 2>&1; }
# pf_wait_empty TENTHS - wait (bounded) until the queue is empty
pf_wait_empty() { wait_for "$1" pf_empty; }
# logmark - the number of lines in Postfix's log now
logmark() { wc -l < "$PFLOG" 2> /dev/null || echo 0; }
# logsince MARK ERE - true when a line after MARK in Postfix's log matches
logsince() { tail -n +"$(($1 + 1))" "$PFLOG" | grep -qE -- "$2"; }
# pfshow - the queue and the log tail (after failures)
pfshow() {
	pf_q | head -20 | sed 's/^/    | q: /'
	tail -25 "$PFLOG" | sed 's/^/    | log: /'
}

# subjects PREFIX - "TOTAL DISTINCT": the sink's transactions whose
# Subject starts with PREFIX, and how many different Subjects they have
subjects() {
	python3 - "$SINK_DIR" "$1" <<-'EOF'
	import os, re, sys
	d, pre = sys.argv[1], sys.argv[2]
	subj = []
	for f in os.listdir(d):
	    if not f.endswith(".json"):
	        continue
	    e = open(os.path.join(d, f[:-5] + ".eml"), "rb").read()
	    h = e.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
	    m = re.search(rb"(?mi)^Subject:[ \t]*(.*?)\r?$", h)
	    if m and m.group(1).decode("latin-1").startswith(pre):
	        subj.append(m.group(1))
	print(len(subj), len(set(subj)))
	EOF
}
# wait_subjects PREFIX N TENTHS - wait (bounded) until the sink holds N
# messages with Subject PREFIX* (the eval'd test sees wait_for's
# positional parameters, hence the globals)
wait_subjects() {
	W_PRE=$1 W_N=$2
	wait_for "$3" has_subjects
}
# has_subjects - true when the sink holds W_N messages with Subject W_PRE*
has_subjects() { [ "$(subjects "$W_PRE" | cut -d" " -f1)" -ge "$W_N" ]; }
# blast PORT PREFIX N - N messages into Postfix on PORT over one
# connection, Subject "PREFIX-i", Message-ID <PREFIX-i@example.com>
blast() {
	timeout 120 python3 - "$@" <<-'EOF'
	import smtplib, sys
	port, pre, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
	s = smtplib.SMTP("127.0.0.1", port, timeout=30)
	s.ehlo("client.test")
	for i in range(n):
	    m = ("From: sender@example.com\r\nTo: rcpt@example.org\r\n"
	         "Subject: %s-%d\r\nMessage-ID: <%s-%d@example.com>\r\n\r\n"
	         "message %d of %d\r\n" % (pre, i, pre, i, i, n))
	    s.sendmail("sender@example.com", ["rcpt@example.org"], m)
	s.quit()
	EOF
}
# pfsend PORT FILE [SMTPC-ARG...] - FILE into Postfix on PORT with
# smtpc.py (the bytes as they are: swaks adds a line), sender
# sender@example.com, recipient rcpt@example.org; sets TX and rc
pfsend() {
	n_tx=$((n_tx + 1))
	TX=$T/tx.$n_tx
	timeout 90 python3 "$SDIR/smtpc.py" send --port "$1" \
		--from sender@example.com --to rcpt@example.org --data "$2" \
		"${@:3}" > "$TX" 2>&1
	rc=$?
}
# one_with SUBJECT - the sink's only transaction with SUBJECT (false when
# there is none or more than one); sets N
one_with() {
	N=$(sfind "hdr('Subject') == '$1'")
	[ -n "$N" ] && [ "$N" = "${N%% *}" ]
}
# arrives SUBJECT - wait (bounded, 30 s) for SUBJECT at the sink
arrives() { W_SUBJ=$1; wait_for 300 arrived; }
# arrived - true when the sink holds a message with Subject W_SUBJ
arrived() { sfind "hdr('Subject') == '$W_SUBJ'" > /dev/null; }

# clean_and_eicar TAG PORT - a clean message and one with an EICAR
# attachment into Postfix on PORT: clean arrives CLEAN, byte-for-byte
# the body; EICAR arrives CURED, without EICAR
clean_and_eicar() {
	local tag=$1 port=$2
	mk_plain "$T/clean.$tag" "pf $tag clean"
	pfsend "$port" "$T/clean.$tag"
	check "$tag: Postfix accepts the clean message" [ $rc -eq 0 ]
	if arrives "pf $tag clean" && one_with "pf $tag clean"; then
		ok "$tag: the clean message reaches the sink once"
		check "$tag: X-Vigil-Status: CLEAN" \
			[ "$(sget "$N" "hdr('X-Vigil-Status')")" = CLEAN ]
		check "$tag: the body is unchanged" \
			[ "$(sget "$N" b)" = "$(sed -n '/^\r$/,$p' "$T/clean.$tag" | tail -n +2)" ]
		check "$tag: it went through the re-injection smtpd" \
			grep -q "by localhost (Postfix)" "$(seml "$N")"
	else
		fail "$tag: the clean message reaches the sink once"
		pfshow; sshow; diag
	fi
	eicar "$T/eicar.com"
	mk_attach "$T/eicar.$tag" "pf $tag eicar" eicar.com "$T/eicar.com"
	pfsend "$port" "$T/eicar.$tag"
	check "$tag: Postfix accepts the EICAR message" [ $rc -eq 0 ]
	if arrives "pf $tag eicar" && one_with "pf $tag eicar"; then
		ok "$tag: the EICAR message reaches the sink once"
		check "$tag: X-Vigil-Status: CURED" \
			[ "$(sget "$N" "hdr('X-Vigil-Status')")" = CURED ]
		check "$tag: X-Vigil-Threats names EICAR" \
			grep -qi "^X-Vigil-Threats:.*eicar" "$(seml "$N")"
		check "$tag: the EICAR string is gone" \
			eval '! grep -q EICAR-STANDARD "$(seml "$N")"'
		check "$tag: the text part is kept" \
			grep -q "See the attachment." "$(seml "$N")"
	else
		fail "$tag: the EICAR message reaches the sink once"
		pfshow; sshow; diag
	fi
}

pf_conf
PROTO=lmtp FWD=smtp:127.0.0.1:$REINJ smtpd_conf
vigild_start
smtpd_start
pf_start

# --- content_filter = lmtp: (main.cf), Protocol=lmtp -----------------------
clean_and_eicar lmtp "$PF_L"

# DSN: NOTIFY=SUCCESS travels through vigil-smtpd; the final hop does not
# speak DSN, so Postfix reports "relayed" to the sender, null sender
mk_plain "$T/dsn" "pf dsn"
n_tx=$((n_tx + 1))
TX=$T/tx.$n_tx
timeout 90 python3 "$SDIR/smtpc.py" send --port "$PF_L" \
	--from sender@example.com --mail-params "RET=HDRS ENVID=vigil-envid-42" \
	--to "rcpt@dsn.example.org NOTIFY=SUCCESS ORCPT=rfc822;rcpt@dsn.example.org" \
	--data "$T/dsn" > "$TX" 2>&1
check "dsn: Postfix accepts NOTIFY/RET/ENVID" grep -q '^RESULT 250 ' "$TX"
if arrives "pf dsn" && one_with "pf dsn"; then
	ok "dsn: the message reaches the sink once"
	check "dsn: X-Vigil-Status: CLEAN" \
		[ "$(sget "$N" "hdr('X-Vigil-Status')")" = CLEAN ]
else
	fail "dsn: the message reaches the sink once"
	pfshow; sshow; diag
fi
DSNQ='j["mail_from"] == "" and "sender@example.com" in rc and "multipart/report" in (hdr("Content-Type") or "")'
if wait_for 300 eval 'sfind "$DSNQ" > /dev/null'; then
	N=$(sfind "$DSNQ" | cut -d' ' -f1)
	E=$(seml "$N")
	ok "dsn: the sender gets a delivery status notification"
	check "dsn: report-type=delivery-status" grep -qi 'report-type=delivery-status' "$E"
	check "dsn: Action: relayed" grep -qi '^Action: relayed' "$E"
	check "dsn: Original-Envelope-Id: vigil-envid-42" \
		grep -qi '^Original-Envelope-Id: vigil-envid-42' "$E"
	check "dsn: Original-Recipient: rfc822;rcpt@dsn.example.org" \
		grep -qi '^Original-Recipient: rfc822; *rcpt@dsn.example.org' "$E"
	check "dsn: RET=HDRS: the original headers, not the body" \
		eval 'grep -q "^Subject: pf dsn" "$E" && ! grep -q "two dots" "$E"'
else
	fail "dsn: the sender gets a delivery status notification"
	echo "    | (vigil-smtpd must pass NOTIFY/ORCPT/RET/ENVID to the re-injection smtpd)"
	grep -E 'MAIL FROM|RCPT TO' "$T/pf/maillog" | tail -3
	pfshow; sshow
fi
pf_wait_empty 100 || { fail "the queue drains after the first checks"; pfshow; }

# fault (a): vigild down while 100 messages come in: vigil-smtpd answers
# 4xx, Postfix keeps them; vigild back + postqueue -f: each arrives once
vigild_stop
L=$(logmark)
blast "$PF_L" pf-a 100
check "(a) Postfix accepts 100 messages while vigild is down" [ $? -eq 0 ]
sleep 3
read -r tot _ <<<"$(subjects pf-a)"
check "(a) none is delivered without a scan" [ "$tot" -eq 0 ]
check "(a) Postfix keeps them queued" [ "$(pf_qn)" -ge 90 ]
tail -n +"$((L + 1))" "$PFLOG" | grep -m1 'status=deferred' | sed 's/^/    | /'
vigild_start
pf_flush
wait_subjects pf-a 100 1200
read -r tot dist <<<"$(subjects pf-a)"
check "(a) all 100 delivered after vigild is back (got $dist)" [ "$dist" -eq 100 ]
check "(a) each exactly once (got $tot copies)" [ "$tot" -eq 100 ]
pf_wait_empty 100 || { fail "(a) the queue drains"; pfshow; }

# --- content_filter = smtp:, Protocol=smtp ------------------------------
smtpd_stop
PROTO=smtp FWD=smtp:127.0.0.1:$REINJ smtpd_conf
smtpd_start
clean_and_eicar smtp "$PF_S"

# --- faults at the downstream: ForwardMailer straight to the sink ---------
smtpd_stop
PROTO=smtp FWD=smtp:127.0.0.1:$SINK_PORT smtpd_conf
smtpd_start

# fault (b): the downstream answers 451: vigil-smtpd passes the 4xx up,
# Postfix keeps the message deferred; the sink accepts again: one copy
sink_ctl "data .* 451 4.3.0 sink says try later"
L=$(logmark)
mk_plain "$T/b" "pf fault b"
pfsend "$PF_S" "$T/b"
check "(b) Postfix accepts the message" [ $rc -eq 0 ]
if wait_for 300 logsince "$L" "status=deferred.*451 4.3.0 sink says"; then
	ok "(b) Postfix defers it with the 4xx"
else
	fail "(b) Postfix defers it with the 4xx"
	pfshow; diag
fi
sleep 3
check "(b) it stays queued" [ "$(pf_qn)" -eq 1 ]
check "(b) nothing reached the sink" eval '! sfind "hdr(\"Subject\") == \"pf fault b\"" > /dev/null'
sink_ctl
pf_flush
if arrives "pf fault b"; then
	sleep 2
	check "(b) delivered exactly once after the sink accepts" one_with "pf fault b"
	check "(b) X-Vigil-Status: CLEAN" [ "$(sget "$N" "hdr('X-Vigil-Status')")" = CLEAN ]
else
	fail "(b) delivered after the sink accepts"
	pfshow; sshow; diag
fi
pf_wait_empty 100 || { fail "(b) the queue drains"; pfshow; }

# fault (c): vigil-smtpd killed (SIGKILL, the daemon and its session
# processes) while it forwards: the sink is slow and would refuse anyway,
# so no copy is committed there; Postfix defers, retries after the restart
sink_ctl "slow 8" "data .* 451 4.3.0 sink not committing"
L=$(logmark)
SL=$(wc -l < "$SINK_DIR/sink.log")
head -c 3000000 /dev/urandom > "$T/big.bin"
mk_attach "$T/c" "pf fault c" big.bin "$T/big.bin"
pfsend "$PF_S" "$T/c"
check "(c) Postfix accepts a 4 MB message" [ $rc -eq 0 ]
# the sink has the whole message and sits on its reply
# sink_has_data - true when the sink logged a whole message after line SL
sink_has_data() { tail -n +"$((SL + 1))" "$SINK_DIR/sink.log" | grep -q "DATA .[0-9]* bytes"; }
if wait_for 300 sink_has_data; then
	kids=$(pgrep -P "$SPID")
	# shellcheck disable=SC2086  # a list of pids
	kill -KILL "$SPID" $kids 2> /dev/null
	wait "$SPID" 2> /dev/null
	SPID=
	ok "(c) vigil-smtpd killed while forwarding"
else
	fail "(c) vigil-smtpd forwards to the slow sink"
	diag
fi
if wait_for 300 logsince "$L" "status=deferred" &&
	wait_for 100 eval '[ "$(pf_qn)" -eq 1 ]'; then
	ok "(c) Postfix defers the message"
else
	fail "(c) Postfix defers the message"
	pfshow
fi
tail -n +"$((L + 1))" "$PFLOG" | grep 'status=deferred' | head -2 | sed 's/^/    | /'
sink_ctl
smtpd_start
pf_flush
if arrives "pf fault c"; then
	sleep 3
	check "(c) delivered exactly once after the restart" one_with "pf fault c"
	check "(c) X-Vigil-Status: CLEAN" [ "$(sget "$N" "hdr('X-Vigil-Status')")" = CLEAN ]
	check "(c) the attachment is intact" cmp -s <(strip_x "$(seml "$N")" | sed -n '/^Content-Transfer-Encoding: base64/,$p') \
		<(sed -n '/^Content-Transfer-Encoding: base64/,$p' "$T/c")
else
	fail "(c) delivered after the restart"
	pfshow; sshow; diag
fi
pf_wait_empty 100 || { fail "(c) the queue drains"; pfshow; }

# --- the guide's spawn service: vigil-smtpd -s per connection, as nobody --
smtpd_stop
sed -e "s#^Protocol=.*#Protocol=lmtp#" \
	-e "s#^ForwardMailer=.*#ForwardMailer=smtp:127.0.0.1:$REINJ#" \
	-e "s#^ReportFileName=$T/smtpd.log#ReportFileName=$T/spawn/smtpd.log#" \
	-e "s#^SpoolDirectory=.*#SpoolDirectory=$T/spawn/spool#" \
	-e "s#^PidFile=$T/smtpd.pid#PidFile=$T/spawn/smtpd.pid#" \
	-e "s#^ControlSocket=$T/smtpd.ctl#ControlSocket=$T/spawn/smtpd.ctl#" \
	-e "s#^\[vigild\]#[vigild]\nSocketMode=0666#" "$CONF" > "$T/spawn.conf"
mkdir -p "$T/spawn/spool"
chown -R nobody "$T/spawn"
chmod 644 "$T/spawn.conf"
# vigild again, its socket open to nobody
vigild_stop
cp "$T/spawn.conf" "$CONF"
vigild_start
clean_and_eicar spawn "$PF_P"
if wait_for 50 grep -q "message-id=<pf-spawn-eicar.*status=CURED" "$T/spawn/smtpd.log"; then
	ok "spawn: vigil-smtpd -s reports the message"
	check "spawn: it ran as nobody (spawn's user=)" \
		[ "$(stat -c %U "$T/spawn/smtpd.log")" = nobody ]
else
	fail "spawn: vigil-smtpd -s reports the message"
	tail -5 "$T/spawn/smtpd.log" "$PFLOG" 2>&1 | sed 's/^/    | /'
fi

check "no message left in Postfix's queue" pf_wait_empty 100
finish
