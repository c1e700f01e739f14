#!/usr/bin/env bash
# Print a Python 3.12+ interpreter that really runs (a pyenv shim for a version that is
# installed but not selected exists on PATH and fails), else the project's Python.
for v in 3.13 3.12; do
  if p=$(command -v "python$v") && "$p" -c '' 2>/dev/null; then echo "$p"; exit 0; fi
  if command -v pyenv >/dev/null; then
    for installed in $(pyenv versions --bare 2>/dev/null | grep "^$v" | sort -V -r); do
      candidate="$(pyenv root)/versions/$installed/bin/python$v"
      if [ -x "$candidate" ] && "$candidate" -c '' 2>/dev/null; then echo "$candidate"; exit 0; fi
    done
  fi
done
command -v python3.11 || command -v python3
