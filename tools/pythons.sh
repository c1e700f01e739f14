#!/usr/bin/env bash
# The Python interpreters the project supports (3.11, 3.12, 3.13: pyproject.toml's
# requires-python) that really run here. A pyenv shim for a version that is installed but not
# selected is on PATH and fails when run: it does not count.
#   tools/pythons.sh pick             the newest one (python3.13, python3.12, python3.11, then
#                                     python3 if its version fits); exit 1 when there is none
#   tools/pythons.sh others EXCLUDE   one per supported version other than EXCLUDE (e.g. 3.11),
#                                     from PATH or pyenv's installed versions
set -u
supported='import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] < (3, 14)))'
version='import sys; print("%d.%d" % sys.version_info[:2])'

runs() { "$1" -c "$supported" >/dev/null 2>&1; }

case "${1:-pick}" in
  pick)
    for name in python3.13 python3.12 python3.11 python3; do
      if path=$(command -v "$name") && runs "$path"; then echo "$path"; exit 0; fi
    done
    exit 1 ;;
  others)
    # On PATH first, then pyenv's installed versions (their shims on PATH may not run).
    exclude="${2:-}"
    pyenv_root="${PYENV_ROOT:-$HOME/.pyenv}"
    for minor in 3.13 3.12 3.11; do
      [ "$minor" = "$exclude" ] && continue
      for path in $(command -v "python$minor") $(ls -d "$pyenv_root"/versions/"$minor".*/bin/"python$minor" 2>/dev/null | sort -V -r); do
        if runs "$path" && [ "$("$path" -c "$version")" = "$minor" ]; then echo "$path"; break; fi
      done
    done ;;
  *)
    echo "usage: $0 pick | others EXCLUDE_VERSION" >&2; exit 2 ;;
esac
