"""The .xlsx as a package: a zip of parts, their relationships and content types.

Opening checks, before anything is inflated, that the file is a plain zip workbook
(not a legacy .xls, not encrypted, not a bomb) using only the central directory. Parts
are inflated on demand and counted as they are, because a central directory can lie.

Writing never recompresses a part it did not change: each untouched entry's compressed
bytes are copied from the original file as they are (a fresh local header, the same CRC),
so an untouched part is byte-identical by construction and writing costs little more
than the parts that changed. Changes are staged on the `Package` (`put`, `delete`) by
the modules that patch parts, and written in one go by `write_to`.

A small part the patchers edit (workbook.xml, a rels file, the content types) is
inflated and parsed once: `parsed` keeps its bytes and tree until it is replaced, and
`fork` hands the parsed originals to the package a save stages on, so a part is never
counted twice against the inflation limit.
"""

from __future__ import annotations

import copy
import io
import os
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ccrc_sync.errors import WorkbookError
from ccrc_sync.workbook.limits import RATIO_FLOOR_BYTES, WorkbookLimits, over_limit
from ccrc_sync.workbook.xmlscan import (
    Node,
    XmlRefused,
    append_child,
    attr_escape,
    parse_tree,
    splice,
)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_CHUNK = 1 << 16
_LOCAL = struct.Struct("<IHHHHHIIIHH")
_CENTRAL = struct.Struct("<IHHHHHHIIIHHHHHII")
_END = struct.Struct("<IHHHHIIH")
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
# Deflate level for the parts we write: level 6 costs twice level 1 for ~15% smaller parts.
_LEVEL = 1


def stat_regular(path: Path) -> os.stat_result:
    """The file's status, refusing at once anything that is not a regular file.

    Checked with stat before any open(): opening a FIFO for reading blocks until a writer
    appears, and a device can stream forever.
    """
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise WorkbookError(f"The workbook {path} does not exist.") from None
    except OSError as exc:
        raise WorkbookError(f"The workbook {path} could not be read: {exc.strerror}.") from None
    if stat.S_ISDIR(info.st_mode):
        raise WorkbookError(f"{path} is a folder, not an Excel workbook.")
    if not stat.S_ISREG(info.st_mode):
        kind = "a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a device or socket"
        raise WorkbookError(f"{path} is {kind}, not an Excel workbook file; it was not read.")
    return info


def read_file(path: Path, limits: WorkbookLimits | None = None) -> bytes:
    info = stat_regular(path)
    if limits is not None and info.st_size > limits.max_bytes:
        raise over_limit(
            path,
            f"the file is {info.st_size / 1048576:,.0f} MB",
            "max_uncompressed_mb",
            limits.max_uncompressed_mb,
        )
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise WorkbookError(f"The workbook {path} could not be read: {exc.strerror}.") from None


@dataclass(frozen=True)
class Rel:
    id: str
    type: str  # the last segment of the type URI: worksheet, styles, drawing, ...
    target: str  # resolved part name, or the raw target when external
    external: bool


def rels_name(part: str) -> str:
    folder, _, name = part.rpartition("/")
    return f"{folder}/_rels/{name}.rels" if folder else f"_rels/{name}.rels"


def resolve(source_part: str, target: str) -> str:
    """A relationship target as a part name (relative to the source's folder, or absolute)."""
    if target.startswith("/"):
        joined = target.lstrip("/")
    else:
        folder = source_part.rpartition("/")[0]
        joined = str(PurePosixPath(folder, target)) if folder else target
    parts: list[str] = []
    for piece in joined.split("/"):
        if piece == "..":
            if parts:
                parts.pop()
        elif piece not in ("", "."):
            parts.append(piece)
    return "/".join(parts)


def relative(source_part: str, target_part: str) -> str:
    """The relative target a rels file uses to point from `source_part` to `target_part`."""
    return os.path.relpath("/" + target_part, "/" + source_part.rpartition("/")[0]).replace(
        os.sep, "/"
    )


class Package:
    """An opened workbook file: its bytes, its zip directory, and the changes staged on it."""

    def __init__(self, path: Path, data: bytes, limits: WorkbookLimits) -> None:
        self.path = path
        self.data = data
        self.limits = limits
        self._zip = _open_zip(path, data)
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in self._zip.infolist():
            if info.filename in self.infos:
                raise WorkbookError(
                    f"The workbook {path} is damaged: the part {info.filename} appears twice."
                )
            self.infos[info.filename] = info
        self._check_directory()
        self._inflated = 0
        self.changed: dict[str, bytes] = {}
        self.removed: set[str] = set()
        # Part name -> (bytes, tree) as parsed; dropped when the part is put or deleted.
        self._parsed: dict[str, tuple[bytes, Node]] = {}

    def fork(self, path: Path) -> Package:
        """A fresh package to stage changes on, over the same bytes: the directory and the
        original parts already parsed are shared (trees are never mutated), nothing staged."""
        twin = copy.copy(self)
        twin.path = path
        twin._inflated = 0
        twin.changed, twin.removed = {}, set()
        twin._parsed = {n: kept for n, kept in self._parsed.items() if n not in self.changed}
        return twin

    # ---- reading -------------------------------------------------------------------

    def _check_directory(self) -> None:
        limits = self.limits
        total = 0
        for info in self.infos.values():
            if info.flag_bits & 0x1:
                raise WorkbookError(
                    f"The workbook {self.path} has encrypted parts; save a copy without a "
                    "password to use it with ccrc-sync."
                )
            total += info.file_size
            if (
                info.file_size >= RATIO_FLOOR_BYTES
                and info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
            ):
                ratio = info.file_size // max(info.compress_size, 1)
                raise over_limit(
                    self.path,
                    f"its part {info.filename} inflates {ratio:,} times its stored size",
                    "max_compression_ratio",
                    limits.max_compression_ratio,
                )
        if total > limits.max_bytes:
            raise over_limit(
                self.path,
                f"its parts inflate to {total / 1048576:,.0f} MB",
                "max_uncompressed_mb",
                limits.max_uncompressed_mb,
            )
        if not any(name.endswith("workbook.xml") or name.endswith(".bin") for name in self.infos):
            raise WorkbookError(f"{self.path} is a zip file but not an Excel .xlsx workbook.")

    def has(self, name: str) -> bool:
        if name in self.removed:
            return False
        return name in self.changed or name in self.infos

    def names(self) -> list[str]:
        kept = [n for n in self.infos if n not in self.removed]
        return kept + [n for n in self.changed if n not in self.infos]

    def stream(self, name: str) -> Iterator[bytes]:
        """The original part's bytes in chunks, counted against the inflation limit."""
        try:
            with self._zip.open(name) as src:
                while chunk := src.read(_CHUNK):
                    self._count(len(chunk))
                    yield chunk
        except KeyError:
            raise WorkbookError(f"The workbook {self.path} has no part {name}.") from None
        except NotImplementedError:
            raise WorkbookError(
                f"The workbook {self.path} stores its part {name} with a compression method "
                "ccrc-sync cannot read; save the workbook again in Excel."
            ) from None
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise WorkbookError(
                f"The workbook {self.path} is corrupt (its part {name} cannot be read: "
                f"{exc}); restore it from a backup."
            ) from None

    def original(self, name: str) -> bytes:
        return b"".join(self.stream(name))

    def read(self, name: str) -> bytes:
        """The part as it will be written: staged changes first, else the original."""
        if name in self.removed:
            raise WorkbookError(f"The part {name} was removed.")
        if name in self.changed:
            return self.changed[name]
        if name in self._parsed:
            return self._parsed[name][0]
        return self.original(name)

    def _count(self, size: int) -> None:
        self._inflated += size
        if self._inflated > self.limits.max_bytes:
            raise over_limit(
                self.path,
                "its parts inflate past the size their directory declares",
                "max_uncompressed_mb",
                self.limits.max_uncompressed_mb,
            )

    def parsed(self, name: str) -> tuple[bytes, Node]:
        """The part as `read` gives it and its tree (byte offsets into those bytes), parsed
        once until the part is put or deleted. Callers splice the bytes, never the tree."""
        kept = self._parsed.get(name)
        if kept is None:
            data = self.read(name)
            try:
                kept = self._parsed[name] = (data, parse_tree(data))
            except XmlRefused as exc:
                raise WorkbookError(
                    f"The workbook {self.path} has a damaged part {name} ({exc}); "
                    "restore it from a backup."
                ) from None
        return kept

    def tree(self, name: str) -> Node:
        return self.parsed(name)[1]

    def rels(self, part: str) -> list[Rel]:
        name = rels_name(part)
        if not self.has(name):
            return []
        out = []
        for node in self.tree(name).children:
            if node.name != "Relationship":
                continue
            target = node.get("Target", "") or ""
            external = node.get("TargetMode") == "External"
            out.append(
                Rel(
                    id=node.get("Id", "") or "",
                    type=(node.get("Type", "") or "").rsplit("/", 1)[-1],
                    target=target if external else resolve(part, target),
                    external=external,
                )
            )
        return out

    # ---- staging changes -----------------------------------------------------------

    def put(self, name: str, data: bytes) -> None:
        self.removed.discard(name)
        self.changed[name] = data
        self._parsed.pop(name, None)

    def delete(self, name: str) -> None:
        self.changed.pop(name, None)
        self._parsed.pop(name, None)
        if name in self.infos:
            self.removed.add(name)

    def add_rel(self, part: str, rel_type_uri: str, target_part: str) -> str:
        """Add a relationship from `part` to `target_part`; returns its new Id."""
        name = rels_name(part)
        entry = '<Relationship Id="{id}" Type="{type}" Target="{target}"/>'
        if self.has(name):
            data, root = self.parsed(name)
            used = {c.get("Id") for c in root.children}
            rid = next(f"rId{n}" for n in range(1, len(used) + 2) if f"rId{n}" not in used)
            qual = f"{root.prefix}:" if root.prefix else ""
            text = entry.replace("<Relationship", f"<{qual}Relationship").format(
                id=rid,
                type=attr_escape(rel_type_uri),
                target=attr_escape(relative(part, target_part)),
            )
            new = splice(data, append_child(data, root, text.encode()))
        else:
            rid = "rId1"
            new = (
                '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
                'relationships">'
                + entry.format(id=rid, type=rel_type_uri, target=relative(part, target_part))
                + "</Relationships>"
            ).encode()
        self.put(name, new)
        return rid

    def drop_rels(self, part: str, ids: set[str]) -> None:
        name = rels_name(part)
        if not ids or not self.has(name):
            return
        data, root = self.parsed(name)
        cut = [(c.start, c.end, b"") for c in root.children if c.get("Id") in ids]
        self.put(name, splice(data, cut))

    def set_override(self, part: str, content_type: str | None) -> None:
        """Add, replace or (None) remove the content-type override for `part`."""
        name = "[Content_Types].xml"
        data, root = self.parsed(name)
        edits: list[tuple[int, int, bytes]] = []
        for node in root.children:
            if node.name == "Override" and (node.get("PartName") or "").lstrip("/") == part:
                edits.append((node.start, node.end, b""))
        if content_type is not None:
            qual = f"{root.prefix}:" if root.prefix else ""
            edits.append(
                (
                    root.inner_end,
                    root.inner_end,
                    f'<{qual}Override PartName="/{attr_escape(part)}" '
                    f'ContentType="{attr_escape(content_type)}"/>'.encode(),
                )
            )
        self.put(name, splice(data, edits))

    def ensure_default(self, extension: str, content_type: str) -> None:
        name = "[Content_Types].xml"
        data, root = self.parsed(name)
        for node in root.children:
            if node.name == "Default" and (node.get("Extension") or "").lower() == extension:
                return
        qual = f"{root.prefix}:" if root.prefix else ""
        new = f'<{qual}Default Extension="{extension}" ContentType="{content_type}"/>'
        self.put(name, splice(data, [(root.inner_start, root.inner_start, new.encode())]))

    def content_type(self, part: str) -> str | None:
        root = self.tree("[Content_Types].xml")
        for node in root.children:
            if node.name == "Override" and (node.get("PartName") or "").lstrip("/") == part:
                return node.get("ContentType")
        ext = part.rpartition(".")[2].lower()
        for node in root.children:
            if node.name == "Default" and (node.get("Extension") or "").lower() == ext:
                return node.get("ContentType")
        return None

    def free_name(self, pattern: str) -> str:
        """The first unused part name from `pattern` with `{n}` = 1, 2, ..."""
        n = 1
        while self.has(pattern.format(n=n)) or pattern.format(n=n) in self.infos:
            n += 1
        return pattern.format(n=n)

    # ---- writing -------------------------------------------------------------------

    def write_to(self, out: BinaryIO) -> None:
        """Write the package with the staged changes; untouched parts copied as stored."""
        central: list[bytes] = []
        offset = 0
        for name in self.names():
            info = self.infos.get(name)
            if name in self.changed or info is None:
                payload = self.changed[name]
                crc = zlib.crc32(payload)
                packer = zlib.compressobj(_LEVEL, zlib.DEFLATED, -15)
                body = packer.compress(payload) + packer.flush()
                method, size, flags = zipfile.ZIP_DEFLATED, len(payload), 0x0800
                date_time = info.date_time if info is not None else _FIXED_TIME
                raw_name = name.encode("utf-8")
                external = info.external_attr if info is not None else 0
                made_by = (info.create_system << 8 | info.create_version) if info else 20
            else:
                body = self._raw(info)
                crc, method, size = info.CRC, info.compress_type, info.file_size
                flags = info.flag_bits & 0x0800
                date_time = info.date_time
                raw_name = info.orig_filename.encode("utf-8" if flags else "cp437")
                external = info.external_attr
                made_by = info.create_system << 8 | info.create_version
            if offset + len(body) > 0xFFFFFFF0 or size > 0xFFFFFFF0:
                raise WorkbookError(f"The workbook {self.path} would be too large to write.")
            dos_time = (date_time[3] << 11) | (date_time[4] << 5) | (date_time[5] // 2)
            dos_date = ((date_time[0] - 1980) << 9) | (date_time[1] << 5) | date_time[2]
            header = _LOCAL.pack(
                0x04034B50, 20, flags, method, dos_time, dos_date, crc, len(body), size,
                len(raw_name), 0,
            )  # fmt: skip
            out.write(header)
            out.write(raw_name)
            out.write(body)
            central.append(
                _CENTRAL.pack(
                    0x02014B50,
                    made_by,
                    20,
                    flags,
                    method,
                    dos_time,
                    dos_date,
                    crc,
                    len(body),
                    size,
                    len(raw_name),
                    0,
                    0,
                    0,
                    0,
                    external,
                    offset,
                )
                + raw_name
            )
            offset += len(header) + len(raw_name) + len(body)
        directory = b"".join(central)
        out.write(directory)
        out.write(
            _END.pack(0x06054B50, 0, 0, len(central), len(central), len(directory), offset, 0)
        )

    def _raw(self, info: zipfile.ZipInfo) -> bytes:
        start = info.header_offset
        fields = _LOCAL.unpack_from(self.data, start)
        if fields[0] != 0x04034B50:
            raise WorkbookError(f"The workbook {self.path} is corrupt; restore it from a backup.")
        begin = start + _LOCAL.size + fields[9] + fields[10]
        return self.data[begin : begin + info.compress_size]


def _open_zip(path: Path, data: bytes) -> zipfile.ZipFile:
    if not data:
        raise WorkbookError(f"The workbook {path} is empty (0 bytes), not an Excel workbook.")
    if data.startswith(OLE_MAGIC):
        if "EncryptionInfo".encode("utf-16-le") in data:
            raise WorkbookError(
                f"The workbook {path} is password-protected (encrypted); save a copy without "
                "a password to use it with ccrc-sync."
            )
        raise WorkbookError(
            f"The workbook {path} is in the old Excel 97-2003 (.xls) format; "
            "save it as an Excel Workbook (.xlsx)."
        )
    if not data.startswith(b"PK"):
        raise WorkbookError(f"{path} is not an Excel .xlsx workbook.")
    try:
        return zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise WorkbookError(
            f"The workbook {path} is corrupt or truncated (it is not a readable zip file); "
            "restore it from a backup."
        ) from None


def open_package(path: Path, limits: WorkbookLimits) -> Package:
    """The file read once and its zip directory checked; no part is inflated yet."""
    return Package(path, read_file(path, limits), limits)
