#!/usr/bin/env bash
# Measures what the receiver costs per event and writes BENCHMARKS.md:
#
#   1. infra/stack/up.sh starts DynamoDB Local, moto_server and toxiproxy on
#      127.0.0.1 in this run's own stack folder
#   2. builds the bootstrap as the Makefile does (for this machine, and for
#      linux/arm64 to report its size), the local-mode binary and the
#      benchmark commands
#   3. Go benchmarks of the handler and its parts, -count 5, the 1 KB handler
#      cases again with GOGC=200, and CPU profiles of the 1 KB handler cases
#      and of the Lambda entry point
#   4. infra/bench/load: the handler against a bare conditional PutItem loop
#      on DynamoDB Local
#   5. infra/bench/coldstart: cold start and peak RSS under aws-lambda-rie,
#      the memory run again with GOGC=200
#   6. infra/bench/localload: local mode with its embedded store
#   7. infra/bench/report renders BENCHMARKS.md at the top of the repository
#
# The stand-ins are stopped by PID on exit, whatever happened. Each phase has
# a time limit, and the whole run takes about five minutes on 2 cores.
#
# Settings (environment):
#   COBALT_STACK_DIR       stack folder (default .stack/bench.PID, removed
#                          after a successful run)
#   COBALT_BENCH_RESULTS   folder for raw results and logs (default a new
#                          temporary folder, kept after the run)
#   COBALT_BENCH_OUT       page to write (default BENCHMARKS.md)
#   COBALT_BENCH_COUNT     -count of the Go benchmarks (default 5)
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo_root"

if [[ -z ${COBALT_STACK_DIR:-} ]]; then
	export COBALT_STACK_DIR=$repo_root/.stack/bench.$$
	remove_stack_dir=1
else
	remove_stack_dir=0
fi
results=${COBALT_BENCH_RESULTS:-$(mktemp -d "${TMPDIR:-/tmp}/cobalt-bench.XXXXXX")}
out=${COBALT_BENCH_OUT:-$repo_root/BENCHMARKS.md}
count=${COBALT_BENCH_COUNT:-5}
# The GOGC value of the garbage collector experiment: the 1 KB handler cases
# and the memory run are measured again with it.
experiment_gogc=200
bin=$results/bin
started=$(date -u +%FT%TZ)
mkdir -p "$results" "$bin"
: >"$results/loadavg.txt"

log() { printf 'run.sh: %s\n' "$*" >&2; }

# phase NAME: logs the phase and records the load average as it starts.
phase() {
	log "== $1"
	printf '%s %s\n' "$1" "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$results/loadavg.txt"
}

on_exit() {
	local status=$?
	trap - EXIT
	infra/stack/down.sh || status=1
	if ((status == 0)); then
		((remove_stack_dir == 0)) || rm -rf "$COBALT_STACK_DIR"
		log "wrote $out; raw results in $results"
	else
		log "failed; raw results and logs in $results, stand-in logs in $COBALT_STACK_DIR/logs"
	fi
	exit "$status"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

phase stand-ins
infra/stack/up.sh
# shellcheck source=/dev/null
. "$COBALT_STACK_DIR/env"

phase build
lambda_flags=(-tags lambda.norpc -trimpath -ldflags "-s -w")
CGO_ENABLED=0 GOOS=linux GOARCH=$(go env GOARCH) go build "${lambda_flags[@]}" -o "$bin/bootstrap" ./functions/ingest
CGO_ENABLED=0 GOOS=linux GOARCH=arm64 go build "${lambda_flags[@]}" -o "$bin/bootstrap-arm64" ./functions/ingest
go build -o "$bin/ingest" ./functions/ingest
for cmd in load coldstart localload report; do
	go build -o "$bin/$cmd" "./infra/bench/$cmd"
done

phase go-benchmarks
timeout 600 go test -run '^$' -bench . -benchmem -count "$count" -benchtime 400ms \
	./shared/ingest ./shared/apigw ./shared/envelope ./shared/alert ./shared/signature ./shared/metrics \
	| tee "$results/gobench.txt" | grep -E '^(Benchmark|ok|FAIL)' >&2

phase gogc-experiment
GOGC=$experiment_gogc timeout 300 go test -run '^$' -bench '^BenchmarkHandle/1KB/' -benchmem -count "$count" \
	-benchtime 400ms ./shared/ingest | tee "$results/gobench-gogc.txt" | grep -E '^(Benchmark|ok|FAIL)' >&2

phase profiles
go test -c -o "$bin/ingest.test" ./shared/ingest
for case in success:new-success failure:new-failure duplicate:duplicate; do
	name=${case%%:*}
	timeout 120 "$bin/ingest.test" -test.run '^$' -test.bench "^BenchmarkHandle/1KB/${case#*:}\$" \
		-test.benchtime 5s -test.cpuprofile "$results/profile-$name.pprof" >/dev/null
	go tool pprof -top -cum -nodecount 400 "$bin/ingest.test" "$results/profile-$name.pprof" \
		>"$results/profile-$name.txt" 2>/dev/null
done
go test -c -o "$bin/apigw.test" ./shared/apigw
timeout 120 "$bin/apigw.test" -test.run '^$' -test.bench '^BenchmarkHandler$' \
	-test.benchtime 5s -test.cpuprofile "$results/profile-entry.pprof" >/dev/null
go tool pprof -top -cum -nodecount 400 "$bin/apigw.test" "$results/profile-entry.pprof" \
	>"$results/profile-entry.txt" 2>/dev/null

phase dynamodb-load
timeout 300 "$bin/load" -out "$results/load.json"

phase cold-start
timeout 180 "$bin/coldstart" -bootstrap "$bin/bootstrap" -burst-gogc "$experiment_gogc" \
	-log "$results/coldstart.log" -out "$results/coldstart.json"

phase local-mode
timeout 120 "$bin/localload" -bin "$bin/ingest" -out "$results/local.json"

phase report
"$bin/report" -results "$results" -bootstrap "$bin/bootstrap" -bootstrap-arm64 "$bin/bootstrap-arm64" \
	-gogc "$experiment_gogc" -started "$started" -out "$out"
