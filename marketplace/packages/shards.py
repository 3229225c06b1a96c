"""WebDataset shards: plain POSIX (ustar) tar files whose members are grouped into samples by key
(`<key>.<ext>` for the image, `<key>.json` for its record). Written to a temporary file one
sample at a time, so memory does not grow with the shard or the dataset.

Each sample's tar pieces (headers, padding, and the image as the views the marking made of the
original, never joined into one copy) are hashed and written as they come, so the shard's
SHA-256 costs no second read."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tarfile
import tempfile
from dataclasses import dataclass

# Temporary shards are named so; a worker killed mid-shard leaves one, which
# builder.scratch_sweep removes once it is old enough to belong to no running build.
SCRATCH_PREFIX = "assent-shard-"
# Members get a fixed mtime and owner, so the same items make byte-identical shards.
MTIME = 1_700_000_000


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

    def __init__(self, directory: str | None = None) -> None:
        self.file = tempfile.NamedTemporaryFile(  # noqa: SIM115
            dir=directory, prefix=SCRATCH_PREFIX, suffix=".tar", delete=False
        )
        self.digest = hashlib.sha256()
        self.bytes_written = 0
        self.count = 0
        self._fd = self.file.fileno()  # written with os.writev only, never through the buffer

    def _write(self, pieces: list) -> None:
        for piece in pieces:
            self.digest.update(getattr(piece, "view", piece))
        batch: list = []
        for piece in pieces:
            if isinstance(piece, FileRange):
                _write_all(self._fd, batch)
                batch = []
                piece.copy_to(self._fd)
            else:
                batch.append(piece)
        _write_all(self._fd, batch)

    def _put(self, pieces: list) -> None:
        """Byte pieces (bytes, memoryviews or FileRanges, written in order, never joined)."""
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

    def finish(self) -> tuple[object, int, str]:
        """End the archive (two zero blocks, padded to a whole record, as tarfile does);
        returns (file, size, sha256)."""
        end = tarfile.NUL * (2 * tarfile.BLOCKSIZE)
        end += tarfile.NUL * (-(self.bytes_written + len(end)) % tarfile.RECORDSIZE)
        self._put([end])
        self.file.flush()
        return self.file, self.bytes_written, self.digest.hexdigest()

    def close(self) -> None:
        """Close and remove the temporary file (unless storage moved it)."""
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.file.name)
