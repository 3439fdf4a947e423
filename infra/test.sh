#!/usr/bin/env bash
# Runs the project's full test suite against real local AWS stand-ins:
#
#   1. infra/stack/up.sh installs (first run only) and starts DynamoDB Local,
#      moto_server and toxiproxy on 127.0.0.1
#   2. go vet ./...
#   3. go test -p 1 -count=1 -timeout 8m [ARGS] on every package but infra/logscan,
#      with COBALT_TEST_REQUIRE_STANDINS=1, so a test that cannot reach its
#      stand-in fails instead of skipping, and with COBALT_TEST_LOG_DIR set to
#      a fresh $COBALT_STACK_DIR/test-logs, where tests write the log output of
#      the code they run (infra/testenv.Logger and LogWriter)
#   4. run_fuzz: every Fuzz* target in the module for a bounded time, about
#      90 s in total. A target that finds a failing input fails the phase, and
#      go test writes that input to testdata/fuzz/<FuzzName>/ in the target's
#      package. There it becomes a seed corpus entry that every later go test
#      runs, so commit it together with the fix.
#   5. logscan: go test ./infra/logscan scans the test logs for the webhook
#      secrets the tests use, the signatures of the sample events and their
#      PHI values, and fails on any of them or when no test wrote a log
#
# Extra arguments are go test flags, for example `infra/test.sh -run Store -v`.
# They apply to phase 3 only; with them, phase 5 passes when the selected
# tests wrote no log.
# Every phase runs even when an earlier one fails (except a failed start-up),
# and the exit status is non-zero when any phase failed. On exit the stand-ins
# are stopped and a timing summary is printed.
#
# Each run uses its own stack folder, .stack/test.PID unless COBALT_STACK_DIR
# is set, so it never touches a stack started by hand or by a concurrent run.
# That folder is removed after a passing run and kept, with its logs, after a
# failing one.
#
# Settings (environment): COBALT_FUZZ_BUDGET (total fuzzing seconds, default
# 90), COBALT_FUZZ_TIME (maximum seconds per target, default 10), plus those
# of infra/stack/up.sh.
set -euo pipefail

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo_root"

if [[ -z ${COBALT_STACK_DIR:-} ]]; then
	export COBALT_STACK_DIR=$repo_root/.stack/test.$$
	remove_stack_dir=1
else
	remove_stack_dir=0
fi

phase_names=()
phase_seconds=()
phase_results=()
current_phase=
current_phase_begin=0
failed=0

log() { printf 'test.sh: %s\n' "$*" >&2; }

# run_phase NAME COMMAND...: runs COMMAND, records its duration and result.
run_phase() {
	local name=$1 begin=$SECONDS result=ok
	shift
	log "== $name: $*"
	current_phase=$name
	current_phase_begin=$begin
	if ! "$@"; then
		result=FAILED
		failed=1
	fi
	current_phase=
	phase_names+=("$name")
	phase_seconds+=($((SECONDS - begin)))
	phase_results+=("$result")
	[[ $result == ok ]]
}

print_summary() {
	local i total=0
	printf '\n%-8s %8s  %s\n' phase seconds result >&2
	for i in "${!phase_names[@]}"; do
		printf '%-8s %8d  %s\n' "${phase_names[i]}" "${phase_seconds[i]}" "${phase_results[i]}" >&2
		total=$((total + phase_seconds[i]))
	done
	printf '%-8s %8d\n' total "$total" >&2
}

on_exit() {
	local status=$?
	trap - EXIT
	if [[ -n $current_phase ]]; then
		phase_names+=("$current_phase")
		phase_seconds+=($((SECONDS - current_phase_begin)))
		phase_results+=(INTERRUPTED)
		current_phase=
	fi
	run_phase down infra/stack/down.sh || status=1
	if ((failed == 1 && status == 0)); then
		status=1
	fi
	print_summary
	if ((status == 0 && remove_stack_dir == 1)); then
		rm -rf "$COBALT_STACK_DIR"
	elif ((status != 0)); then
		log "stand-in logs kept in $COBALT_STACK_DIR/logs, test logs in $COBALT_STACK_DIR/test-logs"
	fi
	exit "$status"
}

# --- fuzzing ----------------------------------------------------------------

# fuzz_target PACKAGE NAME SECONDS fuzzes one target. It fails on a finding
# (go test prints "Failing input written to" for each), on a build error, and
# on a hang past the outer timeout, which also covers building the
# instrumented test binary.
#
# The fuzz coordinator of Go 1.26.8 can report its own -fuzztime deadline as a
# failure, because stop() in internal/fuzz/fuzz.go suppresses only
# fuzzCtx.Err(), which may still be nil when the parent deadline has fired
# (reported upstream as go.dev/issue/75804). Such a run prints a bare
# "context deadline exceeded" and writes no input, so it is only a warning.
fuzz_target() {
	local import_path=$1 name=$2 seconds=$3 output rc
	output=$(mktemp)
	if timeout $((seconds + 120)) \
		go test -run '^$' -fuzz "^$name\$" -fuzztime "${seconds}s" "$import_path" 2>&1 | tee "$output"; then
		rc=0
	else
		rc=${PIPESTATUS[0]}
	fi

	if ((rc != 0)) && grep -qx '[[:space:]]*context deadline exceeded' "$output" &&
		! grep -q 'Failing input written to' "$output"; then
		log "warning: fuzz $import_path $name hit the Go fuzz coordinator deadline race. No failing input was found."
		rc=0
	fi
	rm -f "$output"
	if ((rc != 0)); then
		log "fuzz $import_path $name failed (exit status $rc)"
		return 1
	fi
}

# run_fuzz runs every Fuzz* target in the module for a bounded time. Targets
# are found with `go test -list` in each package whose test files declare one.
# Each target gets min(COBALT_FUZZ_TIME, remaining budget / remaining targets)
# seconds, and build time counts against the budget. Every target runs for at
# least 2 s, even once the budget is used up, so that no target is left out.
# The overrun is logged.
run_fuzz() {
	local budget=${COBALT_FUZZ_BUDGET:-90} max_per_target=${COBALT_FUZZ_TIME:-10}
	local deadline=$((SECONDS + budget)) status=0
	local -a targets=() short=()
	local import_path dir name listed

	while read -r import_path dir; do
		grep -qs '^func Fuzz' "$dir"/*_test.go || continue
		if ! listed=$(go test -list '^Fuzz' "$import_path"); then
			log "listing fuzz targets in $import_path failed"
			status=1
			continue
		fi
		for name in $(grep '^Fuzz' <<<"$listed" || true); do
			targets+=("$import_path $name")
		done
	done < <(go list -e -f '{{.ImportPath}} {{.Dir}}' ./...)

	if ((${#targets[@]} == 0)); then
		log "no fuzz targets found"
		return "$status"
	fi

	local i remaining per_target
	for i in "${!targets[@]}"; do
		read -r import_path name <<<"${targets[i]}"
		remaining=$((deadline - SECONDS))
		per_target=$((remaining / (${#targets[@]} - i)))
		((per_target <= max_per_target)) || per_target=$max_per_target
		if ((per_target < 2)); then
			per_target=2
			short+=("$import_path.$name")
		fi
		log "fuzz $import_path $name for ${per_target}s"
		fuzz_target "$import_path" "$name" "$per_target" || status=1
	done

	if ((${#short[@]} > 0)); then
		log "fuzz budget of ${budget}s used up; ran for 2 s each: ${short[*]}"
	fi
	return "$status"
}

# --- log scan ---------------------------------------------------------------

# logscan_package is the package whose tests scan the test logs. It runs
# after every other test, since it reads what they wrote.
logscan_package=./infra/logscan

# run_tests [ARGS] runs go test with ARGS on every package in the module but
# logscan_package.
run_tests() {
	local skip
	local -a packages
	skip=$(go list "$logscan_package")
	mapfile -t packages < <(go list -e ./... | grep -vx "$skip")
	# One package at a time: the fault, RIE and hostile packages each load
	# both cores, and run side by side they push answers past their budgets.
	go test -p 1 -count=1 -timeout 8m "$@" "${packages[@]}"
}

# run_logscan [ARGS] scans the test log folder. With extra go test arguments
# ARGS, the selected tests may have written no log at all, so an empty folder
# then passes.
run_logscan() {
	if (($# > 0)) && [[ -z $(find "$COBALT_TEST_LOG_DIR" -type f -size +0 -print -quit) ]]; then
		log "log scan skipped: the selected tests wrote no log"
		return 0
	fi
	go test -count=1 "$logscan_package"
}

# --- main -------------------------------------------------------------------

trap on_exit EXIT
# Exiting on a signal runs the EXIT trap, which stops the stand-ins.
trap 'exit 130' INT
trap 'exit 143' TERM

if ! run_phase up infra/stack/up.sh; then
	log "stand-ins failed to start; not running tests"
	exit 1
fi

# shellcheck source=/dev/null
. "$COBALT_STACK_DIR/env"
export COBALT_TEST_REQUIRE_STANDINS=1
export COBALT_TEST_LOG_DIR=$COBALT_STACK_DIR/test-logs
rm -rf "$COBALT_TEST_LOG_DIR"
mkdir -p "$COBALT_TEST_LOG_DIR"

run_phase vet go vet ./... || true
run_phase test run_tests "$@" || true
run_phase fuzz run_fuzz || true
run_phase logscan run_logscan "$@" || true
