"""Snapshot every figure the demo produces, and compare two snapshots.

A refactor that must change no figure (docs/architecture.md) is checked by building the
demo before and after, snapshotting both and comparing:

    payeropt demo --out out/before          # at the old commit
    python scripts/demo_figures.py snapshot out/before out/before.snap
    payeropt demo --out out/after           # at the new commit
    python scripts/demo_figures.py snapshot out/after out/after.snap
    python scripts/demo_figures.py compare out/before.snap out/after.snap [--ignore REGEX]

``--ignore`` masks what a regular expression matches on both sides before comparing: to
show that an intended change (a reworded sentence, say) is the only one.

A snapshot holds: every packet page's HTML with its random ids and generation time
normalized; the CSV of every worklist verb (underpayments, over-payments, tasks, remits,
problems, denials, the audit trail without its times and hashes); every table of the
store, rows sorted, without times; and the SHA-256 of every demo input file. It reads the
store with the standard library and runs the installed ``payeropt`` command, so it works
on any commit, whatever the package's inside looks like.
"""

from __future__ import annotations

import csv
import difflib
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

ORG = "demo"
# Columns that hold the wall-clock time of a run or a value derived from it.
VOLATILE = re.compile(r"(^|_)(at|hash|head)$")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STAMP = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?Z?( UTC)?")
CELL_ID = re.compile(r'(id|data-cell-id)="cell-id=[^"]*"')


def _normalized_html(text: str) -> str:
    text = UUID.sub("<uuid>", text)
    text = STAMP.sub("<time>", text)
    return CELL_ID.sub(r'\1="<cell>"', text)


def _tables(db: Path, out: Path, demo_dir: Path) -> None:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    names = [
        r[0]
        for r in con.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "AND name <> 'alembic_version' ORDER BY name"
        )
    ]
    for name in names:
        cursor = con.execute(f'SELECT * FROM "{name}"')
        columns = [d[0] for d in cursor.description]
        keep = [i for i, c in enumerate(columns) if not VOLATILE.search(c)]
        # The packet's folder is named in the report.run audit entry.
        rows = [tuple(_no_dir(row[i], demo_dir) for i in keep) for row in cursor]
        rows.sort(key=lambda r: tuple((v is None, str(v)) for v in r))
        with open(out / f"{name}.csv", "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow([columns[i] for i in keep])
            writer.writerows(rows)
    con.close()


def _no_dir(value: object, demo_dir: Path) -> object:
    return value.replace(str(demo_dir), "<out>") if isinstance(value, str) else value


def _worklists(db: Path, out: Path, demo_dir: Path) -> None:
    exe = Path(sys.executable).with_name("payeropt")
    env = {
        **os.environ,
        "PAYEROPT_DB": f"sqlite:///{db.resolve()}",
        "PAYEROPT_ACTOR": "snapshot",
        "PAYEROPT_ROLE": "billing_manager",
    }
    verbs = {
        "underpayments": ["underpayments", ORG],
        "overpayments": ["underpayments", ORG, "--over"],
        "tasks": ["tasks", ORG, "--all"],
        "remits": ["remits", ORG],
        "problems": ["remits", ORG, "--unbalanced", "--unmatched"],
        "denials": ["denials", ORG],
        "audit": ["audit", ORG],
    }
    for name, argv in verbs.items():
        target = out / f"{name}.csv"
        subprocess.run([exe, *argv, "--csv", target], env=env, check=True, capture_output=True)
        with open(target, newline="") as handle:
            rows = list(csv.reader(handle))
        if rows:
            keep = [i for i, c in enumerate(rows[0]) if not VOLATILE.search(c)]
            with open(target, "w", newline="") as handle:
                csv.writer(handle).writerows(
                    [[_no_dir(r[i], demo_dir) for i in keep] for r in rows]
                )


def snapshot(demo_dir: Path, snap: Path) -> None:
    """Write the snapshot of a built demo (``payeropt demo --out DEMO_DIR``) to ``snap``."""
    if snap.exists():
        shutil.rmtree(snap)
    for part in ("pages", "tables", "worklists"):
        (snap / part).mkdir(parents=True)
    for page in sorted(demo_dir.glob("*.html")):
        (snap / "pages" / f"{page.name}.txt").write_text(_normalized_html(page.read_text()))
    db = demo_dir / "payeropt.sqlite"
    # The tables first: a worklist verb may add its own audit entry.
    _tables(db, snap / "tables", demo_dir)
    _worklists(db, snap / "worklists", demo_dir)
    files = sorted(p for p in (demo_dir / "files").rglob("*") if p.is_file())
    lines = [
        f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.relative_to(demo_dir)}" for p in files
    ]
    (snap / "files.sha256").write_text("\n".join(lines) + "\n")


def compare(a: Path, b: Path, ignore: str | None = None) -> int:
    """Print what differs between two snapshots; 0 when nothing does."""
    masked = re.compile(ignore) if ignore else None

    def text(path: Path) -> str:
        content = path.read_text()
        return masked.sub("<ignored>", content) if masked else content

    names = sorted(
        {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
        | {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    )
    differing = 0
    for name in names:
        left, right = a / name, b / name
        if not left.exists() or not right.exists():
            print(f"only in {'B' if not left.exists() else 'A'}: {name}")
            differing += 1
            continue
        if text(left) == text(right):
            continue
        differing += 1
        diff = difflib.unified_diff(
            text(left).splitlines(),
            text(right).splitlines(),
            f"A/{name}",
            f"B/{name}",
            n=0,
            lineterm="",
        )
        shown = [line[:300] for _, line in zip(range(20), diff, strict=False)]
        print("\n".join(shown))
    print(f"{len(names)} files compared, {differing} differ")
    return 1 if differing else 0


def main(argv: list[str]) -> int:
    if len(argv) == 3 and argv[0] == "snapshot":
        snapshot(Path(argv[1]), Path(argv[2]))
        return 0
    if len(argv) in (3, 5) and argv[0] == "compare":
        ignore = argv[4] if len(argv) == 5 and argv[3] == "--ignore" else None
        if len(argv) == 5 and ignore is None:
            print(__doc__, file=sys.stderr)
            return 2
        return compare(Path(argv[1]), Path(argv[2]), ignore)
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
