#!/usr/bin/env bash
# Fuzzes gdlab's readers: builds the libFuzzer targets (release, AddressSanitizer), has each
# target write its seed corpus (valid files made by gdlab itself, plus pieces of real MNIST),
# runs each for a fixed budget, and prints executions, crashes, timeouts and OOMs per target.
#
#   Fuzz/run.sh                 all targets (idx npz png), 150,000 executions each
#   FUZZ_RUNS=1000000 Fuzz/run.sh png
#
# Corpora go to Fuzz/corpus/<target>/ (kept between runs, ignored by git); logs and any crashing
# inputs to Fuzz/out/<target>/. Exit status 1 if any target found a problem.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
runs="${FUZZ_RUNS:-150000}"
seconds="${FUZZ_SECONDS:-1800}"
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(idx npz png)
# Passed to the seed writers only: the build must see the same environment every time, or
# SwiftPM rebuilds everything (the environment is part of each compile command's signature).
mnist="${MNIST_DIR:-$here/../../shared/data/mnist}"

cd "$here"
# Dead stripping stays off: with the linker's --gc-sections the coverage counters never register.
# SwiftPM hands swiftc the two sanitizers as two flags, and swiftc (6.3) keeps only the last, so
# the Swift code would get AddressSanitizer but no coverage; the combined flag, which comes after
# SwiftPM's own, gives it both (the link and the C code take SwiftPM's flags as they are).
build=(swift build -c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address --disable-dead-strip)
"${build[@]}" >&2
bin="$("${build[@]}" --show-bin-path)"

failed=0
printf '%-6s %12s %8s %9s %6s %10s\n' target executions crashes timeouts OOMs sanitizer
for target in "${targets[@]}"; do
    corpus="$here/corpus/$target"
    seeds="$here/corpus/seeds-$target"
    out="$here/out/$target"
    rm -rf "$seeds" "$out"
    mkdir -p "$corpus" "$out"
    # Seed writing exits with the seeds still referenced: no leak check there.
    ASAN_OPTIONS=detect_leaks=0 MNIST_DIR="$mnist" GDLAB_FUZZ_SEEDS="$seeds" "$bin/fuzz-$target" >/dev/null
    if [ "$target" = idx ]; then
        # gzip versions of the plain seeds, as the reader meets them in the MNIST download.
        for file in "$seeds"/*.idx "$seeds"/*.bin; do gzip -9nc "$file" > "$file.gz"; done
    fi
    # ZIPFoundation 0.9.20 leaks ~45 bytes per archive it opens (the C path from
    # fileSystemRepresentation(withPath:) is never freed), so every .npz input would stop for a
    # full leak scan: leak detection is off for that target only; ASan still checks every access.
    leaks=1
    [ "$target" = npz ] && leaks=0
    status=0
    ASAN_OPTIONS="detect_leaks=$leaks" "$bin/fuzz-$target" "$corpus" "$seeds" -detect_leaks=$leaks \
        -runs="$runs" -max_total_time="$seconds" -rss_limit_mb=512 -malloc_limit_mb=512 -timeout=5 \
        -seed=1 -print_final_stats=1 -artifact_prefix="$out/" > "$out/log.txt" 2>&1 || status=$?
    executions=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$out/log.txt" | grep -o '[0-9]*$' || echo 0)
    crashes=$(find "$out" -name 'crash-*' -o -name 'leak-*' -o -name 'deadly-*' | wc -l)
    timeouts=$(find "$out" -name 'timeout-*' -o -name 'slow-unit-*' | wc -l)
    ooms=$(find "$out" -name 'oom-*' | wc -l)
    reports=$(grep -c 'ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:' "$out/log.txt" || true)
    printf '%-6s %12s %8s %9s %6s %10s\n' "$target" "$executions" "$crashes" "$timeouts" "$ooms" "$reports"
    if grep -q 'no interesting inputs were found' "$out/log.txt"; then
        echo "  fuzz-$target saw no coverage: the build is not instrumented; delete Fuzz/.build and run again" >&2
        failed=1
    fi
    if [ "$status" -ne 0 ] || [ "$crashes" -ne 0 ] || [ "$timeouts" -ne 0 ] || [ "$ooms" -ne 0 ] || [ "$reports" -ne 0 ]; then
        echo "  fuzz-$target stopped with status $status; see $out/log.txt" >&2
        failed=1
    fi
done
exit $failed
