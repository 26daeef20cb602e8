"""Put the published OpenAPI documents of ``openapi/manifest.json`` into ``openapi/`` (git-ignored).

They may not be redistributed (README.md), so the repository records where each one is published and
its sha256; the tests that need them read them from ``openapi/`` and skip, saying so in one line,
when they are absent. Usage::

    python third_party/fetch.py              # download each from its pinned GitHub commit
    python third_party/fetch.py --from DIR   # or copy DIR/<file name> (a copy you already have)

Every file is checked against its recorded sha256 before it is written; a mismatch writes nothing.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent / "openapi"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, help="a folder holding copies named as in the manifest")
    args = parser.parse_args()
    manifest = json.loads((HERE / "manifest.json").read_text(encoding="utf-8"))
    failed = 0
    for name, entry in manifest["documents"].items():
        target = HERE / name
        if target.is_file() and hashlib.sha256(target.read_bytes()).hexdigest() == entry["sha256"]:
            print(f"ok       {name}")
            continue
        try:
            if args.source:
                data = (args.source / name).read_bytes()
            else:
                with urllib.request.urlopen(entry["url"], timeout=60) as response:  # noqa: S310 (fixed https URL)
                    data = response.read()
        except OSError as error:
            print(f"MISSING  {name}: {error}", file=sys.stderr)
            failed += 1
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            print(f"MISMATCH {name}: sha256 {digest}, expected {entry['sha256']}", file=sys.stderr)
            failed += 1
            continue
        target.write_bytes(data)
        print(f"fetched  {name}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
