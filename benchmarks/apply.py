"""Accounts as code benchmark: `apply -f` next to `create --from-file` of the same accounts.

    python benchmarks/apply.py --rows 10000                      # SQLite
    python benchmarks/apply.py --rows 10000 --postgres postgresql://postgres@127.0.0.1:5432/postgres

Each figure is the whole command (`acctctl ...` run in-process in a fresh worker process, its
imports done before the clock starts) on a fresh scratch database of the same backend,
cloned from a migrated template (benchmarks/bulk.py's Scratch):

* create: `acctctl create customer --from-file rows.csv -o jsonl` - the floor of this run.
* plan: `acctctl plan -f set.yaml -o json` on an empty database (N creates planned).
* apply: `acctctl apply -f set.yaml -o json` on another empty database (it plans too).
* re-apply: the same apply again on that database: 0 changes, N unchanged.

The accounts are the same N customers in both files (number, names, email, country and one
argon2id `password_hash`, so no password is hashed on either side; each gets its SIP device
and PIN). Goals, as ratios of this run: apply <= 2 x create; re-apply <= 1 x create.

Memory: the worker's peak RSS growth over its RSS after imports (VmHWM, reset after the
imports; ru_maxrss where it cannot be reset). Three applies
show what it grows with: a file of N/10 accounts on an empty database, the same N/10 file
(another set) on the database that holds the N accounts, and the N file on an empty one.
Memory follows the file when the second is close to the first and the third is larger.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time

import bulk  # benchmarks/bulk.py: scratch databases and RSS

PASSWORD = "Bench-password-1"


# --- input ---------------------------------------------------------------------------------


def accounts(rows: int, first: int) -> list[dict]:
    from argon2 import PasswordHasher

    hashed = PasswordHasher().hash(PASSWORD)
    return [{"number": str(first + i), "first_name": f"First{i}", "last_name": f"Last{i}",
             "email": f"user{first + i}@example.com", "country": "GB", "password_hash": hashed}
            for i in range(rows)]


def write_inputs(workdir: str, name: str, rows: list[dict], fmt: str) -> tuple[str, str]:
    """(the CSV for create --from-file, the set's file for apply) of the same accounts."""
    rows_path = os.path.join(workdir, f"{name}.csv")
    with open(rows_path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    document = {"set": name, "customers": rows}
    set_path = os.path.join(workdir, f"{name}.{fmt}")
    with open(set_path, "w", encoding="utf-8") as handle:
        if fmt == "yaml":
            import yaml

            yaml.safe_dump(document, handle, sort_keys=False)
        elif fmt == "toml":
            import tomli_w

            handle.write(tomli_w.dumps(document))
        else:
            json.dump(document, handle)
    for path in (rows_path, set_path):
        os.chmod(path, 0o600)
    return rows_path, set_path


# --- the worker: one acctctl command in-process --------------------------------------------


def worker(url: str, argv: list[str]) -> dict:
    """Run `acctctl ARGV` against URL; its time, exit code, peak RSS growth and stdout."""
    os.environ["ACCTCTL_DATABASE_URL"] = url
    os.environ["ACCTCTL_NO_INPUT"] = "1"
    # the imports every command of this benchmark needs, before the baseline and the clock
    import yaml  # noqa: F401

    import acctctl.cli.apply_cmd  # noqa: F401
    import acctctl.cli.create_run  # noqa: F401
    import acctctl.service.accounts  # noqa: F401
    import acctctl.service.apply  # noqa: F401
    from acctctl.cli.app import main

    out = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
    sys.argv = ["acctctl", *argv]
    reset = _reset_peak()
    base = bulk._rss_kib()
    started = time.perf_counter()
    code = 0
    with contextlib.redirect_stdout(out):
        try:
            main()
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    seconds = time.perf_counter() - started
    maxrss = _peak_kib() if reset else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.seek(0)
    return {"seconds": seconds, "code": code, "rss_delta_kib": max(maxrss - base, 0),
            "stdout": out.read()}


def _reset_peak() -> bool:
    """Reset the process's peak RSS (VmHWM) to its RSS now, so the peak measured is the
    command's and not the imports' (Linux: /proc/self/clear_refs)."""
    try:
        with open("/proc/self/clear_refs", "w") as handle:
            handle.write("5")
        return True
    except OSError:
        return False


def _peak_kib() -> int:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def spawn(url: str, *argv: str, cwd: str) -> dict:
    done = subprocess.run([sys.executable, os.path.abspath(__file__), "--worker", url,
                           json.dumps(list(argv))], capture_output=True, text=True, cwd=cwd)
    if done.returncode != 0:
        raise SystemExit(f"worker for {' '.join(argv)} failed:\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if result["code"] != 0:
        raise SystemExit(f"acctctl {' '.join(argv)} exited {result['code']}:\n"
                         f"{done.stderr[-3000:]}")
    return result


def summary(result: dict) -> dict:
    """apply -o json's summary (the counts of each action)."""
    return json.loads(result["stdout"])["summary"]


# --- main ----------------------------------------------------------------------------------


def run(backend: str, workdir: str, n: int, files: dict) -> dict:
    scratch = bulk.Scratch(backend, workdir)
    try:
        figures = {}
        rows_path, set_path = files["big"]
        figures["create"] = spawn(scratch.fresh(), "create", "customer", "--from-file",
                                  rows_path, "-o", "jsonl", cwd=workdir)
        figures["plan"] = spawn(scratch.fresh(), "plan", "-f", set_path, "-o", "json",
                                cwd=workdir)
        planned = json.loads(figures["plan"]["stdout"])
        assert len(planned) == n and {p["action"] for p in planned} == {"create"}, planned[:2]
        applied_url = scratch.fresh()
        figures["apply"] = spawn(applied_url, "apply", "-f", set_path, "-o", "json",
                                 cwd=workdir)
        assert summary(figures["apply"])["create"] == n, summary(figures["apply"])
        figures["re-apply"] = spawn(applied_url, "apply", "-f", set_path, "-o", "json",
                                    cwd=workdir)
        again = summary(figures["re-apply"])
        assert again["unchanged"] == n and sum(again.values()) == n, again
        _, small_path = files["small"]
        figures["small, empty db"] = spawn(scratch.fresh(), "apply", "-f", small_path,
                                           "-o", "json", cwd=workdir)
        figures[f"small, db of {n:,}"] = spawn(applied_url, "apply", "-f", small_path,
                                               "-o", "json", cwd=workdir)
        return figures
    finally:
        scratch.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--format", choices=("yaml", "json", "toml"), default="yaml",
                        help="the set's file format (default yaml)")
    parser.add_argument("--postgres", metavar="URL",
                        help="a PostgreSQL server URL: run there (scratch databases are "
                        "created and dropped) instead of on SQLite")
    parser.add_argument("--worker", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        result = worker(args.worker[0], json.loads(args.worker[1]))
        print(json.dumps(result))
        return

    backend = "postgresql" if args.postgres else "sqlite"
    if args.postgres:
        bulk.PG_URL = args.postgres
    n, small = args.rows, max(args.rows // 10, 1)
    workdir = tempfile.mkdtemp(prefix="acctctl-bench-apply-")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {platform.platform()}, "
          f"load average {os.getloadavg()[0]:.1f} at start")
    files = {"big": write_inputs(workdir, "bench", accounts(n, 4_000_000_000), args.format),
             "small": write_inputs(workdir, "small", accounts(small, 5_000_000_000),
                                   args.format)}
    print(f"backend: {backend}; {n:,} customers (set file: {args.format}, "
          f"{os.path.getsize(files['big'][1]) / 1e6:.1f} MB); memory runs: {small:,}\n")
    figures = run(backend, workdir, n, files)
    print(f"{'command':<24} {'seconds':>8} {'accounts/s':>11} {'peak RSS +':>12}")
    for label, r in figures.items():
        count = small if label.startswith("small") else n
        print(f"{label:<24} {r['seconds']:8.1f} {count / r['seconds']:11,.1f} "
              f"{bulk.mib(r['rss_delta_kib']):>12}")
    create = figures["create"]["seconds"]
    ratios = [("apply / create --from-file", figures["apply"]["seconds"] / create, 2.0),
              ("re-apply / create --from-file", figures["re-apply"]["seconds"] / create, 1.0)]
    print(f"\nplan + apply: {figures['plan']['seconds'] + figures['apply']['seconds']:.1f} s "
          f"(apply plans too: the plan alone is {figures['plan']['seconds']:.1f} s)")
    failed = False
    for label, ratio, goal in ratios:
        ok = ratio <= goal
        failed |= not ok
        print(f"{label:<32} {ratio:5.2f} x  (goal <= {goal:.0f} x)  {'ok' if ok else 'MISSED'}")
    empty = figures["small, empty db"]["rss_delta_kib"]
    full = figures[f"small, db of {n:,}"]["rss_delta_kib"]
    big = figures["apply"]["rss_delta_kib"]
    print(f"memory: {small:,}-account file on an empty db {bulk.mib(empty).strip()}, on a db "
          f"of {n:,} {bulk.mib(full).strip()}; {n:,}-account file {bulk.mib(big).strip()}")
    follows = full <= empty * 1.25 + 8 * 1024 and big > full
    print("memory grows with the file, not the database: "
          f"{'yes' if follows else 'NO'}")
    sys.exit(1 if failed or not follows else 0)


if __name__ == "__main__":
    main()
