"""The design systems' files: pinned, checked against the registry's integrity, unpacked once."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from web import assets
from web.assets import Pin, check_integrity, unpack


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def pin_for(data: bytes, files: dict[str, str]) -> Pin:
    digest = base64.b64encode(hashlib.sha512(data).digest()).decode()
    return Pin("1.0.0", "https://registry.example/p.tgz", f"sha512-{digest}", files)


def test_a_tarball_whose_digest_differs_is_refused() -> None:
    data = tarball({"package/a.css": b"a{}"})
    pin = pin_for(data, {})
    check_integrity("p", pin, data)
    with pytest.raises(ValueError, match="not the pinned one"):
        check_integrity("p", pin, data + b"\0")
    with pytest.raises(ValueError, match="only sha512"):
        check_integrity("p", Pin("1", "https://x", "sha1-abc", {}), data)


def test_only_the_named_files_are_unpacked_where_the_lock_says(tmp_path: Path) -> None:
    data = tarball(
        {
            "package/dist/x.min.css": b"x{}",
            "package/dist/assets/fonts/a.woff2": b"font",
            "package/src/x.scss": b"$x: 1;",
        }
    )
    pin = pin_for(data, {"package/dist/x.min.css": "x.css", "package/dist/assets/fonts/": "fonts/"})
    unpack("p", pin, data, tmp_path)
    found = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*") if p.is_file())
    assert found == ["fonts/a.woff2", "x.css"]


def test_a_path_outside_the_target_is_refused(tmp_path: Path) -> None:
    data = tarball({"package/evil": b"!"})
    pin = pin_for(data, {"package/evil": "../evil"})
    with pytest.raises(ValueError, match="outside"):
        unpack("p", pin, data, tmp_path / "assets")


def test_the_files_are_fetched_once_per_lock(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = tarball({"package/a.css": b"a{}"})
    pin = pin_for(data, {"package/a.css": "a.css"})
    lock = tmp_path / "frontend.lock.json"
    lock.write_text(json.dumps({"p": pin.__dict__}))
    fetched: list[str] = []

    def fetch(url: str) -> bytes:
        fetched.append(url)
        return data

    monkeypatch.setattr(assets, "LOCK", lock)
    monkeypatch.setattr(assets, "_fetch", fetch)
    target = tmp_path / "frontend"
    assert assets.ensure_assets(target) == target
    assets.ensure_assets(target)
    assert fetched == [pin.tarball] and (target / "a.css").read_bytes() == b"a{}"
    lock.write_text(json.dumps({"p": {**pin.__dict__, "version": "1.0.1"}}))
    assets.ensure_assets(target)  # another lock: fetched again
    assert len(fetched) == 2


def test_the_lock_pins_versions_the_macros_support() -> None:
    pins = assets.pins()
    # govuk-frontend-jinja 4.1.0 is written for govuk-frontend 6.3.0; MOJ 11 needs ^6.0.0.
    assert pins["govuk-frontend"].version == "6.3.0"
    assert pins["@ministryofjustice/frontend"].version.startswith("11.")
    for name, pin in pins.items():
        assert pin.tarball.startswith("https://registry.npmjs.org/"), name
        assert pin.integrity.startswith("sha512-"), name
