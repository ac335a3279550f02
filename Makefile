# odflash: the two commands of the README, plus install.
#   make demo   - installs build dependencies, builds, runs the demo on emulated drives
#   make test   - installs test dependencies, runs every test (in-process, then the VM suite)
SHELL := /bin/bash
CARGO ?= cargo
PREFIX ?= /usr
DESTDIR ?=

.PHONY: demo test test-unit test-vm deps lint bench build

build:
	./scripts/deps.sh build
	$(CARGO) build --release --locked

demo: build
	./scripts/demo.sh target/release/odflash

test: test-unit test-vm

test-unit:
	./scripts/deps.sh test
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --locked --all-targets -- -D warnings
	$(CARGO) test --locked

test-vm:
	./scripts/deps.sh vm
	./vm/test-vm.sh

bench:
	$(CARGO) bench --locked

# Fuzz every parser of device or file data for 30 s each (cargo-fuzz; see fuzz/README.md).
# Not part of `make test`.
.PHONY: fuzz
fuzz:
	./fuzz/fuzz.sh 30
