"""Run every benchmark module in turn, each in its own process."""

from __future__ import annotations

import pkgutil
import subprocess
import sys
from pathlib import Path


def main() -> int:
    """Run `python -m bench.<name>` for each module; return non-zero if one failed."""
    here = Path(__file__).resolve().parent
    names = sorted(m.name for m in pkgutil.iter_modules([str(here)]) if not m.name.startswith("_"))
    failed = 0
    for name in names:
        print(f"== bench.{name}", flush=True)
        done = subprocess.run([sys.executable, "-m", f"bench.{name}"], check=False)
        failed += done.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
