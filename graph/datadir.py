"""The embedded store's data directory: one snapshot file, guarded by a lock so only one process writes it."""

from __future__ import annotations

import fcntl
import os
from contextlib import suppress
from pathlib import Path

from graph.errors import StoreError
from graph.snapshot import SNAPSHOT_FILE, Snapshot, is_temporary, read_snapshot, write_snapshot

LOCK_FILE = "lock"


class DataDirectory:
    """A data directory held by this process until :meth:`close`.

    Opening creates the directory if needed, takes an exclusive ``flock`` on its lock file (released by the kernel
    even if the process is killed) and removes temporary files left by an interrupted write.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.snapshot_path = self.path / SNAPSHOT_FILE
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            self._lock = os.open(self.path / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            raise StoreError(
                f"cannot use {self.path} as a data directory: {error}; give a writable directory"
            ) from error
        try:
            fcntl.flock(self._lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as error:
            holder = _read_holder(self._lock)
            os.close(self._lock)
            raise StoreError(
                f"the data directory {self.path} is in use by another weaktie process{holder} (it holds "
                f"{self.path / LOCK_FILE}); stop that process or use another directory"
            ) from error
        _write_holder(self._lock)
        self._remove_temporaries()

    def read(self) -> Snapshot | None:
        return read_snapshot(self.snapshot_path)

    def write(self, snapshot: Snapshot) -> None:
        try:
            write_snapshot(self.snapshot_path, snapshot)
        except (OSError, ValueError) as error:  # ValueError: a record holds a value the format cannot store
            raise StoreError(
                f"could not write the graph snapshot {self.snapshot_path}: {error}; nothing of this write was "
                "kept. Free disk space or fix permissions and write again"
            ) from error

    def close(self) -> None:
        if self._lock < 0:
            return
        with suppress(OSError):
            os.ftruncate(self._lock, 0)
        os.close(self._lock)  # closing the descriptor releases the flock
        self._lock = -1

    def _remove_temporaries(self) -> None:
        # Only a writer holding the lock creates temporaries, so any found now belong to a crashed one.
        for leftover in self.path.iterdir():
            if is_temporary(leftover):
                with suppress(OSError):
                    leftover.unlink()


def _write_holder(descriptor: int) -> None:
    with suppress(OSError):
        os.ftruncate(descriptor, 0)
        os.pwrite(descriptor, f"{os.getpid()}\n".encode(), 0)


def _read_holder(descriptor: int) -> str:
    with suppress(OSError):
        pid = os.pread(descriptor, 32, 0).decode(errors="replace").strip()
        if pid.isdigit():
            return f" (pid {pid})"
    return ""
