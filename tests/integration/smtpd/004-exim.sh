#!/bin/bash
# 004-exim: vigil-smtpd behind a private Exim, as in the mail guide 4.4.4:
# an lmtp transport running the filter as a command
#     kav_lmtp_transport: driver = lmtp, command = vigil-smtpd -s -c CONF
# (Protocol=lmtp) and a router sending every address to it; vigil-smtpd
# forwards to the sink (ForwardMailer=smtp:127.0.0.1:SINK_PORT).  Checks:
# clean mail to two recipients (one LMTP reply each) arrives CLEAN and
# unchanged; an EICAR attachment arrives cured; EICAR as the whole body is
# not delivered and the administrator and the sender are notified; a
# recipient the sink refuses is bounced by Exim while the other is
# delivered; vigild down: Exim defers, and delivers once when it is back.
#
# Exim is Debian's exim4-daemon-light unpacked by scripts/deps-exim into
# /opt/vigil-exim (it conflicts with the postfix package), run as root
# with a private configuration (-C) under $T: its own spool, log and pid
# files, exim_path pointing at itself (Exim re-executes itself), a daemon
# on a free loopback port (-bdf -q1s -oX PORT).  Exim gives up root for
# a -C file that is not in TRUSTED_CONFIG_LIST when it re-executes itself
# as its own user, so the transport runs vigil-smtpd as that user
# (Debian-exim), which needs no privilege; vigild's socket is opened to it.
. "$(dirname "$0")/slib.sh" || exit 1
EXIM=${VIGIL_EXIM:-/opt/vigil-exim/usr/sbin/exim4}
EXIM_USER=Debian-exim
need_smtpd
if [ ! -x "$EXIM" ] || ! id "$EXIM_USER" > /dev/null 2>&1; then
	if [ "${CI:-}" != "true" ]; then
		echo "SKIP: no private Exim in $EXIM (run scripts/deps-exim)"
		exit 77
	fi
	echo "FAIL: no private Exim in $EXIM (scripts/deps-exim, required in CI)"
	exit 1
fi
[ "$(id -u)" = 0 ] || { echo "SKIP: needs root (a private Exim)"; exit 77; }

chmod 755 "$T"
EX=$T/exim
EXLOG=$EX/log/mainlog
sink_start main
EXIM_PORT=$(free_port)

# the filter's configuration: LMTP upstream, the sink downstream; vigild's
# socket open to the transport's user
PROTO=lmtp FWD=smtp:127.0.0.1:$SINK_PORT smtpd_conf
sed -i "s#^\[vigild\]#[vigild]\nSocketMode=0666#" "$CONF"
chmod 644 "$CONF"
: > "$REPORT"
chown "$EXIM_USER" "$REPORT" "$T/spool"

mkdir -p "$EX/spool" "$EX/log"
chown "$EXIM_USER" "$EX/spool" "$EX/log"
cat > "$EX/exim.conf" <<EOF
exim_path = $EXIM
primary_hostname = exim.vigil.test
qualify_domain = vigil.test
spool_directory = $EX/spool
log_file_path = $EX/log/%slog
pid_file_path = $EX/exim.pid
exim_user = $EXIM_USER
exim_group = $EXIM_USER
local_interfaces = 127.0.0.1
host_lookup =
rfc1413_hosts =
tls_advertise_hosts =
keep_environment =
acl_smtp_rcpt = acl_rcpt

begin acl
acl_rcpt:
  accept hosts = : 127.0.0.1
  deny

begin routers
# the mail guide 4.4.4: local and remote addresses alike go to the filter
localuser:
  driver = accept
  transport = kav_lmtp_transport

begin transports
kav_lmtp_transport:
  driver = lmtp
  command = $SMTPD -s -c $CONF
  user = $EXIM_USER
  group = $EXIM_USER
  batch_max = 10
  timeout = 60s

begin retry
* * F,10m,2s
EOF

# exim_up - true when the private Exim greets; 3 when it died
exim_up() {
	kill -0 "$XPID" 2> /dev/null || return 3
	greets "$EXIM_PORT"
}
# exim_stop - stop the private Exim daemon (its children end by themselves)
exim_stop() { stop_pid "${XPID:-}"; XPID=; }
vigild_start
"$EXIM" -C "$EX/exim.conf" -bdf -q1s -oX "$EXIM_PORT" > "$EX/stdout" 2>&1 &
XPID=$!
on_exit exim_stop
if ! wait_for 150 exim_up; then
	echo "FAIL: the private Exim does not greet on $EXIM_PORT"
	cat "$EX/stdout" "$EX/log/paniclog" 2> /dev/null | tail -10
	exit 1
fi

# exsend FILE [SMTPC-ARG...] - FILE into Exim with smtpc.py, sender
# sender@example.com, the recipients of the --to ARGs (rcpt@example.org
# when there is none); sets TX and rc
exsend() {
	local f=$1 to=()
	shift
	case " $* " in *" --to "*) ;; *) to=(--to rcpt@example.org) ;; esac
	n_tx=$((n_tx + 1))
	TX=$T/tx.$n_tx
	EXMARK=$(wc -l < "$EXLOG")
	timeout 90 python3 "$SDIR/smtpc.py" send --port "$EXIM_PORT" \
		--from sender@example.com "${to[@]}" --data "$f" "$@" > "$TX" 2>&1
	rc=$?
}
# exshow - Exim's log tail (after failures)
exshow() { grep -v 'lost privilege\|queue run' "$EXLOG" | tail -15 | sed 's/^/    | exim: /'; }
# arrives SUBJECT - wait (bounded, 30 s) for SUBJECT at the sink; sets N
# to the numbers of the transactions with it
arrives() {
	W_SUBJ=$1
	wait_for 300 arrived || return 1
	N=$(sfind "hdr('Subject') == '$1'")
}
# arrived - true when the sink holds a message with Subject W_SUBJ
arrived() { sfind "hdr('Subject') == '$W_SUBJ'" > /dev/null; }
# swhere TENTHS EXPR - wait (bounded) for a sink transaction where the
# sink.py EXPR is true
swhere() { W_Q=$2; wait_for "$1" sfound; }
# sfound - true when a sink transaction matches W_Q
sfound() { sfind "$W_Q" > /dev/null; }
# exlog ERE - wait (bounded, 10 s) for a line of Exim's log matching ERE
# after the last exsend began
exlog() { W_ERE=$1; wait_for 100 exlog_has; }
# exlog_has - true when Exim's log after line EXMARK matches W_ERE
exlog_has() { tail -n +"$((EXMARK + 1))" "$EXLOG" | grep -qE -- "$W_ERE"; }
# exdel ADDR [ERE] - wait (bounded, 10 s) for Exim's log to show ADDR
# delivered through kav_lmtp_transport ("=> local <ADDR>", or "->" for
# the further addresses of a batch), the rest of the line matching ERE
exdel() { exlog "(=>|->) ([^ ]+ )?<?$1>? R=localuser T=kav_lmtp_transport.*${2:-}"; }

# clean mail, two recipients: one LMTP reply each, one copy for both
mk_plain "$T/clean" "ex clean"
exsend "$T/clean" --to rcpt@example.org --to other@example.org
check "clean: Exim accepts it" [ $rc -eq 0 ]
if arrives "ex clean"; then
	ok "clean: it reaches the sink"
	check "clean: both recipients got it" eval \
		'[ "$(sfind "hdr(\"Subject\") == \"ex clean\" and \"rcpt@example.org\" in rc")" ] &&
		 [ "$(sfind "hdr(\"Subject\") == \"ex clean\" and \"other@example.org\" in rc")" ]'
	tot=0
	for n in $N; do tot=$((tot + $(sget "$n" 'len(rc)'))); done
	check "clean: one copy per recipient (got $tot)" [ "$tot" -eq 2 ]
	n=${N%% *}
	check "clean: X-Vigil-Status: CLEAN" [ "$(sget "$n" "hdr('X-Vigil-Status')")" = CLEAN ]
	check "clean: the body is unchanged" \
		[ "$(sget "$n" b)" = "$(sed -n '/^\r$/,$p' "$T/clean" | tail -n +2)" ]
	check "clean: the sender is kept" [ "$(sget "$n" 'j["mail_from"]')" = sender@example.com ]
else
	fail "clean: it reaches the sink"
	exshow; sshow; diag
fi
check "clean: Exim logs delivery through kav_lmtp_transport" \
	exdel rcpt@example.org 'C="250'
check "clean: and the second recipient's own LMTP reply" \
	exdel other@example.org 'C="250'

# an EICAR attachment: cured
eicar "$T/eicar.com"
mk_attach "$T/att" "ex eicar attachment" eicar.com "$T/eicar.com"
exsend "$T/att"
check "attachment: Exim accepts it" [ $rc -eq 0 ]
if arrives "ex eicar attachment"; then
	n=${N%% *}
	ok "attachment: it reaches the sink"
	check "attachment: X-Vigil-Status: CURED" [ "$(sget "$n" "hdr('X-Vigil-Status')")" = CURED ]
	check "attachment: X-Vigil-Threats names $T_EICAR" \
		grep -q "^X-Vigil-Threats:.*$T_EICAR" "$(seml "$n")"
	check "attachment: the EICAR string is gone" eval '! grep -q EICAR-STANDARD "$(seml "$n")"'
	check "attachment: the text part is kept" grep -q "See the attachment." "$(seml "$n")"
else
	fail "attachment: it reaches the sink"
	exshow; sshow; diag
fi

# EICAR as the whole message: no copy; the administrator and the sender
# are told (null sender)
mk_eicar_body "$T/body" "ex eicar body"
exsend "$T/body"
check "body: Exim accepts it" [ $rc -eq 0 ]
check "body: Exim counts it delivered (the filter took it)" \
	exdel rcpt@example.org 'C="250'
check "body: the administrator is notified" swhere 100 \
	'j["mail_from"] == "" and "admin@example.org" in rc and hdr("X-Vigil-Notification") == "admin"'
check "body: the sender is notified" swhere 100 \
	'j["mail_from"] == "" and "sender@example.com" in rc and hdr("X-Vigil-Notification") == "sender"'
check "body: no copy with EICAR reaches anyone" \
	eval '! grep -l EICAR-STANDARD "$SINK_DIR"/*.eml > /dev/null 2>&1'
# smtpd-common.md: EICAR as the whole body stays INFECTED and, with
# RecipientAction=remove, no copy is delivered; a CURED copy whose body
# is replaced by a notice keeps the recipient safe too, so both pass,
# with a note for the lead
if report_has "message-id=<ex-eicar-body@example.com>.*status=INFECTED"; then
	ok "body: the report says INFECTED"
	check "body: the recipient gets no copy" \
		eval '! sfind "hdr(\"Subject\") == \"ex eicar body\" and \"rcpt@example.org\" in rc" > /dev/null'
elif report_has "message-id=<ex-eicar-body@example.com>.*status=CURED"; then
	ok "body: the report says CURED"
	echo "note: body: EICAR as the whole body was reported CURED and a copy with a notice delivered (the contract says INFECTED, no copy)"
else
	fail "body: the report says INFECTED"
	diag
fi

# one recipient refused downstream: Exim bounces it, delivers the other
sink_ctl "rcpt ^nobody@ 550 5.1.1 no such user"
mk_plain "$T/split" "ex split"
exsend "$T/split" --to rcpt@example.org --to nobody@example.org
check "split: Exim accepts it" [ $rc -eq 0 ]
check "split: the good recipient is delivered" exdel rcpt@example.org 'C="250'
if exlog "\*\* nobody@example.org .*550"; then
	ok "split: the refused recipient fails with the sink's 550"
else
	fail "split: the refused recipient fails with the sink's 550"
	exshow; diag
fi
check "split: the sink got one copy, for the good recipient" \
	eval '[ "$(sfind "hdr(\"Subject\") == \"ex split\"")" ] &&
	      [ "$(sget "$(sfind "hdr(\"Subject\") == \"ex split\"")" rc)" = "[\"rcpt@example.org\"]" ]'
check "split: Exim bounces to the sender" swhere 200 \
	'j["mail_from"] == "" and "sender@example.com" in rc and "nobody@example.org" in e and hdr("X-Vigil-Notification") is None'
sink_ctl

# vigild down: 451 per recipient, Exim defers; vigild back: delivered once
vigild_stop
mk_plain "$T/down" "ex vigild down"
exsend "$T/down"
check "down: Exim accepts it" [ $rc -eq 0 ]
if exlog "== ([^ ]+ )?<?rcpt@example.org>? R=localuser T=kav_lmtp_transport.*451"; then
	ok "down: Exim defers it with a 451"
else
	fail "down: Exim defers it with a 451"
	exshow; diag
fi
check "down: nothing reaches the sink meanwhile" \
	eval '! sfind "hdr(\"Subject\") == \"ex vigild down\"" > /dev/null'
vigild_start
if arrives "ex vigild down"; then
	sleep 2
	N=$(sfind "hdr('Subject') == 'ex vigild down'")
	check "down: delivered exactly once when vigild is back" [ "$(wc -w <<<"$N")" -eq 1 ]
	check "down: X-Vigil-Status: CLEAN" [ "$(sget "${N%% *}" "hdr('X-Vigil-Status')")" = CLEAN ]
else
	fail "down: delivered when vigild is back"
	exshow; diag
fi

check "Exim's queue is empty" wait_for 100 eval \
	'[ -z "$("$EXIM" -C "$EX/exim.conf" -bpc 2> /dev/null | grep -v "^0$")" ]'
[ -n "${SLIB_KEEP:-}" ] && mkdir -p "$SLIB_KEEP" && cp "$EX"/log/* "$SLIB_KEEP"/ 2> /dev/null
check "no panic in Exim's log" eval '! grep -v "lost privilege" "$EX/log/paniclog" 2> /dev/null | grep -q .'
finish
