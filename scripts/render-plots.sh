#!/usr/bin/env bash
# Pictures of every bundled model, for looking at them: builds the release binary, samples
# each spec in models/ (its check.n rows, at most 20000), fits the sample with --plot, and
# renders every SVG to PNG with headless Chromium. Output: out/plots/<spec>/*.svg and *.png
# (gitignored). Not part of .ci/run.
#
#   scripts/render-plots.sh [SPEC.json ...]     (default: every models/*.json)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh

browser=""
for name in chromium chromium-browser google-chrome; do
  if command -v "$name" >/dev/null; then browser="$name"; break; fi
done
if [ -z "$browser" ]; then
  echo "render-plots: installing chromium (headless rendering of SVG)" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq -o DPkg::Lock::Timeout=300 chromium >/dev/null
  browser=chromium
fi

swift build -c release --product emzoo
emzoo=.build/release/emzoo
out=out/plots
mkdir -p "$out"

specs=("$@")
if [ ${#specs[@]} -eq 0 ]; then specs=(models/*.json); fi
for spec in "${specs[@]}"; do
  name=$(basename "$spec" .json)
  dir="$out/$name"
  rm -rf "$dir"
  mkdir -p "$dir"
  n=$(sed -n 's/.*"check": *{[^}]*"n": *\([0-9]*\).*/\1/p' "$spec" | head -1)
  n=${n:-10000}
  if [ "$n" -gt 20000 ]; then n=20000; fi
  "$emzoo" sample "$spec" --n "$n" --seed 7 --output "$dir/data.csv"
  "$emzoo" fit "$spec" --data "$dir/data.csv" --output "$dir/result.json" --quiet --plot "$dir"
  for svg in "$dir"/*.svg; do
    # The window is the figure's own size (at least 900 × 700), so wide pairs grids are
    # not cut off.
    size=$(head -c 400 "$svg" | sed -n 's/.*<svg[^>]* width="\([0-9.]*\)" height="\([0-9.]*\)".*/\1 \2/p')
    read -r width height <<<"${size:-900 700}"
    width=$(printf '%.0f' "$width"); height=$(printf '%.0f' "$height")
    if [ "$width" -lt 900 ]; then width=900; fi
    if [ "$height" -lt 700 ]; then height=700; fi
    "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
      --screenshot="$PWD/${svg%.svg}.png" --window-size="$width,$height" "file://$PWD/$svg" \
      >/dev/null 2>&1
    echo "$svg -> ${svg%.svg}.png"
  done
done
