"""Small real files of each kind evidence accepts, made in memory."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

from domain.evidence import DOCX, ODT


def pdf(text: str = "service record") -> bytes:
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n"
        + f"% {text}\n".encode()
        + b"trailer << /Root 1 0 R >>\n%%EOF\n"
    )


def png() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


def zipped(entries: dict[str, bytes]) -> bytes:
    """The same bytes every time: each entry is dated 1980-01-01, not now, so tests that take
    these files as parameters have the same ids in every pytest-xdist worker."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for name, content in entries.items():
            z.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return archive.getvalue()


def docx() -> bytes:
    types = (
        '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        'content-types"><Override PartName="/word/document.xml" ContentType="'
        f'{DOCX}.main+xml"/></Types>'
    )
    return zipped({"[Content_Types].xml": types.encode(), "word/document.xml": b"<w:document/>"})


def odt() -> bytes:
    return zipped({"mimetype": ODT.encode(), "content.xml": b"<office:document-content/>"})
