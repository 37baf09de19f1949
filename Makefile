# reformer-tui: build, run and test entry points. `make run` and `make test` are all a new clone needs:
# `deps` installs the Debian packages the C targets link (ncursesw, OpenBLAS) and tmux for e2e tests.
#
#   make run ARGS="train --task copy"      release build, then run with ARGS
#   make test                              debug build with tests, swift test, release build, TEST_SCRIPTS
#   make test SWIFTFLAGS="--scratch-path .build-mine"   a private build folder

SWIFT ?= swift
SWIFTFLAGS ?=
ARGS ?=
APT_PACKAGES := libncurses-dev libopenblas-dev tmux
# End-to-end scripts run after `swift test`, each as `bash SCRIPT`, with REFORMER_TUI_BIN set to the
# release binary (numeric code is many times slower in debug builds).
TEST_SCRIPTS ?= scripts/e2e_cli.sh scripts/e2e_train.sh scripts/e2e_tmux.sh scripts/e2e_experiment.sh scripts/e2e_kill.sh scripts/e2e_watch.sh
OUT_DIR := out


.PHONY: all deps check-swift build run test test-e2e-stress release clean bench-peers hf-venv test-interop fuzz test-sanitize

all: build

deps:
	@missing=""; \
	if ! command -v dpkg >/dev/null 2>&1; then \
		echo "deps: no dpkg (not Debian/Ubuntu); make sure ncursesw, OpenBLAS and tmux are installed"; \
		exit 0; \
	fi; \
	for package in $(APT_PACKAGES); do \
		dpkg -s "$$package" >/dev/null 2>&1 || missing="$$missing $$package"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" -eq 0 ]; then \
		as_root=""; \
	elif command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then \
		as_root="sudo -n"; \
	else \
		echo "deps: missing packages:$$missing; run: sudo apt-get update && sudo apt-get install -y$$missing"; \
		exit 1; \
	fi; \
	echo "deps: installing missing packages:$$missing"; \
	$$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -q && \
	$$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing || { \
		echo "deps: apt-get failed; run: sudo apt-get update && sudo apt-get install -y$$missing"; \
		exit 1; \
	}

check-swift:
	@command -v $(SWIFT) >/dev/null 2>&1 || { \
		echo "'$(SWIFT)' is not on PATH: install Swift 6 (swift.org/install) and add its usr/bin to PATH, or run make SWIFT=/path/to/swift"; \
		exit 1; \
	}

build: deps check-swift
	$(SWIFT) build -c release $(SWIFTFLAGS)

run: build
	"$$($(SWIFT) build -c release $(SWIFTFLAGS) --show-bin-path)/reformer-tui" $(ARGS)

test: deps check-swift
	$(SWIFT) build --build-tests $(SWIFTFLAGS)
	SWIFT_BACKTRACE=interactive=no $(SWIFT) test --skip-build $(SWIFTFLAGS)
	$(SWIFT) build -c release $(SWIFTFLAGS)
	@bin="$$($(SWIFT) build -c release $(SWIFTFLAGS) --show-bin-path)/reformer-tui"; \
	for script in $(TEST_SCRIPTS); do \
		echo "== $$script"; \
		REFORMER_TUI_BIN="$$bin" SWIFT_BACKTRACE=interactive=no bash "$$script" || exit 1; \
	done

# Flake hunt (not part of `make test`): the e2e scripts RUNS times in a row beside a headless training
# job that loads the machine; prints `e2e stress: N of N runs passed`.
RUNS ?= 5
test-e2e-stress: build
	RUNS=$(RUNS) REFORMER_TUI_BIN="$$($(SWIFT) build -c release $(SWIFTFLAGS) --show-bin-path)/reformer-tui" \
		bash scripts/e2e_stress.sh $(TEST_SCRIPTS)

# Fuzzing (not part of `make test`, which replays the committed corpus Tests/Fuzz in FuzzCorpusTests):
# scripts/fuzz.sh builds the libFuzzer + AddressSanitizer harness into .build-fuzz and runs each
# parser's target FUZZ_SECONDS seconds; findings land in .build-fuzz/findings/<target>.
#   make fuzz FUZZ_SECONDS=600 FUZZ_TARGETS="torch sentencepiece"
FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?=
fuzz: deps check-swift
	FUZZ_SECONDS=$(FUZZ_SECONDS) SWIFTC="$$(dirname "$$(command -v $(SWIFT))")/swiftc" bash scripts/fuzz.sh $(FUZZ_TARGETS)

# Sanitizers (not part of `make test`): the Swift test suite under ThreadSanitizer, then under
# AddressSanitizer, each in its own build folder. scripts/tsan.supp silences OpenBLAS's own threads.
#   make test-sanitize SANITIZE_ARGS="--filter SessionTests"
SANITIZE_ARGS ?=
test-sanitize: deps check-swift
	$(SWIFT) build --build-tests --sanitize=thread --scratch-path .build-tsan
	TSAN_OPTIONS="suppressions=$(CURDIR)/scripts/tsan.supp halt_on_error=1 second_deadlock_stack=1" SWIFT_BACKTRACE=enable=no \
		$(SWIFT) test --skip-build --sanitize=thread --scratch-path .build-tsan $(SANITIZE_ARGS)
	$(SWIFT) build --build-tests --sanitize=address --scratch-path .build-asan
	ASAN_OPTIONS="detect_leaks=0" SWIFT_BACKTRACE=enable=no \
		$(SWIFT) test --skip-build --sanitize=address --scratch-path .build-asan $(SANITIZE_ARGS)

# A release binary copied to out/ (ignored by git).
release: build
	mkdir -p $(OUT_DIR)
	install -m 755 "$$($(SWIFT) build -c release $(SWIFTFLAGS) --show-bin-path)/reformer-tui" $(OUT_DIR)/reformer-tui
	@echo "release: $(OUT_DIR)/reformer-tui"

# Side by side with HuggingFace's Reformer (not part of `make test`): a Python virtual environment in
# the build folder (created once, then reused) with torch (CPU wheels from PEER_TORCH_INDEX, else
# PyPI's), transformers, safetensors and numpy; scripts/bench_peers.py then trains bench-6x256 with HF
# and with ours in alternation and prints tokens/s, peak RSS and the ratios ours/HF.
#   make bench-peers PEER_LENGTHS="1024 4096 16384" PEER_ARGS="--rounds 2 --configs lsh2"
PEER_LENGTHS ?= 1024 4096
PEER_ARGS ?=
PEER_VENV ?= .build/peers-venv
PEER_PYTHON ?= python3
PEER_TORCH_INDEX ?= https://download.pytorch.org/whl/cpu

bench-peers: build
	@bash scripts/make_venv.sh bench-peers "$(PEER_VENV)" "$(PEER_PYTHON)" "$(PEER_TORCH_INDEX)" \
		"torch, transformers, safetensors, numpy" transformers safetensors numpy
	"$(PEER_VENV)/bin/python" scripts/bench_peers.py --lengths $(PEER_LENGTHS) $(PEER_ARGS) \
		--ours "$$($(SWIFT) build -c release $(SWIFTFLAGS) --show-bin-path)/reformer-tui"

# Beyond one machine (not part of `make test`): `make hf-venv` builds the Python environment of
# scripts/train_hf.py (the HF Trainer recipe that continues our runs on N GPUs) in the build folder —
# torch (PyPI's, with CUDA on Linux; HF_TORCH_INDEX=https://download.pytorch.org/whl/cpu for a CPU-only
# machine), transformers, accelerate, tensorboard, safetensors, sentencepiece — and prints how to run it.
# `make test-interop` then checks that 1 process and 2 (torchrun and accelerate launch, CPU, gloo)
# compute the same updates, that train_hf.py's data and first loss are ours, and that reformer-tui
# opens what it writes (scripts/interop_check.py); it ends with `interop: N passed, M failed`.
#   make test-interop HF_VENV=/path/to/a/ready/venv
HF_VENV ?= .build/hf-venv
HF_PYTHON ?= python3
HF_TORCH_INDEX ?=
HF_IMPORTS := torch, transformers, accelerate, tensorboard, safetensors, sentencepiece

hf-venv:
	@bash scripts/make_venv.sh hf-venv "$(HF_VENV)" "$(HF_PYTHON)" "$(HF_TORCH_INDEX)" \
		"$(HF_IMPORTS)" transformers accelerate tensorboard safetensors sentencepiece
	@echo "hf-venv: ready. Continue a run of ours (e.g. runs/copy-seed0) with HF's Trainer:"
	@echo "  $(HF_VENV)/bin/python scripts/train_hf.py --from runs/copy-seed0 --out runs/copy-hf --max-steps 500"
	@echo "  $(HF_VENV)/bin/torchrun --nproc_per_node 4 scripts/train_hf.py --from runs/copy-seed0 --out runs/copy-hf --max-steps 500"
	@echo "  $(HF_VENV)/bin/accelerate launch --num_processes 4 scripts/train_hf.py --from runs/copy-seed0 --out runs/copy-hf --max-steps 500"
	@echo "  then: reformer-tui sample --model runs/copy-hf/checkpoint-500 --prompt-ids \"0 5 6 7\"   (checks: make test-interop)"

test-interop: build hf-venv
	"$(HF_VENV)/bin/python" scripts/interop_check.py \
		--ours "$$($(SWIFT) build -c release $(SWIFTFLAGS) --show-bin-path)/reformer-tui"

clean:
	rm -rf .build $(OUT_DIR)
