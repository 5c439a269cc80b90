"""A stored (uncompressed) zip archive written the way torch writes its checkpoints.

Each member's data starts on a 64-byte boundary (padding goes into an extra field of the
local header, as torch's writer does), so a reader can map storages without copying.
CRC-32s are computed on the calling thread (a second thread measured slower on 2 loaded cores).
Zip64 records are written when a member or the archive passes 4 GiB.
"""
from __future__ import annotations

import struct
import zlib

ALIGN = 64
_LIMIT = 0xFFFFFFFF
_PAD_ID = 0x4246            # "FB": the extra field torch pads with


class ZipWriter:
    """Append members to ``fh`` (a binary file at its start); ``close()`` writes the directory."""

    def __init__(self, fh):
        self.fh = fh
        self.offset = 0
        self.entries: list[tuple[bytes, int, int, int]] = []   # name, crc, size, header offset

    def _write(self, data) -> None:
        self.fh.write(data)
        self.offset += len(data)

    def add(self, name: str, data) -> None:
        """Add one member; ``data`` is bytes or a C-contiguous buffer (written without copying)."""
        view = memoryview(data).cast("B")
        size = view.nbytes
        crc = zlib.crc32(view)
        raw_name = name.encode("utf-8")
        zip64 = size >= _LIMIT
        extra = struct.pack("<HHQQ", 1, 16, size, size) if zip64 else b""
        used = self.offset + 30 + len(raw_name) + len(extra) + 4
        extra += struct.pack("<HH", _PAD_ID, -used % ALIGN) + b"Z" * (-used % ALIGN)
        header_offset = self.offset
        # crc and sizes also follow the data (flag bit 3), as torch writes them
        self._write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 45 if zip64 else 20, 0x08, 0, 0, 0x21, 0, 0, 0,
                                len(raw_name), len(extra)) + raw_name + extra)
        self._write(view)
        if zip64:
            self._write(struct.pack("<IIQQ", 0x08074B50, crc, size, size))
        else:
            self._write(struct.pack("<IIII", 0x08074B50, crc, size, size))
        self.entries.append((raw_name, crc, size, header_offset))

    def close(self) -> None:
        start = self.offset
        for raw_name, crc, size, offset in self.entries:
            big = ([size, size] if size >= _LIMIT else []) + ([offset] if offset >= _LIMIT else [])
            extra = struct.pack(f"<HH{len(big)}Q", 1, 8 * len(big), *big) if big else b""
            self._write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45 if big else 20, 45 if big else 20, 0x08,
                                    0, 0, 0x21, crc, min(size, _LIMIT), min(size, _LIMIT), len(raw_name), len(extra), 0, 0, 0,
                                    0, min(offset, _LIMIT)) + raw_name + extra)
        cd_size, count = self.offset - start, len(self.entries)
        if count >= 0xFFFF or start >= _LIMIT or cd_size >= _LIMIT:
            eocd64 = self.offset
            self._write(struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, cd_size, start))
            self._write(struct.pack("<IIQI", 0x07064B50, 0, eocd64, 1))
        self._write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, min(count, 0xFFFF), min(count, 0xFFFF),
                                min(cd_size, _LIMIT), min(start, _LIMIT), 0))
