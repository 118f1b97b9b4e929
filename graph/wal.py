"""The embedded store's write-ahead log (``wal.log``): what was committed since the snapshot.

A commit appends one record: its length and CRC-32 (:data:`HEADER`), then the pickled
``(seq, batches)``, and fsyncs the file. Reading stops at the first record whose length or
checksum does not hold: a record torn by a crash in the middle of its write, which never
completed its commit. :func:`truncate` then cuts the torn tail off.
"""

from __future__ import annotations

import os
import pickle
import struct
import zlib
from pathlib import Path
from typing import Any, Iterator

from tracegraph.graph.snapshot import loads

HEADER = struct.Struct("<II")  # payload length, crc32


def append(path: Path, seq: int, batches: list[Any]) -> None:
    """Append the commit ``seq`` of ``batches`` and make it durable."""
    payload = pickle.dumps((seq, batches), protocol=pickle.HIGHEST_PROTOCOL)
    with open(path, "ab") as f:
        f.write(HEADER.pack(len(payload), zlib.crc32(payload)) + payload)
        f.flush()
        os.fsync(f.fileno())


def records(data: bytes) -> Iterator[tuple[int, Any, int]]:
    """``(seq, batches, end)`` of each whole record in ``data``, ``end`` being where it ends."""
    pos = 0
    while pos + HEADER.size <= len(data):
        length, crc = HEADER.unpack_from(data, pos)
        payload = data[pos + HEADER.size : pos + HEADER.size + length]
        if len(payload) != length or zlib.crc32(payload) != crc:
            return  # a torn tail: the commit that wrote it never completed
        seq, batches = loads(payload)
        pos += HEADER.size + length
        yield seq, batches, pos


def truncate(path: Path, size: int) -> None:
    """Cut the log at ``size`` bytes (0: empty it) and make that durable."""
    with open(path, "r+b") as f:
        f.truncate(size)
        os.fsync(f.fileno())
