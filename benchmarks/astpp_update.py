"""`account update --from-file` next to `create customer --from-file` on the astpp target.

    python benchmarks/astpp_update.py --rows 10000

One run, one fresh MariaDB database in ASTPP's shape (tests/astpp/schema.sql, this project's
own schema written from ASTPP's facts), the real `acctctl` commands in fresh processes:

1. `acctctl create customer --from-file create.csv` (number, names, email; generated
   passwords, stored in ASTPP's encoding, and SIP devices, as ASTPP's form writes them);
2. `acctctl account update --from-file update.csv` of the same accounts, a few fields each
   (first name, city, channels, low-balance limit).

Both rates are rows/s of the whole command (start-up included); the CPU columns are
acctctl's own process (not MariaDB's), steadier than wall time on a loaded machine. Goal:
update >= 50 % of create's rate. Server: ACCTCTL_BENCH_MYSQL_URL (default
mysql://root@127.0.0.1:3306); the scratch database is dropped at the end.
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

MYSQL_URL = os.environ.get("ACCTCTL_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306")
ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "tests" / "astpp" / "schema.sql"
PUBLIC_KEY = "8YSDaBtDHAB3EQkxPAyTz2I5DttzA9uR"  # ASTPP's shipped key, as the seed admin's
GOAL = 0.50


def server():
    import pymysql
    from sqlalchemy.engine import make_url

    url = make_url(MYSQL_URL.replace("mariadb://", "mysql://", 1))
    return pymysql, dict(host=url.host or "127.0.0.1", port=url.port or 3306,
                         user=url.username or "root", password=url.password or "",
                         charset="utf8mb4", autocommit=True)


def load_schema(cur) -> None:
    lines = [ln for ln in SCHEMA.read_text().splitlines() if not ln.lstrip().startswith("--")]
    for statement in "\n".join(lines).split(";\n"):
        if statement.strip():
            cur.execute(statement)


def write_rows(path: Path, header: list[str], rows) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)


def run(config: Path, *args: str) -> tuple[float, float]:
    """(seconds the command took, CPU seconds of its process); its output goes to a file
    (generated secrets included)."""
    env = {**os.environ, "ACCTCTL_CONFIG": str(config), "ACCTCTL_NO_INPUT": "1",
           "NO_COLOR": "1"}
    env.pop("ACCTCTL_DATABASE_URL", None)
    out = config.parent / f"out-{args[0]}.jsonl"
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    with out.open("wb") as stdout:
        done = subprocess.run([sys.executable, "-m", "acctctl", *args, "-o", "jsonl"],
                              stdout=stdout, stderr=subprocess.PIPE, env=env)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu_s = after.ru_utime + after.ru_stime - cpu.ru_utime - cpu.ru_stime
    out.unlink()
    if done.returncode != 0:
        sys.exit(f"acctctl {' '.join(args)} exited {done.returncode}:\n"
                 f"{done.stderr.decode()[-2000:]}")
    return seconds, cpu_s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows
    pymysql, params = server()
    name = f"acctctl_bench_{uuid.uuid4().hex[:10]}"
    admin = pymysql.connect(**params)
    with admin.cursor() as cur:
        cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8")
        cur.execute(f"USE `{name}`")
        cur.execute("SET SESSION sql_mode = ''")  # as ASTPP's installer sets the server
        load_schema(cur)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            keyfile = work / "astpp-config.conf"
            keyfile.write_text(f'PRIVATE_KEY = "{PUBLIC_KEY}"\n')
            keyfile.chmod(0o600)
            auth = params["user"] + (f":{params['password']}" if params["password"] else "")
            config = work / "acctctl.toml"
            config.write_text(
                f'[database]\nurl = "mysql://{auth}@{params["host"]}:{params["port"]}/{name}"'
                f'\ntarget = "astpp"\n\n[astpp]\nconfig_file = "{keyfile}"\n')
            config.chmod(0o600)
            numbers = [str(5_000_000_000 + i) for i in range(rows)]
            write_rows(work / "create.csv", ["number", "first_name", "last_name", "email"],
                       ([n, f"First{i}", f"Last{i}", f"user{i}@example.com"]
                        for i, n in enumerate(numbers)))
            write_rows(work / "update.csv",
                       ["number", "first_name", "city", "max_channels", "low_balance_alert"],
                       ([n, f"Renamed{i}", "Pune", str(i % 5 + 1), "2.5"]
                        for i, n in enumerate(numbers)))
            create_s, create_cpu = run(config, "create", "customer", "--from-file",
                           str(work / "create.csv"))
            print(f"create: {create_s:.1f} s", file=sys.stderr, flush=True)
            update_s, update_cpu = run(config, "account", "update", "--from-file",
                           str(work / "update.csv"))
        with admin.cursor() as cur:  # the update really landed
            cur.execute(f"SELECT COUNT(*) FROM `{name}`.accounts WHERE first_name LIKE "
                        "'Renamed%%' AND city = 'Pune' AND deleted = 0")
            (changed,) = cur.fetchone()
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        admin.close()
    create_rate, update_rate = rows / create_s, rows / update_s
    ratio = update_rate / create_rate
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}, load average {load:.1f} at the end")
    print(f"rows: {rows:,} customers on one MariaDB ASTPP database ({changed:,} updated)\n")
    print(f"{'command':<32}{'seconds':>9}{'rows/s':>10}{'CPU s':>8}{'rows/CPU s':>12}")
    for label, seconds, cpu in (("create customer --from-file", create_s, create_cpu),
                                ("account update --from-file", update_s, update_cpu)):
        print(f"{label:<32}{seconds:>9.1f}{rows / seconds:>10,.1f}{cpu:>8.1f}"
              f"{rows / cpu:>12,.1f}")
    verdict = "met" if ratio >= GOAL else "NOT met"
    print(f"\nupdate / create: {ratio:.0%}  [>= {GOAL:.0%}: {verdict}]; by acctctl's own CPU "
          f"time (not the server's): {create_cpu / update_cpu:.0%}")
    if changed != rows:
        sys.exit(f"only {changed} of {rows} accounts carry the update")


if __name__ == "__main__":
    main()
