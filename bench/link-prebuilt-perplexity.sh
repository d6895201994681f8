#!/usr/bin/env bash
# Links llama.cpp's llama-perplexity (objects from ../shared/tools/llama-reference/build.sh's
# work tree) against node-llama-cpp's prebuilt CPU libraries, the ones bench scores with. It tells
# apart what is bench's own cost from what is the prebuilt kernels' (the reference binaries are
# built with GGML_NATIVE=ON for the machine that built them).
#
#   bench/link-prebuilt-perplexity.sh [WORK_DIR] [OUT]
#   defaults: /tmp/llama-reference/work, /tmp/llama-reference/bin/llama-perplexity-prebuilt
# Run the result from node-llama-cpp's bins folder (ggml loads its CPU variant from the current
# folder): bench/reference.ts does.
set -euo pipefail
work="${1:-/tmp/llama-reference/work}"
out="${2:-/tmp/llama-reference/bin/llama-perplexity-prebuilt}"
root="$(cd "$(dirname "$0")/.." && pwd)"
bins="$root/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
build="$work/build"
for f in "$build/tools/perplexity/CMakeFiles/llama-perplexity.dir/main.cpp.o" \
  "$build/tools/perplexity/libllama-perplexity-impl.a" "$bins/libllama.v0.5.0.so"; do
  [ -e "$f" ] || { echo "needs $f (run ../shared/tools/llama-reference/build.sh first)" >&2; exit 2; }
done
g++ -o "$out" \
  "$build/tools/perplexity/CMakeFiles/llama-perplexity.dir/main.cpp.o" \
  "$build/tools/perplexity/libllama-perplexity-impl.a" \
  "$build/common/libllama-common.a" "$build/common/libllama-common-base.a" \
  "$build/vendor/cpp-httplib/libcpp-httplib.a" \
  -L"$bins" -l:libllama.v0.5.0.so -l:libggml.v0.5.0.so -l:libggml-base.so \
  -Wl,-rpath,"$bins" -fopenmp -lpthread -ldl
echo "$out"
