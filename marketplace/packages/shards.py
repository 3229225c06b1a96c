"""WebDataset shards: plain POSIX (ustar) tar files whose members are grouped into samples by key
(`<key>.<ext>` for the image, `<key>.json` for its record). Written to a temporary file one
sample at a time, so memory does not grow with the shard or the dataset.

Each sample's tar bytes are assembled on the caller's thread and handed to a writer thread that
hashes and writes them (both release the GIL), so the shard's SHA-256 costs no second read and
overlaps the marking of the next samples. At most QUEUE_DEPTH samples wait in between."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import queue
import tarfile
import tempfile
import threading
from dataclasses import dataclass

# Members get a fixed mtime and owner, so the same items make byte-identical shards.
MTIME = 1_700_000_000
QUEUE_DEPTH = 8


@dataclass(frozen=True)
class WrittenSample:
    key: str
    member: str
    sha256: str
    size: int


def _member(name: str, data: bytes) -> list[bytes]:
    """A tar member as TarFile.addfile writes it: header, data, padding to the block."""
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), MTIME, 0o644
    info.uname = info.gname = "assent"
    header = info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")
    return [header, data, tarfile.NUL * (-len(data) % tarfile.BLOCKSIZE)]


class ShardWriter:
    """`directory`: where the temporary shard lives; on the storage's own filesystem the
    finished file is moved into place rather than copied."""

    def __init__(self, directory: str | None = None) -> None:
        self.file = tempfile.NamedTemporaryFile(dir=directory, suffix=".tar", delete=False)  # noqa: SIM115
        self.digest = hashlib.sha256()
        self.bytes_written = 0
        self.count = 0
        self._pending: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="shard-writer", daemon=True)
        self._thread.start()

    def _drain(self) -> None:
        while (block := self._pending.get()) is not None:
            if self._error is None:
                try:
                    self.digest.update(block)
                    self.file.write(block)
                except BaseException as exc:  # raised to the caller by finish()/close()
                    self._error = exc

    def _put(self, block: bytes) -> None:
        if self._error is not None:
            raise self._error
        self._pending.put(block)
        self.bytes_written += len(block)

    def add_sample(
        self, *, key: str, extension: str, data: bytes, sha256: str, record: dict
    ) -> WrittenSample:
        member = f"{key}.{extension}"
        record_bytes = json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
        self._put(b"".join([*_member(member, data), *_member(f"{key}.json", record_bytes)]))
        self.count += 1
        return WrittenSample(key, member, sha256, len(data))

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._pending.put(None)
            self._thread.join()

    def finish(self) -> tuple[object, int, str]:
        """End the archive (two zero blocks, padded to a whole record, as tarfile does) and
        wait for the writer; returns (file, size, sha256)."""
        end = tarfile.NUL * (2 * tarfile.BLOCKSIZE)
        end += tarfile.NUL * (-(self.bytes_written + len(end)) % tarfile.RECORDSIZE)
        self._put(end)
        self._stop()
        if self._error is not None:
            raise self._error
        self.file.flush()
        return self.file, self.bytes_written, self.digest.hexdigest()

    def close(self) -> None:
        """Stop the writer, close and remove the temporary file (unless storage moved it)."""
        self._stop()
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file.name)
