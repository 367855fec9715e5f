"""The GOV.UK and MOJ Design Systems' CSS, fonts and images, from npm's registry, checked.

``web/frontend.lock.json`` pins each package's version, tarball and the registry's sha512
integrity. :func:`ensure_assets` fetches a tarball only when the unpacked files are missing or
were made from another pin, refuses one whose digest differs, and unpacks just the files the
lock names into one directory the app serves at ``/assets`` (the packages' CSS asks for
``/assets/fonts/...`` and ``/assets/images/...``). Nothing third-party is kept in git, no page
loads anything from elsewhere, and no Node.js is needed. ``scripts/ensure-venv`` and the
Dockerfile run ``exitcases-assets``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import shutil
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from config.frontend import DEFAULT_FRONTEND_DIR

LOCK = Path(__file__).with_name("frontend.lock.json")
_STAMP = ".lock-sha256"


# Plain data, not pydantic: the install step runs on every ./dev and ./test and must start fast.
@dataclass(frozen=True)
class Pin:
    version: str
    tarball: str
    integrity: str
    # Tarball path (a file, or a folder ending in /) -> where it goes under the assets dir.
    files: dict[str, str]


def pins() -> dict[str, Pin]:
    return {name: Pin(**pin) for name, pin in json.loads(LOCK.read_text()).items()}


def assets_dir() -> Path:
    return Path(os.environ.get("EXITCASES_FRONTEND_DIR") or DEFAULT_FRONTEND_DIR)


def _lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes()).hexdigest()


def is_current(target: Path) -> bool:
    """Whether ``target`` holds the files of exactly this lock."""
    stamp = target / _STAMP
    return stamp.is_file() and stamp.read_text().strip() == _lock_digest()


def check_integrity(name: str, pin: Pin, data: bytes) -> None:
    algorithm, _, expected = pin.integrity.partition("-")
    if algorithm != "sha512":
        raise ValueError(f"{name}: only sha512 integrity is accepted, not {algorithm}")
    actual = base64.b64encode(hashlib.sha512(data).digest()).decode()
    if actual != expected:
        raise ValueError(f"{name} {pin.version}: the tarball's sha512 is not the pinned one")


def _fetch(url: str) -> bytes:
    if not url.startswith("https://"):
        raise ValueError(f"tarballs come over https only: {url}")
    # Imported here: a run that finds the files in place must stay quick. httpx trusts
    # certifi's roots, or SSL_CERT_FILE's (a proxy that inspects TLS; the Dockerfile sets it).
    import httpx

    response = httpx.get(url, timeout=60)
    response.raise_for_status()
    return response.content


def unpack(name: str, pin: Pin, data: bytes, target: Path) -> None:
    """Copy the files the pin names out of the (checked) tarball into ``target``."""
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        for member in archive.getmembers():
            if not member.isfile():
                continue
            for source, destination in pin.files.items():
                if source.endswith("/") and member.name.startswith(source):
                    relative = destination + member.name[len(source) :]
                elif member.name == source:
                    relative = destination
                else:
                    continue
                path = (target / relative).resolve()
                if not path.is_relative_to(target.resolve()):
                    raise ValueError(f"{name}: {member.name} would unpack outside {target}")
                path.parent.mkdir(parents=True, exist_ok=True)
                extracted = archive.extractfile(member)
                assert extracted is not None  # a regular file
                path.write_bytes(extracted.read())


def ensure_assets(target: Path | None = None) -> Path:
    """The assets directory, filled from the lock's tarballs unless it already is."""
    target = target or assets_dir()
    if is_current(target):
        return target
    building = target.with_name(target.name + ".partial")
    shutil.rmtree(building, ignore_errors=True)
    building.mkdir(parents=True)
    for name, pin in pins().items():
        data = _fetch(pin.tarball)
        check_integrity(name, pin, data)
        unpack(name, pin, data, building)
    (building / _STAMP).write_text(_lock_digest())
    # Swap in whole: a half-written directory is never served.
    shutil.rmtree(target, ignore_errors=True)
    building.rename(target)
    return target


def main() -> None:
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    ensure_assets(target)


if __name__ == "__main__":
    main()
