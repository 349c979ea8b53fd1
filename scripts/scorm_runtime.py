"""Install the SCORM runtime the portal plays packages with: scorm-again from the npm registry,
pinned by package.json and package-lock.json (`npm ci`), its built files copied to the portal's
static files (smoothlms/portal/static/vendor/scorm-again/). Does nothing when they are in place;
neither node_modules nor the copies are committed. Without npm it says so and exits 0 (the portal
runs; SCORM lessons cannot play), or 1 with --required."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DIST = ROOT / "node_modules" / "scorm-again" / "dist"
TARGET = ROOT / "smoothlms" / "portal" / "static" / "vendor" / "scorm-again"
FILES = ["scorm12.min.js", "scorm12.min.js.map", "scorm2004.min.js", "scorm2004.min.js.map"]
LOCK = ROOT / "package-lock.json"


def up_to_date() -> bool:
    return all((TARGET / name).exists() and (TARGET / name).stat().st_mtime >= LOCK.stat().st_mtime for name in FILES)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--required", action="store_true", help="fail when the runtime cannot be installed")
    args = parser.parse_args()
    if up_to_date():
        return 0
    if not all((DIST / name).exists() for name in FILES):
        npm = shutil.which("npm")
        if npm is None:
            print(
                "warning: npm not found: SCORM lessons cannot play until `npm ci` installs scorm-again "
                "(apt-get install npm)",
                file=sys.stderr,
            )
            return 1 if args.required else 0
        print("installing the SCORM runtime (npm ci)", flush=True)
        code = subprocess.call([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"], cwd=ROOT)
        if code != 0:
            print(f"error: npm ci failed (exit {code}): SCORM lessons cannot play", file=sys.stderr)
            return code if args.required else 0
    TARGET.mkdir(parents=True, exist_ok=True)
    for name in FILES:
        shutil.copy2(DIST / name, TARGET / name)
        (TARGET / name).touch()
    return 0


if __name__ == "__main__":
    sys.exit(main())
