#!/usr/bin/env bash
# Builds every fuzz target and runs each for FUZZ_SECONDS (default 30) from
# its seed corpus. Fails on any crash, leak, timeout or out-of-memory; the
# crashing input is left in fuzz/artifacts/<target>/. Works from a fresh
# clone: installs cargo-fuzz if missing (the nightly toolchain comes from
# rustup). New corpus entries go to a scratch directory, not the repo.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
seconds="${FUZZ_SECONDS:-30}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

cd fuzz
targets=$(cargo +nightly fuzz list)
echo "fuzz targets: $(echo $targets)"
cargo +nightly fuzz build

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for t in $targets; do
  echo "=== fuzz $t for ${seconds}s"
  mkdir -p "$scratch/$t"
  if ! cargo +nightly fuzz run "$t" "$scratch/$t" "corpus/$t" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -max_len=65536 -print_final_stats=1 2>"$scratch/$t.log"; then
    tail -n 60 "$scratch/$t.log"
    echo "fuzz target $t FAILED (input in fuzz/artifacts/$t/)"
    status=1
  else
    grep -E '^(#[0-9]+[[:space:]]+DONE|stat::number_of_executed_units|Done )' "$scratch/$t.log" || true
  fi
done
exit $status
