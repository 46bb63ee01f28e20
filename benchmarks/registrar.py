"""Registrar mirroring benchmark: `acctctl create customer --count N` with one registrar next
to the same run without one, in one run (docs/registrars.md, "Speed").

    python benchmarks/registrar.py --rows 10000 --registrar mysql --accounts sqlite

Each run is the real command in a fresh process, on a fresh accounts database (SQLite file
or PostgreSQL scratch database) and, with a registrar, a fresh Kamailio `subscriber` table
(Debian's kamailio create scripts, /usr/share/kamailio/{mysql,postgres}) in a scratch
database on MariaDB or PostgreSQL, hashes only (store_plaintext = false). The two runs
alternate (--repeat times each) and the best of each is compared.

Goal: with a registrar >= 60 % of the speed without (rows a second). Exit 1 below it.

Servers: ACCTCTL_BENCH_MYSQL_URL (default mysql://root@127.0.0.1:3306) and
ACCTCTL_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
scratch databases are created and dropped.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

MYSQL_URL = os.environ.get("ACCTCTL_BENCH_MYSQL_URL", "mysql://root@127.0.0.1:3306")
PG_URL = os.environ.get("ACCTCTL_BENCH_POSTGRES_URL",
                        "postgresql://postgres@127.0.0.1:5432/postgres")
KAMAILIO_SQL = Path("/usr/share/kamailio")
GOAL = 0.60
RUN_TIMEOUT_S = 1800


def _admin(backend: str, sql: str, database: str | None = None) -> None:
    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    if backend == "mysql":
        url = make_url(MYSQL_URL.replace("mysql://", "mysql+pymysql://", 1))
    else:
        url = make_url(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    if database is not None:
        url = url.set(database=database)
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


def _server_url(backend: str, database: str) -> str:
    from sqlalchemy.engine import make_url

    base = MYSQL_URL if backend == "mysql" else PG_URL
    return make_url(base).set(database=database).render_as_string(hide_password=False)


class Scratch:
    """Scratch databases this run made, dropped at the end."""

    def __init__(self) -> None:
        self.made: list[tuple[str, str]] = []

    def database(self, backend: str) -> str:
        name = f"acctctl_bench_{uuid.uuid4().hex[:10]}"
        _admin(backend, f"CREATE DATABASE {name}")
        self.made.append((backend, name))
        return name

    def registrar(self, backend: str) -> str:
        """A fresh Kamailio version-7 `subscriber` table; its URL."""
        name = self.database(backend)
        folder = KAMAILIO_SQL / ("mysql" if backend == "mysql" else "postgres")
        for script in ("standard", "auth_db"):
            text = (folder / f"{script}-create.sql").read_text()
            lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
            for statement in "\n".join(lines).split(";\n"):
                if statement.strip():
                    _admin(backend, statement, database=name)
        return _server_url(backend, name)

    def accounts(self, backend: str, workdir: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{workdir}/accounts-{uuid.uuid4().hex[:8]}.db"
        return _server_url("postgresql", self.database("postgresql"))

    def drop(self) -> None:
        for backend, name in reversed(self.made):
            force = " WITH (FORCE)" if backend == "postgresql" else ""
            _admin(backend, f"DROP DATABASE IF EXISTS {name}{force}")


def run(rows: int, accounts_url: str, registrar_url: str | None, workdir: str) -> float:
    """Seconds of one `create customer --count rows`, the process started to its end."""
    folder = Path(tempfile.mkdtemp(dir=workdir))
    config = folder / "acctctl.toml"
    text = f'[database]\nurl = "{accounts_url}"\n'
    if registrar_url:
        text += ('\n[[registrars]]\nname = "bench"\nkind = "kamailio"\n'
                 f'url = "{registrar_url}"\ndomain = "sip.bench"\n')
    config.write_text(text)
    config.chmod(0o600)
    env = {**os.environ, "ACCTCTL_CONFIG": str(config)}
    env.pop("ACCTCTL_DATABASE_URL", None)
    # the schema first (an empty database is initialised on first use): not timed
    subprocess.run([sys.executable, "-m", "acctctl", "db", "upgrade"], env=env, cwd=folder,
                   check=True, capture_output=True, timeout=RUN_TIMEOUT_S)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "acctctl", "create", "customer", "--count", str(rows),
         "--secrets-file", "secrets.csv", "-o", "jsonl"],
        env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        timeout=RUN_TIMEOUT_S)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"create failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--registrar", choices=["mysql", "postgresql"], default="mysql")
    parser.add_argument("--accounts", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    scratch = Scratch()
    best = {"without": float("inf"), "with": float("inf")}
    try:
        with tempfile.TemporaryDirectory() as workdir:
            for _ in range(args.repeat):
                for label in ("without", "with"):
                    registrar = scratch.registrar(args.registrar) if label == "with" else None
                    seconds = run(args.rows, scratch.accounts(args.accounts, workdir),
                                  registrar, workdir)
                    best[label] = min(best[label], seconds)
                    print(f"  {label:7} registrar: {seconds:7.2f} s "
                          f"({args.rows / seconds:8.0f} rows/s)", flush=True)
    finally:
        scratch.drop()
    rate = {k: args.rows / v for k, v in best.items()}
    ratio = rate["with"] / rate["without"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
          f"{platform.python_version()}; accounts on {args.accounts}, Kamailio subscriber on "
          f"{args.registrar}, hashes only; best of {args.repeat}")
    print(f"create --count {args.rows}: without a registrar {best['without']:.2f} s "
          f"({rate['without']:.0f} rows/s), with one {best['with']:.2f} s "
          f"({rate['with']:.0f} rows/s)")
    verdict = "meets" if ratio >= GOAL else "MISSES"
    print(f"with / without = {ratio:.0%} (goal >= {GOAL:.0%}): {verdict} the goal")
    return 0 if ratio >= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
