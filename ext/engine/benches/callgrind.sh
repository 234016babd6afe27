#!/usr/bin/env bash
# Instructions per message (or per round trip), zmq-rs vs libzmq, counted by valgrind's
# callgrind: deterministic, unlike wall-clock time on a shared 2-core machine, though
# blind to syscalls, wake-ups and cache misses. Each case runs at two message counts and
# the difference is divided by the difference in messages, so start-up cost cancels out.
#
#   ext/engine/benches/callgrind.sh                  # every case
#   ext/engine/benches/callgrind.sh thr/tcp/8 lat/inproc
#   BENCH_STATIC=1 ext/engine/benches/callgrind.sh   # zmq-rs without payload malloc/copy
#   KEEP=dir ext/engine/benches/callgrind.sh thr/inproc/8   # keep profiles for
#                                                    # callgrind_annotate
set -euo pipefail
cd "$(dirname "$0")/../../.."
command -v valgrind >/dev/null || { echo "callgrind.sh: needs valgrind" >&2; exit 1; }

cargo bench -q -p zmq-engine --bench throughput --no-run 2>/dev/null
bin=$(cargo bench -q -p zmq-engine --bench throughput --no-run --message-format=json 2>/dev/null |
  sed -n 's/.*"executable":"\([^"]*throughput[^"]*\)".*/\1/p' | tail -1)
[ -x "$bin" ] || { echo "callgrind.sh: bench binary not found" >&2; exit 1; }

cases=("$@")
if [ ${#cases[@]} -eq 0 ]; then
  for t in tcp ipc inproc; do for s in 8 128 1024 65536; do cases+=("thr/$t/$s"); done; done
  cases+=(lat/tcp lat/ipc lat/inproc)
fi

# Message counts in a full run (keep in step with throughput.rs).
full_count() {
  case $1 in
    thr/*/8) echo 2000000 ;; thr/*/128) echo 1000000 ;; thr/*/1024) echo 500000 ;;
    thr/*/65536) echo 20000 ;; lat/inproc) echo 100000 ;; lat/*) echo 20000 ;;
    *) echo "callgrind.sh: unknown case $1" >&2; exit 1 ;;
  esac
}

# Ir of one run: library, case, scale.
ir() {
  local out=/dev/null
  if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP"; out="$KEEP/$1.${2//\//_}.$3.out"; fi
  BENCH_ONLY=$1 BENCH_QUICK=1 BENCH_REPS=1 BENCH_SCALE=$3 \
    valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" "$2" 2>&1 |
    awk '/refs:/ { gsub(",", "", $NF); print $NF }'
}

printf '%-18s %12s %12s %7s\n' case zmq-rs libzmq ratio
for c in "${cases[@]}"; do
  full=$(full_count "$c")
  # BENCH_QUICK scales by 0.02; latency runs add a 10% warm-up.
  warm=1; [[ $c == lat/* ]] && warm=1.1
  n2=$(awk -v f="$full" -v w="$warm" 'BEGIN { print int(int(f * 0.02 * 2) * w) }')
  n4=$(awk -v f="$full" -v w="$warm" 'BEGIN { print int(int(f * 0.02 * 4) * w) }')
  per=()
  for lib in zmq-rs libzmq; do
    a=$(ir "$lib" "$c" 2); b=$(ir "$lib" "$c" 4)
    per+=("$(awk -v a="$a" -v b="$b" -v n2="$n2" -v n4="$n4" 'BEGIN { printf "%d", (b - a) / (n4 - n2) }')")
  done
  printf '%-18s %12s %12s %7s\n' "$c" "${per[0]}" "${per[1]}" \
    "$(awk -v x="${per[0]}" -v y="${per[1]}" 'BEGIN { printf "%.2f", x / y }')"
done
