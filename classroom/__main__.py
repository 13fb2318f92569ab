"""``python -m classroom {grader-venv,release,guide} ...`` (see :mod:`classroom`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from . import gradervenv, guide, release


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m classroom", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("grader-venv", help="build .venv-grader (nbgrader beside .venv)")
    rel = sub.add_parser("release", help="write release/instructor and release/student")
    rel.add_argument("--out", type=Path, default=None, help="default: release/")
    rel.add_argument("--lessons", nargs="*", default=None, help="e.g. 01 02 (default: all)")
    gui = sub.add_parser("guide", help="rewrite INSTRUCTORS.md's generated blocks")
    gui.add_argument("--check", action="store_true", help="only say which are out of date")
    args = parser.parse_args(argv)
    if args.command == "grader-venv":
        print(gradervenv.build_grader_venv())
    elif args.command == "release":
        for edition, path in release.build(out=args.out, lessons=args.lessons).items():
            print(f"{edition}: {path}")
    else:
        stale = guide.write_guide(check=args.check)
        print(("out of date: " if args.check else "rewrote: ") + (", ".join(stale) or "none"))
        if args.check and stale:
            raise SystemExit(1)


main()
