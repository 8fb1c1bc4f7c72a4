# lib.sh - shared by the benchmarks' run.sh scripts (sourced)

# stop PID - SIGTERM, SIGKILL after 10 s; reaps the process
stop() {
	[ -n "$1" ] || return 0
	kill -TERM "$1" 2> /dev/null
	for _ in $(seq 100); do
		kill -0 "$1" 2> /dev/null || break
		sleep 0.1
	done
	kill -KILL "$1" 2> /dev/null
	wait "$1" 2> /dev/null
}

# gen_cached WORK GEN MB SCALE SEED - the generated corpus and database,
# made once per generator version and kept in WORK: sets CORPUS, DB and
# GENSUM (the generator's hash, the cache key).  Needs die().
gen_cached() {
	GENSUM=$(sha256sum < "$2" | cut -c1-16)
	CORPUS=$1/corpus-$3mb-s$5
	DB=$1/db-$4-$3mb-s$5
	if [ "$(cat "$CORPUS/.stamp" 2> /dev/null)" != "$GENSUM" ]; then
		echo "== generating a $3 MB corpus in $CORPUS"
		rm -rf "$CORPUS"
		timeout 900 python3 "$2" corpus --out "$CORPUS" --size-mb "$3" \
			--seed "$5" -q || die "gen.py corpus failed"
		echo "$GENSUM" > "$CORPUS/.stamp"
		rm -rf "$DB"
	fi
	if [ "$(cat "$DB/.stamp" 2> /dev/null)" != "$GENSUM" ]; then
		echo "== generating the $4 database in $DB"
		rm -rf "$DB"
		timeout 1800 python3 "$2" db --out "$DB" --scale "$4" \
			--corpus "$CORPUS" --seed "$5" -q || die "gen.py db failed"
		echo "$GENSUM" > "$DB/.stamp"
	fi
}

# freeport - a free loopback TCP port
freeport() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# clamd_conf SOCKET DBDIR RESDIR THREADS - the clamd.conf every benchmark
# gives clamd: foreground on a unix socket, files under RESDIR, THREADS
# scanning threads, the verdict cache off, clamd_parsers_off
clamd_conf() {
	cat <<-EOF
	LocalSocket $1
	DatabaseDirectory $2
	TemporaryDirectory $3/ctmp
	Foreground yes
	LogFile $3/clamd.log
	PidFile $3/clamd.pid
	MaxThreads $4
	MaxQueue 200
	MaxConnectionQueueLength 200
	StreamMaxLength 100M
	MaxFileSize 100M
	DisableCache yes
	SelfCheck 0
	EOF
	clamd_parsers_off
}

# clamd_parsers_off - the clamd.conf lines every benchmark gives clamd: the
# document parsers, bytecode and heuristics vigil's engine does not have
# are off, PUA signatures on, so both sides do the same work
clamd_parsers_off() {
	cat <<-EOF
	DetectPUA yes
	Bytecode no
	HeuristicAlerts no
	ScanHTML no
	ScanOLE2 no
	ScanPDF no
	ScanSWF no
	ScanXMLDOCS no
	ScanHWP3 no
	ScanOneNote no
	ScanImage no
	ScanImageFuzzyHash no
	EOF
}
