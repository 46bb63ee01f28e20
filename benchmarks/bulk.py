"""Bulk creation benchmark: every create path next to a floor, on SQLite and PostgreSQL.

    python benchmarks/bulk.py --rows 10000 --chosen-rows 2000 --backend both

Each run is a fresh process on a fresh scratch database:

* floor: N customers carrying `password_hash`, validated by the same model
  (`validate_account`) and inserted with SQLAlchemy Core executemany into `accounts` only
  (500 rows a call), in one transaction.
* password_hash: `create_accounts` fed by `read_rows` (what `acctctl create customer
  --from-file` runs) on the same N rows, streaming the created records back as `-o jsonl`
  does; it also writes the SIP device, a PIN and an audit event per account. No hashing.
* default (file): the same N rows without any password column: each account gets a generated
  password, hashed with the light argon2id profile. The path most users take.
* default (--count): `--count N` (no input file): generated number, first name, password.
* chosen: M rows (--chosen-rows) with a `password` column: each is hashed with the strong
  profile (the default: t=3, 64 MiB, p=4), on every core. Its rate is compared with cores x
  one core's rate (M/50 strong hashes timed in a process pinned to one core).

Targets, as ratios from one run: default >= 50 % of password_hash; password_hash >= 60 % of
the floor; chosen >= 85 % of cores x one core's hash rate; peak RSS growth <= 150 MiB at
100,000 rows. Memory is the peak RSS growth of the worker over its RSS after imports and
setup (ru_maxrss delta). A separate tracemalloc run of the password_hash path at N/10 and N/5
rows on SQLite shows whether the Python heap grows with the number of rows (streaming check).

PostgreSQL: ACCTCTL_BENCH_POSTGRES_URL (a server URL, default
postgresql://postgres@127.0.0.1:5432/postgres); scratch databases are created and dropped.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

PG_URL = os.environ.get(
    "ACCTCTL_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
CHUNK = 500


# --- input ---------------------------------------------------------------------------------


def make_csv(path: str, rows: int, password: str = "hash") -> None:
    """password: "hash" (a password_hash column), "chosen" (a password column) or "none"."""
    from argon2 import PasswordHasher

    hashed = PasswordHasher().hash("Bench-password-1")  # argon2id, library defaults
    extra = {"hash": ["password_hash"], "chosen": ["password"], "none": []}[password]
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["number", "first_name", "last_name", "email", "country", *extra])
        for i in range(rows):
            cells = {"hash": [hashed], "chosen": [f"Chosen-pass-{i}x"], "none": []}[password]
            writer.writerow([str(4_000_000_000 + i), f"First{i}", f"Last{i}",
                             f"user{i}@example.com", "GB", *cells])
    os.chmod(path, 0o600)


# --- scratch databases ---------------------------------------------------------------------


class Scratch:
    """Fresh migrated databases of one backend, cloned from a migrated template."""

    def __init__(self, backend: str, workdir: str):
        from acctctl.db.engine import make_engine
        from acctctl.db.migrate import upgrade

        self.backend, self.workdir, self.made = backend, workdir, []
        if backend == "sqlite":
            self.template = os.path.join(workdir, "template.db")
            url = f"sqlite:///{self.template}"
        else:
            self.template = f"acctctl_bench_tmpl_{uuid.uuid4().hex[:8]}"
            self._admin(f'CREATE DATABASE "{self.template}"')
            self.made.append(self.template)
            url = self._url(self.template)
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()

    def _url(self, name: str) -> str:
        from sqlalchemy.engine import make_url

        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    def _admin(self, sql: str) -> None:
        import sqlalchemy as sa

        url = PG_URL.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
        engine.dispose()

    def fresh(self) -> str:
        name = f"acctctl_bench_{uuid.uuid4().hex[:8]}"
        if self.backend == "sqlite":
            path = os.path.join(self.workdir, name + ".db")
            shutil.copy(self.template, path)
            return f"sqlite:///{path}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        self.made.append(name)
        return self._url(name)

    def drop(self) -> None:
        if self.backend == "postgresql":
            for name in reversed(self.made):
                self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# --- workers (each in its own process) -----------------------------------------------------


def _rss_kib() -> int:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def worker(what: str, url: str, path: str, trace: bool) -> dict:
    import sqlalchemy as sa  # noqa: F401  (imports happen before the baseline)

    from acctctl.config import Settings
    from acctctl.db.engine import make_engine
    from acctctl.models.validate import validate_account  # noqa: F401
    from acctctl.service.accounts import BatchOptions, create_accounts  # noqa: F401

    settings = Settings()
    if what == "onecore":
        return one_core_rate(settings, int(path))
    engine = make_engine(url)
    with engine.connect() as conn:  # connect (and warm the pool) before the baseline
        conn.exec_driver_sql("SELECT 1")
    if trace:
        import tracemalloc

        tracemalloc.start()
    base = _rss_kib()
    started = time.perf_counter()
    if what == "floor":
        created = run_floor(engine, settings, path)
    elif what == "count":
        created = run_count(engine, settings, int(path))
    else:
        created = run_pipeline(engine, settings, path)
    seconds = time.perf_counter() - started
    peak_traced = None
    if trace:
        import tracemalloc

        peak_traced = tracemalloc.get_traced_memory()[1]
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with engine.connect() as conn:
        stored = conn.exec_driver_sql("SELECT count(*) FROM accounts").scalar_one()
    engine.dispose()
    return {"what": what, "created": created, "stored": stored, "seconds": seconds,
            "rss_delta_kib": max(maxrss - base, 0), "traced_peak": peak_traced}


def one_core_rate(settings, count: int) -> dict:
    """Strong-profile hashes a second in a process pinned to one core, one after another."""
    from acctctl.service import secrets_

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    profile = secrets_.strong_profile(settings)
    secrets_.hash_password("warm-Up-1", profile)
    started = time.perf_counter()
    for i in range(count):
        secrets_.hash_password(f"Chosen-pass-{i}x", profile)
    return {"rate": count / (time.perf_counter() - started)}


def _consume(result) -> int:
    try:
        if result.errors:
            raise SystemExit(f"pipeline reported errors: {result.errors[:3]}")
        return sum(1 for _ in result.created())
    finally:
        result.close()


def run_pipeline(engine, settings, path: str) -> int:
    from acctctl.service.accounts import BatchOptions, create_accounts
    from acctctl.service.rows import read_rows

    return _consume(create_accounts(engine, settings, "customer", read_rows(path, "csv"),
                                    BatchOptions(mode="file", command="benchmarks/bulk.py")))


def run_count(engine, settings, count: int) -> int:
    """What `acctctl create customer --count N` runs."""
    from acctctl.service.accounts import BatchOptions, create_accounts

    rows = ((i, {}) for i in range(1, count + 1))
    return _consume(create_accounts(
        engine, settings, "customer", rows,
        BatchOptions(mode="count", command="benchmarks/bulk.py", first_name_from_number=True)))


def run_floor(engine, settings, path: str) -> int:
    from datetime import UTC, datetime
    from decimal import Decimal

    import sqlalchemy as sa

    from acctctl.models.rules import RuleContext
    from acctctl.models.tables import Account, RateGroup
    from acctctl.models.validate import validate_account
    from acctctl.service.rows import read_rows

    A, RG = Account.__table__, RateGroup.__table__
    now = datetime.now(UTC)
    ctx = RuleContext(settings=settings, now=now)
    batch_id = str(uuid.uuid4())
    created = 0
    with engine.begin() as conn:
        rate_group_id = conn.execute(
            sa.select(RG.c.id).where(RG.c.name == "default", RG.c.reseller_id.is_(None))
        ).scalar_one()
        chunk: list[dict] = []
        for _number, raw in read_rows(path, "csv"):
            m = validate_account("customer", raw, ctx)
            values = {k: v for k, v in m.__dict__.items() if k in A.c}
            values.update(
                kind="customer", password_hash=m.password_hash.get_secret_value(),
                email_key=m.email.casefold() if m.email else None,
                rate_group_id=rate_group_id, reseller_id=None, role_id=None, created_at=now,
                created_by="bench", batch_id=batch_id, balance=Decimal(0),
            )
            chunk.append(values)
            if len(chunk) >= CHUNK:
                conn.execute(sa.insert(A), chunk)
                created += len(chunk)
                chunk = []
        if chunk:
            conn.execute(sa.insert(A), chunk)
            created += len(chunk)
    return created


def spawn(what: str, url: str, path: str, trace: bool = False) -> dict:
    args = [sys.executable, os.path.abspath(__file__), "--worker", what, url, path]
    if trace:
        args.append("--trace")
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"{what} worker failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --- main ----------------------------------------------------------------------------------


def mib(kib: float) -> str:
    return f"{kib / 1024:7.1f} MiB"


PATHS = (  # (label, worker, input): the path most users take first
    ("default (file)", "pipeline", "none"),
    ("default (--count)", "count", None),
    ("password_hash", "pipeline", "hash"),
    ("floor", "floor", "hash"),
    ("chosen", "pipeline", "chosen"),
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--chosen-rows", type=int, default=2_000,
                        help="rows of the chosen-password path (strong hashes: slow)")
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--only", help="comma-separated paths to run (default: all), e.g. "
                        "'default (file)'; ratios are printed for the paths run")
    parser.add_argument("--no-memcheck", action="store_true",
                        help="skip the tracemalloc streaming check")
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(*args.worker, trace=args.trace)))
        return

    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    workdir = tempfile.mkdtemp(prefix="acctctl-bench-")
    try:
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
              f"Python {platform.python_version()}, {platform.platform()}, "
              f"load average {os.getloadavg()[0]:.1f} at start")
        inputs = {}
        for kind, n in (("hash", args.rows), ("none", args.rows), ("chosen", args.chosen_rows)):
            inputs[kind] = os.path.join(workdir, f"{kind}.csv")
            make_csv(inputs[kind], n, kind)
        print(f"rows: {args.rows:,} customers ({args.chosen_rows:,} on the chosen path)\n")
        print(f"{'backend':<11} {'path':<18} {'rows':>7} {'seconds':>8} {'rows/s':>9} "
              f"{'peak RSS +':>13}")
        rates: dict[tuple[str, str], float] = {}
        rss = []
        for backend in backends:
            scratch = Scratch(backend, workdir)
            try:
                for label, what, kind in PATHS:
                    if args.only and label not in args.only.split(","):
                        continue
                    n = args.chosen_rows if kind == "chosen" else args.rows
                    r = spawn(what, scratch.fresh(), inputs[kind] if kind else str(n))
                    assert r["created"] == r["stored"] == n, r
                    rates[backend, label] = n / r["seconds"]
                    if kind != "chosen":  # there RSS is argon2's memory, not the rows'
                        rss.append(r["rss_delta_kib"])
                    print(f"{backend:<11} {label:<18} {n:>7,} {r['seconds']:8.1f} "
                          f"{n / r['seconds']:9,.1f} {mib(r['rss_delta_kib']):>13}", flush=True)
            finally:
                scratch.drop()
        one = cores = 0.0
        if any(label == "chosen" for _, label in rates):
            one = spawn("onecore", "-", str(max(args.chosen_rows // 50, 4)))["rate"]
            cores = len(os.sched_getaffinity(0))
            print(f"\nstrong profile, one core: {one:.2f} hashes/s; {cores} cores: "
                  f"{cores * one:.2f} hashes/s")
        ratios(rates, backends, cores * one, max(rss, default=0), args.rows)
        if not args.no_memcheck:
            memcheck(workdir, max(args.rows // 10, 1000))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def ratios(rates: dict, backends, all_cores: float, rss_kib: float, rows: int) -> None:
    print("\nratios (targets in brackets):")
    targets = [(label, "password_hash", "/ password_hash ", "50")
               for label in ("default (file)", "default (--count)")]
    targets += [("password_hash", "floor", "/ floor         ", "60"),
                ("chosen", None, "/ cores x 1 core", "85")]
    for backend in backends:
        for label, base, text, target in targets:
            if (backend, label) not in rates or (base and (backend, base) not in rates):
                continue
            ratio = rates[backend, label] / (rates[backend, base] if base else all_cores)
            print(f"  {backend:<11} {label:<18} {text} {ratio:6.0%}  [>= {target} %]")
    print(f"  peak RSS growth at {rows:,} rows (chosen path aside): {rss_kib / 1024:.1f} MiB  "
          "[<= 150 MiB at 100,000 rows]")


def memcheck(workdir: str, small: int) -> None:
    """tracemalloc peak of the pipeline at `small` and 2 x `small` rows (SQLite)."""
    print(f"\nstreaming check (tracemalloc, password_hash path, SQLite): {small:,} vs "
          f"{2 * small:,} rows")
    scratch = Scratch("sqlite", workdir)
    peaks = []
    for n in (small, 2 * small):
        path = os.path.join(workdir, f"mem{n}.csv")
        make_csv(path, n, "hash")
        r = spawn("pipeline", scratch.fresh(), path, trace=True)
        peaks.append(r["traced_peak"])
        print(f"  {n:>9,} rows: tracemalloc peak {r['traced_peak'] / 2**20:7.1f} MiB, "
              f"{r['traced_peak'] / n:7.0f} B/row")
    print(f"  growth per extra row: {(peaks[1] - peaks[0]) / small:.0f} B")


if __name__ == "__main__":
    main()
