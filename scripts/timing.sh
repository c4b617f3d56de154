#!/usr/bin/env bash
# Sourced by the scripts: names each phase as it starts, and prints how long every phase
# took when the script ends (or on `phase_report`), so the next slowdown shows where it is.
#
#   phase "compile"      # ends the phase before, starts this one
#   phase_report         # ends the last phase and prints them all

phase_names=()
phase_seconds=()
phase_current=
phase_started=0

phase_end() {
  if [[ -n "$phase_current" ]]; then
    phase_names+=("$phase_current")
    phase_seconds+=($((SECONDS - phase_started)))
    phase_current=
  fi
}

phase() {
  phase_end
  phase_current=$1
  phase_started=$SECONDS
  printf '[todo-api] phase: %s\n' "$1" >&2
}

phase_report() {
  phase_end
  local title=${1:-$(basename "$0")} i
  printf '[todo-api] %s took %d s:\n' "$title" "$SECONDS" >&2
  for i in "${!phase_names[@]}"; do
    printf '[todo-api]   %5d s  %s\n' "${phase_seconds[$i]}" "${phase_names[$i]}" >&2
  done
}
