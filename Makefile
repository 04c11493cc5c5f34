# convtop: `make run` trains on the default dataset in the dashboard; `make test` runs every test.
# Both first install the Debian packages the build and the tests need.

DEBIAN_PACKAGES := libncurses-dev zlib1g-dev libspng-dev libturbojpeg0-dev libopenmpi-dev openmpi-bin tmux dataset-fashion-mnist
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
SWIFT_RELEASE := swift build -c release
BIN := .build/release/convtop
ARGS ?=

.PHONY: deps build run test lint bench clean

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
		echo "installing:$$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT_RELEASE)

# The tree stays as `swift format` writes it (configuration in .swift-format).
lint:
	swift format lint --strict --recursive --parallel Sources Tests Fuzz Package.swift

run: build
	$(BIN) $(ARGS)

# `swift test` builds every product too (with testing enabled), so a separate `swift build` would
# compile everything twice.
test: deps lint
	swift test -c release
	Fuzz/run.sh 5 safetensors network cifar gzip idx tar images protocol framer

# `make bench` runs `convtop bench` in fp32 and bf16 and, when $(PYTHON) has torch, its PyTorch twin
# (default, channels-last and bf16-autocast configurations) with the same ARGS, BENCH_ROUNDS times in
# alternating order, and prints each figure's medians with the ratios against PyTorch's default and
# best (make bench PYTHON=/root/torchenv/bin/python).
PYTHON ?= python3
BENCH_ROUNDS ?= 3

bench: build
	Scripts/bench-side-by-side.sh $(BIN) $(PYTHON) $(BENCH_ROUNDS) .build/bench $(ARGS)

# Each libFuzzer target for FUZZ_SECONDS (see Fuzz/run.sh).
FUZZ_SECONDS ?= 60
.PHONY: fuzz
fuzz:
	Fuzz/run.sh $(FUZZ_SECONDS)

# The whole test suite under AddressSanitizer, then the threaded tests under ThreadSanitizer: the
# worker and its channel, the pool, the prefetcher, the socket server and its viewers, the image
# decoding threads, and the tmux attach tests, whose convtop is the instrumented build beside the
# tests. Every process writes its reports under .build-tsan/reports, so a race in a child process
# fails the target too. Leak checking is off: XCTest, Foundation's Process and exit(1) leave objects
# alive at exit.
SANITIZE_THREADED := TrainingChannelTests|TrainingSessionTests|ThreadPoolTests|PrefetchingBatchLoaderTests|RunServerTests|RunServerSessionTests|ImageFolderLoaderTests|ImageCacheTests|AttachTests
TSAN_REPORTS := $(CURDIR)/.build-tsan/reports
.PHONY: sanitize
sanitize: deps
	SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0 swift test -c release --sanitize=address --scratch-path .build-asan
	rm -rf $(TSAN_REPORTS) && mkdir -p $(TSAN_REPORTS)
	SWIFT_BACKTRACE=enable=no TSAN_OPTIONS=log_path=$(TSAN_REPORTS)/race swift test -c release --sanitize=thread --scratch-path .build-tsan --filter '$(SANITIZE_THREADED)'
	@if [ -n "$$(ls $(TSAN_REPORTS))" ]; then cat $(TSAN_REPORTS)/*; echo "ThreadSanitizer reports above"; exit 1; fi

# A detached run on ../shared/datasets/image-folders/cifar10-mini for SOAK_MINUTES while one to three
# `convtop attach` dashboards come and go under every key, resizes and SIGKILL, and one-shot commands
# steer it; reports crashes, the trainer's memory growth, key-to-acknowledgement times and whether
# every intervention is in metrics.jsonl once (docs/SOAK.md). SOAK_ARGS: e.g. --data PATH --seed N.
SOAK_MINUTES ?= 30
SOAK_ARGS ?=
.PHONY: soak
soak: build
	.build/release/soak --minutes $(SOAK_MINUTES) --convtop $(BIN) $(SOAK_ARGS)

clean:
	rm -rf .build
