"""The embedded store's data directory: a snapshot file and its digest log, guarded by a lock so only one process
writes them."""

from __future__ import annotations

import fcntl
import json
import os
from contextlib import suppress
from datetime import datetime
from pathlib import Path

from graph.controls import DigestRecord
from graph.errors import StoreError
from graph.snapshot import SNAPSHOT_FILE, Snapshot, fsync_directory, is_temporary, read_snapshot, write_snapshot

LOCK_FILE = "lock"
_DIGEST_LOG_PREFIX, _DIGEST_LOG_SUFFIX = "digests.", ".log"
_DIGEST_STATES = ("reserved", "sent")


class DataDirectory:
    """A data directory held by this process until :meth:`close`.

    Opening creates the directory if needed, takes an exclusive ``flock`` on its lock file (released by the kernel
    even if the process is killed) and removes temporary files left by an interrupted write.

    Digest records change one at a time and must be on disk before a reservation is acknowledged, so rather than
    rewriting the snapshot for each they are appended (and flushed) to a *digest log*, ``digests.<id>.log``. Each
    snapshot names the log that continues it; writing a snapshot (which holds every digest record) starts a new log
    id, so the previous log, whether or not it was removed yet, no longer counts.
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

    def digest_log_path(self, log_id: str) -> Path:
        return self.path / f"{_DIGEST_LOG_PREFIX}{log_id}{_DIGEST_LOG_SUFFIX}"

    def append_digest(self, log_id: str, record: DigestRecord) -> None:
        """Append one record to the digest log ``log_id`` and flush it to disk before returning."""
        path = self.digest_log_path(log_id)
        line = json.dumps([record.state, record.person, record.period, record.at.isoformat()]) + "\n"
        data = memoryview(line.encode())
        try:
            created = not path.exists()
            descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                while data:
                    data = data[os.write(descriptor, data) :]
                os.fsync(descriptor)
            finally:
                os.close(descriptor)
            if created:
                fsync_directory(self.path)
        except OSError as error:
            raise StoreError(
                f"could not record the digest of {record.person!r} for {record.period} in {path}: {error}; "
                "free disk space or fix permissions and try again"
            ) from error

    def read_digests(self, log_id: str | None) -> list[DigestRecord]:
        """The records of digest log ``log_id`` in the order written (none if it does not exist).

        A last line without its newline is a write that never completed (and so was never acknowledged): it is
        dropped, and cut from the file so later appends start on a fresh line.
        """
        if log_id is None:
            return []
        path = self.digest_log_path(log_id)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise StoreError(f"cannot read the digest log {path}: {error}; check that it is readable") from error
        complete = data.rfind(b"\n") + 1
        if complete < len(data):
            try:
                os.truncate(path, complete)
            except OSError as error:
                raise StoreError(f"cannot repair the digest log {path}: {error}; check permissions") from error
        records = []
        for number, line in enumerate(data[:complete].splitlines(), start=1):
            try:
                state, person, period, at = json.loads(line)
                if state not in _DIGEST_STATES:
                    raise ValueError(f"unknown state {state!r}")
                records.append(DigestRecord(person=person, period=period, state=state, at=datetime.fromisoformat(at)))
            except (ValueError, TypeError) as error:
                raise StoreError(
                    f"cannot load the digest log {path}: line {number} is not a digest record ({error}). Restore "
                    "the data directory from a backup"
                ) from error
        return records

    def remove_digest_logs(self, *, keep: str | None) -> None:
        """Remove every digest log but ``keep``: the others are superseded by the snapshot.

        Never raises: it runs after a snapshot was written, and a leftover log is ignored and removed on next open.
        """
        kept = None if keep is None else self.digest_log_path(keep).name
        with suppress(OSError):
            for path in self.path.iterdir():
                name = path.name
                if name.startswith(_DIGEST_LOG_PREFIX) and name.endswith(_DIGEST_LOG_SUFFIX) and name != kept:
                    with suppress(OSError):
                        path.unlink()

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
