"""The file `make archive-legacy` writes and `make restore-legacy` reads.

A plain (uncompressed) POSIX tar holding:

    manifest.json                   what the archive holds (below), UTF-8 JSON
    manifest.json.sha256            the sha256 of manifest.json, hex, one line
    tables/<schema>.<table>.copy.gz each table's rows: COPY ... TO STDOUT, text format, gzip

Each member is compressed on its own rather than the whole tar, so a damaged byte stays inside
one member, whose sha256 then names it (a damaged gzip of the whole file names nothing).
manifest.json: format, archived_at, database, server_version, source_table, the checksum
function and the session settings, and per table: name ("schema.table"), member, rows,
checksum (migration.table_checksum), copy_sha256 (of the uncompressed COPY text),
member_sha256 and member_bytes (of the stored gzip), columns (name, type, not_null) and
constraints (name, type, definition, rebuilt). Everything is deterministic from the rows and
the archive time (gzip mtime 0, tar entries dated archived_at, mode 0644).
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import zlib
from pathlib import Path

FORMAT = "habit-tracker legacy archive 1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.json.sha256"
CHUNK = 1 << 20
TABLE_KEYS = frozenset({"name", "schema", "table", "member", "rows", "checksum", "copy_sha256", "member_sha256",
                        "columns", "constraints"})


class ArchiveDamaged(Exception):
    """The file is not what its manifest says: the message names the member."""


def member_name(schema: str, table: str) -> str:
    return f"tables/{schema}.{table}.copy.gz"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


class CopySink:
    """What COPY TO STDOUT writes into: gzip-compressed to `path`, the uncompressed text's
    sha256 and newline count (= rows, COPY text escapes newlines in values) kept."""

    def __init__(self, path: Path):
        self.raw = open(path, "wb")
        self.gz = gzip.GzipFile(fileobj=self.raw, mode="wb", mtime=0)
        self.digest = hashlib.sha256()
        self.lines = 0

    def write(self, data) -> int:
        data = data.encode("utf-8") if isinstance(data, str) else data
        self.digest.update(data)
        self.lines += data.count(b"\n")
        return self.gz.write(data)

    def close(self) -> None:
        self.gz.close()
        self.raw.close()


class CopySource:
    """A member's rows decompressed, for COPY FROM STDIN, hashing and counting as they are read."""

    def __init__(self, member: str, stream):
        self.member = member
        self.gz = gzip.GzipFile(fileobj=stream, mode="rb")
        self.digest = hashlib.sha256()
        self.lines = 0

    def read(self, size: int = -1) -> bytes:
        try:
            data = self.gz.read(size)
        except (OSError, EOFError, zlib.error) as exc:
            raise ArchiveDamaged(f"member {self.member}: cannot be decompressed ({exc})") from None
        self.digest.update(data)
        self.lines += data.count(b"\n")
        return data



def write(path: Path, manifest: dict, members: dict[str, Path], mtime: float) -> None:
    """The tar at `path` (written to `path` + ".part" and renamed when complete)."""
    body = json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8") + b"\n"
    part = path.with_name(path.name + ".part")
    with tarfile.open(part, "w", format=tarfile.PAX_FORMAT) as tar:
        _add_bytes(tar, MANIFEST, body, mtime)
        _add_bytes(tar, MANIFEST_SUM, (hashlib.sha256(body).hexdigest() + "\n").encode(), mtime)
        for name, source in members.items():
            info = tar.gettarinfo(str(source), arcname=name)
            info.mtime, info.mode, info.uid, info.gid, info.uname, info.gname = int(mtime), 0o644, 0, 0, "", ""
            with open(source, "rb") as f:
                tar.addfile(info, f)
    part.replace(path)


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mtime: float) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = len(data), int(mtime), 0o644
    tar.addfile(info, io.BytesIO(data))


class Archive:
    """An archive opened for reading, its manifest and every member's sha256 checked
    (ArchiveDamaged naming the first member that differs)."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.tar = tarfile.open(path, "r:")
        except (tarfile.TarError, OSError) as exc:
            raise ArchiveDamaged(f"{path} is not a readable archive ({exc})") from None
        try:
            self.manifest = self._manifest()
            self._check_members()
        except BaseException:
            self.tar.close()
            raise

    def _bytes(self, name: str) -> bytes:
        try:
            member = self.tar.extractfile(name)
        except (KeyError, tarfile.TarError) as exc:
            raise ArchiveDamaged(f"member {name}: missing or unreadable ({exc})") from None
        if member is None:
            raise ArchiveDamaged(f"member {name}: not a file")
        return member.read()

    def _manifest(self) -> dict:
        body = self._bytes(MANIFEST)
        recorded = self._bytes(MANIFEST_SUM).decode("ascii", "replace").strip()
        if hashlib.sha256(body).hexdigest() != recorded:
            raise ArchiveDamaged(f"member {MANIFEST}: sha256 differs from {MANIFEST_SUM}")
        try:
            manifest = json.loads(body)
        except ValueError as exc:
            raise ArchiveDamaged(f"member {MANIFEST}: not JSON ({exc})") from None
        if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
            found = manifest.get("format") if isinstance(manifest, dict) else None
            raise ArchiveDamaged(f"member {MANIFEST}: format {found!r}, expected {FORMAT!r}")
        tables = manifest.get("tables")
        if not isinstance(tables, list) or not all(isinstance(t, dict) and TABLE_KEYS <= t.keys() for t in tables):
            raise ArchiveDamaged(f"member {MANIFEST}: each table must give {', '.join(sorted(TABLE_KEYS))}")
        return manifest

    def _check_members(self) -> None:
        for table in self.manifest["tables"]:
            digest = hashlib.sha256()
            try:
                member = self.tar.extractfile(table["member"])
            except (KeyError, tarfile.TarError) as exc:
                raise ArchiveDamaged(f"member {table['member']}: missing or unreadable ({exc})") from None
            for chunk in iter(lambda: member.read(CHUNK), b""):
                digest.update(chunk)
            if digest.hexdigest() != table["member_sha256"]:
                raise ArchiveDamaged(f"member {table['member']}: sha256 {digest.hexdigest()[:12]}... differs from "
                                     f"the manifest's {table['member_sha256'][:12]}...")

    def rows(self, table: dict) -> CopySource:
        return CopySource(table["member"], self.tar.extractfile(table["member"]))

    def close(self) -> None:
        self.tar.close()
