"""Content-addressed file store: a document's bytes live at <root>/<sha[:2]>/<sha[2:]>.

Why content addressing: the address *is* the integrity check, identical uploads share
one file, and a file is never rewritten in place, so a reader never sees half a write.
Writes go to a temporary file in the same directory, are fsynced, then renamed over the
final name (atomic on POSIX), so a crash leaves either the old state or the whole file.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

HEX64 = re.compile(r"^[0-9a-f]{64}$")
CHUNK = 1024 * 1024


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class ContentStore:
    def __init__(self, root: Path):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        # The digest becomes a path: refuse anything that is not one (no traversal).
        if not HEX64.match(sha256):
            raise ValueError(f"not a lowercase sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def put(self, data: bytes) -> str:
        """Store `data`; return its sha256. Idempotent: identical bytes are written once."""
        digest = sha256_hex(data)
        path = self.path_for(digest)
        if path.exists() and self._file_digest(path) == digest:
            return digest
        # Missing, or present but damaged (a tampered or truncated file): (re)write it whole.
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
        try:
            with os.fdopen(fd, "wb") as tmp:
                tmp.write(data)
                tmp.flush()
                os.fsync(tmp.fileno())
            os.replace(tmp_name, path)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        self._fsync_dir(path.parent)
        return digest

    def read(self, sha256: str) -> bytes:
        """The stored bytes, exactly as they are on disk (FileNotFoundError if gone)."""
        return self.path_for(sha256).read_bytes()

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def digest_on_disk(self, sha256: str) -> str | None:
        """The sha256 of what is on disk now under this address (None if the file is gone)."""
        path = self.path_for(sha256)
        return self._file_digest(path) if path.is_file() else None

    @staticmethod
    def _file_digest(path: Path) -> str:
        digest = hashlib.sha256()
        with path.open("rb") as f:
            while chunk := f.read(CHUNK):
                digest.update(chunk)
        return digest.hexdigest()

    @staticmethod
    def _fsync_dir(directory: Path) -> None:
        # The rename is durable only once the directory entry is on disk.
        try:
            fd = os.open(directory, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass  # some filesystems refuse fsync on a directory; the data itself is synced
        finally:
            os.close(fd)
