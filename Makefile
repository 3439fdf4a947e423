# sam build calls build-<LogicalId> for each function whose Metadata says
# BuildMethod: makefile, with ARTIFACTS_DIR set to that function's output
# folder; the Lambda runtime provided.al2023 runs the file named bootstrap.

GO_LAMBDA_BUILD = GOOS=linux GOARCH=arm64 CGO_ENABLED=0 \
	go build -tags lambda.norpc -trimpath -ldflags "-s -w"

.PHONY: build-IngestFunction build-SweepFunction check-artifacts-dir build test run

build-IngestFunction: check-artifacts-dir
	$(GO_LAMBDA_BUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/ingest

build-SweepFunction: check-artifacts-dir
	$(GO_LAMBDA_BUILD) -o "$(ARTIFACTS_DIR)/bootstrap" ./functions/sweep

# Refuses to build without ARTIFACTS_DIR, which would write /bootstrap.
check-artifacts-dir:
	@test -n "$(ARTIFACTS_DIR)" || { echo "ARTIFACTS_DIR is not set: run sam build, or make build" >&2; exit 1; }

# Builds both Lambda binaries into bin/<function>/bootstrap without SAM.
build:
	$(MAKE) build-IngestFunction ARTIFACTS_DIR="$(CURDIR)/bin/ingest"
	$(MAKE) build-SweepFunction ARTIFACTS_DIR="$(CURDIR)/bin/sweep"

test:
	infra/test.sh

# Serves the ingest handler on 127.0.0.1:8080 with embedded storage.
run:
	go run ./functions/ingest
