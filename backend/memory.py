"""Fewer glibc malloc arenas for the service process.

glibc gives threads their own malloc arenas (up to 8 per core), and memory freed in one
arena is not reused by another. The service answers orders on a pool of 40 threads, so
its resident memory crept up for as long as it ran: +40 MB in a 5-minute soak at 10
orders/s with glibc's default, +15 MB with two arenas (docs/reliability.md, "Memory").
Python's own allocator serves small objects; the arenas only hold larger blocks, so two
arenas cost no measurable speed here.

`mallopt(M_ARENA_MAX, n)` applies to arenas created after the call: call it before the
request threads start (create_app does). A no-op off glibc, or with RWA_MALLOC_ARENAS=0.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_ARENA_MAX = -8  # from glibc's malloc.h
DEFAULT_ARENAS = 2


def limit_malloc_arenas() -> int | None:
    """Cap glibc's malloc arenas at RWA_MALLOC_ARENAS (default 2); returns the cap set, or
    None when nothing was changed (not glibc, 0 asked, or MALLOC_ARENA_MAX already set)."""
    if "MALLOC_ARENA_MAX" in os.environ:  # the environment's choice stands
        return None
    try:
        arenas = int(os.environ.get("RWA_MALLOC_ARENAS", DEFAULT_ARENAS))
    except ValueError:
        arenas = DEFAULT_ARENAS
    if arenas <= 0:
        return None
    name = ctypes.util.find_library("c")
    try:
        libc = ctypes.CDLL(name) if name else None
        mallopt = getattr(libc, "mallopt", None)
    except OSError:
        return None
    if mallopt is None or mallopt(M_ARENA_MAX, arenas) != 1:
        return None
    return arenas
