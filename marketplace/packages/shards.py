"""WebDataset shards: plain POSIX (ustar) tar files whose members are grouped into samples by key
(`<key>.<ext>` for the image, `<key>.json` for its record). Written to a temporary file one
sample at a time, so memory does not grow with the shard or the dataset.

Each sample's tar pieces (headers, padding, and the image as the views the marking made of the
original, never joined into one copy) are handed to a writer thread that hashes and writes them
(both release the GIL), so the shard's SHA-256 costs no second read and overlaps the marking of
the next samples. At most QUEUE_DEPTH samples wait in between."""

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


def _tar_header(name: str, size: int) -> bytes:
    """The ustar header TarFile.addfile writes for a member (fixed mode, owner and mtime),
    assembled from a template: tarfile's TarInfo.tobuf costs ~20 µs, this a fraction of it."""
    encoded = name.encode()
    if len(encoded) > 100 or size >= 8**11:
        info = tarfile.TarInfo(name)
        info.size, info.mtime, info.mode = size, MTIME, 0o644
        info.uname = info.gname = "assent"
        return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")
    header = bytearray(_HEADER_TEMPLATE)
    header[: len(encoded)] = encoded
    header[124:136] = b"%011o\x00" % size
    header[148:156] = b"        "
    header[148:156] = b"%06o\x00 " % sum(header)
    return bytes(header)


def _template() -> bytes:
    info = tarfile.TarInfo("")
    info.size, info.mtime, info.mode = 0, MTIME, 0o644
    info.uname = info.gname = "assent"
    return info.tobuf(tarfile.USTAR_FORMAT, "utf-8", "surrogateescape")


_HEADER_TEMPLATE = _template()


def _member(name: str, data) -> list:
    """A tar member as TarFile.addfile writes it: header, data (one piece or several), padding
    to the block."""
    pieces = list(data) if isinstance(data, list) else [data]
    size = sum(len(p) for p in pieces)
    return [_tar_header(name, size), *pieces, tarfile.NUL * (-size % tarfile.BLOCKSIZE)]


class FileRange:
    """A piece of a sample that is a byte range of an open original file: hashed from `view`
    (its bytes, mapped), written by copy_file_range, so the kernel copies it from the file's
    pages into the shard's without a pass through our memory (a read and a write are two)."""

    __slots__ = ("fd", "offset", "view")

    def __init__(self, fd: int, offset: int, view) -> None:
        self.fd, self.offset, self.view = fd, offset, view

    def __len__(self) -> int:
        return len(self.view)

    def copy_to(self, fd: int) -> None:
        done, size = 0, len(self.view)
        try:
            while done < size:
                copied = os.copy_file_range(self.fd, fd, size - done, self.offset + done)
                if not copied:
                    raise OSError("copy_file_range copied nothing")
                done += copied
        except OSError:  # a filesystem or kernel without it: write the rest from memory
            _write_all(fd, [self.view[done:]])


def _write_all(fd: int, pieces: list) -> None:
    """All pieces in one system call (one GIL release per sample instead of one per piece: a
    thread that releases the GIL often waits to get it back), looping on a short write."""
    pending = [memoryview(p) for p in pieces if len(p)]
    while pending:
        written = os.writev(fd, pending)
        while pending and written >= len(pending[0]):
            written -= len(pending[0])
            pending.pop(0)
        if written:
            pending[0] = pending[0][written:]


class ShardWriter:
    """`directory`: where the temporary shard lives; on the storage's own filesystem the
    finished file is moved into place rather than copied."""

    def __init__(self, directory: str | None = None, *, threaded: bool = True) -> None:
        """`threaded`: hash and write on a thread of its own (overlapping the caller's marking
        of the next samples); False: on the caller's thread (a worker process of its own)."""
        self.file = tempfile.NamedTemporaryFile(dir=directory, suffix=".tar", delete=False)  # noqa: SIM115
        self.digest = hashlib.sha256()
        self.bytes_written = 0
        self.count = 0
        self._fd = self.file.fileno()  # written with os.writev only, never through the buffer
        self._pending: queue.Queue = queue.Queue(maxsize=QUEUE_DEPTH)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._drain, name="shard-writer", daemon=True)
        self._threaded = threaded
        if threaded:
            self._thread.start()

    def _write(self, pieces: list) -> None:
        for piece in pieces:
            self.digest.update(getattr(piece, "view", piece))  # small pieces keep the GIL
        batch: list = []
        for piece in pieces:
            if isinstance(piece, FileRange):
                _write_all(self._fd, batch)
                batch = []
                piece.copy_to(self._fd)
            else:
                batch.append(piece)
        _write_all(self._fd, batch)

    def _drain(self) -> None:
        while (pieces := self._pending.get()) is not None:
            if self._error is None:
                try:
                    self._write(pieces)
                except BaseException as exc:  # raised to the caller by finish()/close()
                    self._error = exc

    def _put(self, pieces: list) -> None:
        """Queue byte pieces (bytes or memoryviews, written in order, never joined)."""
        if self._error is not None:
            raise self._error
        if self._threaded:
            self._pending.put(pieces)
        else:
            self._write(pieces)
        self.bytes_written += sum(len(p) for p in pieces)

    def add_sample(
        self, *, key: str, extension: str, data, sha256: str, record: dict
    ) -> WrittenSample:
        """`data`: the image's bytes, or a list of pieces whose concatenation they are."""
        member = f"{key}.{extension}"
        record_bytes = json.dumps(record, sort_keys=True, ensure_ascii=False).encode()
        image = _member(member, data)
        self._put([*image, *_member(f"{key}.json", record_bytes)])
        self.count += 1
        size = sum(len(p) for p in image[1:-1])
        return WrittenSample(key, member, sha256, size)

    def _stop(self) -> None:
        if self._thread.is_alive():
            self._pending.put(None)
            self._thread.join()

    def finish(self) -> tuple[object, int, str]:
        """End the archive (two zero blocks, padded to a whole record, as tarfile does) and
        wait for the writer; returns (file, size, sha256)."""
        end = tarfile.NUL * (2 * tarfile.BLOCKSIZE)
        end += tarfile.NUL * (-(self.bytes_written + len(end)) % tarfile.RECORDSIZE)
        self._put([end])
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
