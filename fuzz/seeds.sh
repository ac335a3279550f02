#!/usr/bin/env bash
# Writes the seed corpora into fuzz/corpus/<target>/seed-NN with examples/seeds.rs: inputs made
# by odflash's own builders (emulated drives, Sense::to_fixed, image::synth, build_bundle) and
# the trace fixture in tests/data/. Existing corpus files are kept; seeds are rewritten.
set -euo pipefail
cd "$(dirname "$0")"
# The root target directory: the debug build of odflash and its dependencies is shared with
# the test build.
cargo run --quiet --locked --example seeds --target-dir ../target -- corpus
