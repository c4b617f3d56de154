#!/usr/bin/env bash
# Sourced by the other scripts: installs a Debian package when a command it provides is
# missing (as root, from Debian's registry), else says what to install.

# ensure_command COMMAND PACKAGE: COMMAND is on PATH (or in /usr/sbin) afterwards.
ensure_command() {
  local command=$1 package=$2
  if command -v "$command" >/dev/null 2>&1 || [[ -x "/usr/sbin/$command" ]]; then
    return 0
  fi
  if [[ $(id -u) -ne 0 ]] || ! command -v apt-get >/dev/null; then
    printf '[todo-api] %s not found: install the %s package\n' "$command" "$package" >&2
    return 1
  fi
  printf "[todo-api] %s not found; installing Debian's %s package\n" "$command" "$package" >&2
  # The package lists may be missing or stale on a fresh machine.
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$package")
  "${install[@]}" >/dev/null 2>&1 || { apt-get update -qq >/dev/null && "${install[@]}" >/dev/null; }
}

# ensure_venv DIR REQUIREMENTS: a virtualenv in DIR holding exactly the pinned
# REQUIREMENTS, rebuilt (from PyPI) when the pins change.
ensure_venv() {
  local dir=$1 requirements=$2
  if cmp -s "$requirements" "$dir/requirements.txt"; then
    return 0
  fi
  printf '[todo-api] installing %s (pip, into %s)\n' "$requirements" "$dir" >&2
  rm -rf "$dir"
  python3 -m venv "$dir"
  "$dir/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" >&2
  cp "$requirements" "$dir/requirements.txt"
}
