"""backend/memory.py: the service caps glibc's malloc arenas unless told otherwise."""

from __future__ import annotations

import platform

import pytest

from backend.memory import limit_malloc_arenas


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt(M_ARENA_MAX) is glibc's")
def test_caps_arenas_at_two_by_default(monkeypatch):
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("RWA_MALLOC_ARENAS", raising=False)
    assert limit_malloc_arenas() == 2
    monkeypatch.setenv("RWA_MALLOC_ARENAS", "4")
    assert limit_malloc_arenas() == 4


def test_leaves_the_allocator_alone_when_asked(monkeypatch):
    monkeypatch.setenv("RWA_MALLOC_ARENAS", "0")
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    assert limit_malloc_arenas() is None
    monkeypatch.delenv("RWA_MALLOC_ARENAS")
    monkeypatch.setenv("MALLOC_ARENA_MAX", "8")  # glibc read the environment's own choice
    assert limit_malloc_arenas() is None
