"""One range of the audit log verified in a process of its own, for ``store.audit.verify``.

    python -m store.verify_process < request.json > part.json

Reads a :class:`store.audit.RangeRequest` on standard input and writes the range's
:class:`store.audit.VerifyPart` on standard output, both JSON.
"""

from __future__ import annotations

import asyncio
import sys

from store import audit


def main() -> None:
    request = audit.RangeRequest.model_validate_json(sys.stdin.buffer.read())
    part = asyncio.run(audit.verify_in_snapshot(request))
    sys.stdout.write(part.model_dump_json())


if __name__ == "__main__":
    main()
