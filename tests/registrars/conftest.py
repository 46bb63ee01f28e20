"""Fixtures for SIP registrar tests (contract §11): a fresh registrar database per test on
MariaDB and on PostgreSQL, its `subscriber` table made from Debian's kamailio create
scripts, a real Kamailio answering REGISTER on 127.0.0.1 and SIPp driving it.

Kamailio and SIPp come from Debian's kamailio, kamailio-mysql-modules,
kamailio-postgres-modules and sip-tester packages (.ci/run installs them). Without them these
tests are skipped, unless ACCTCTL_REQUIRE_KAMAILIO=1 (CI), where that fails the run; the
registrar databases follow ACCTCTL_TEST_MYSQL_URL / ACCTCTL_TEST_POSTGRES_URL and their
ACCTCTL_REQUIRE_* the same way. Every process is started here and stopped by its pid.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import MYSQL_URL, PG_URL, REQUIRE_MYSQL, REQUIRE_PG, _PgServer, unique_name

REQUIRE_KAMAILIO = os.environ.get("ACCTCTL_REQUIRE_KAMAILIO", "") == "1"
KAMAILIO_SQL = Path("/usr/share/kamailio")
MODULES = Path("/usr/lib/x86_64-linux-gnu/kamailio/modules")
HERE = Path(__file__).parent
START_TIMEOUT_S = 15
SIPP_TIMEOUT_S = 90


def _absent(what: str, required: bool) -> None:
    if required:
        pytest.fail(f"{what} is required here (ACCTCTL_REQUIRE_*=1) but missing")
    pytest.skip(f"{what} missing")


@pytest.fixture(scope="session")
def sip_tools() -> dict[str, str]:
    """The kamailio and sipp binaries and the modules the test config loads."""
    tools = {name: shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
             for name in ("kamailio", "sipp")}
    missing = [name for name, path in tools.items() if not path]
    missing += [m for m in ("db_mysql", "db_postgres", "auth_db")
                if not (MODULES / f"{m}.so").exists()]
    if missing or not (KAMAILIO_SQL / "mysql" / "auth_db-create.sql").exists():
        _absent(f"Kamailio/SIPp ({', '.join(missing) or 'create scripts'}; apt-get install "
                "kamailio kamailio-mysql-modules kamailio-postgres-modules sip-tester)",
                REQUIRE_KAMAILIO)
    return tools  # type: ignore[return-value]


@dataclass
class RegistrarDb:
    backend: str  # "mysql" | "postgresql"
    name: str
    acctctl_url: str  # for [[registrars]] url
    kamailio_url: str  # for auth_db's db_url

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        """Run one statement as the test (not as acctctl); rows when it returns any."""
        conn = _connect(self.backend, self.name)
        try:
            cur = conn.cursor()
            cur.execute(sql, params)
            rows = list(cur.fetchall()) if cur.description else []
            conn.commit()
            return rows
        finally:
            conn.close()


def _server(backend: str):
    from sqlalchemy.engine import make_url

    raw = MYSQL_URL.replace("mariadb://", "mysql://", 1) if backend == "mysql" else PG_URL
    return make_url(raw)


def _connect(backend: str, database: str | None):
    url = _server(backend)
    if backend == "mysql":
        import pymysql

        return pymysql.connect(host=url.host or "127.0.0.1", port=url.port or 3306,
                               user=url.username or "root", password=url.password or "",
                               database=database, autocommit=database is None)
    import psycopg

    return psycopg.connect(host=url.host or "127.0.0.1", port=url.port or 5432,
                           user=url.username or "postgres", password=url.password or None,
                           dbname=database or url.database or "postgres",
                           autocommit=database is None, connect_timeout=10)


def _statements(text: str) -> list[str]:
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";\n") if s.strip()]


def make_registrar_db(backend: str, scripts: tuple[str, ...] = ("standard", "auth_db")
                      ) -> RegistrarDb:
    """A fresh database with the tables of Debian's kamailio create scripts
    (<backend>/<script>-create.sql); no scripts: an empty one."""
    if backend == "mysql" and not MYSQL_URL:
        _absent("a MariaDB server (ACCTCTL_TEST_MYSQL_URL)", REQUIRE_MYSQL)
    if backend == "postgresql" and not PG_URL:
        _absent("a PostgreSQL server (ACCTCTL_TEST_POSTGRES_URL)", REQUIRE_PG)
    name = unique_name("acctctl_reg")
    if backend == "postgresql":
        _pg().run(f"CREATE DATABASE {name}")
    else:
        admin = _connect(backend, None)
        try:
            admin.cursor().execute(f"CREATE DATABASE {name}")
        finally:
            admin.close()
    folder = KAMAILIO_SQL / ("mysql" if backend == "mysql" else "postgres")
    conn = _connect(backend, name)
    try:
        cur = conn.cursor()
        for script in scripts:
            for statement in _statements((folder / f"{script}-create.sql").read_text()):
                cur.execute(statement)
        conn.commit()
    finally:
        conn.close()
    url = _server(backend)
    host, port = url.host or "127.0.0.1", url.port or (3306 if backend == "mysql" else 5432)
    user = url.username or ("root" if backend == "mysql" else "postgres")
    auth = f"{user}:{url.password}" if url.password else user
    scheme = "mysql" if backend == "mysql" else "postgresql"
    kam_scheme = "mysql" if backend == "mysql" else "postgres"
    return RegistrarDb(backend, name, f"{scheme}://{auth}@{host}:{port}/{name}",
                       f"{kam_scheme}://{auth}@{host}:{port}/{name}")


def drop_registrar_db(db: RegistrarDb) -> None:
    """Dropped (a PostgreSQL one in the background, while the next tests run)."""
    if db.backend == "postgresql":
        _pg().drop(db.name)
        return
    admin = _connect(db.backend, None)
    try:
        admin.cursor().execute(f"DROP DATABASE IF EXISTS {db.name}")
    finally:
        admin.close()


_PG_SERVERS: list[_PgServer] = []


def _pg() -> _PgServer:
    """This worker's connections for registrar databases on the PostgreSQL test server: a
    DROP DATABASE forces a checkpoint (seconds on a busy machine), which _PgServer runs in
    the background."""
    if not _PG_SERVERS:
        _PG_SERVERS.append(_PgServer(PG_URL))
    return _PG_SERVERS[0]


@pytest.fixture(scope="session", autouse=True)
def _close_pg_servers():
    yield
    while _PG_SERVERS:
        _PG_SERVERS.pop().close()  # waits for the last drops


@pytest.fixture(params=["mysql", "postgresql"])
def registrar_db(request):
    """A Kamailio version-7 `subscriber` (Debian's create scripts) in a fresh database."""
    db = make_registrar_db(request.param)
    yield db
    drop_registrar_db(db)


@pytest.fixture
def empty_registrar_db():
    """A fresh MariaDB database with no tables: the test makes the ones it needs."""
    db = make_registrar_db("mysql", scripts=())
    yield db
    drop_registrar_db(db)


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


KAMAILIO_CFG = """#!KAMAILIO
# The smallest proxy that authenticates REGISTER from the subscriber table (auth_db).
debug=1
log_stderror=yes
children=2
disable_tcp=yes
listen=udp:127.0.0.1:{port}
mpath="{modules}/"
loadmodule "{driver}.so"
loadmodule "pv.so"
loadmodule "sl.so"
loadmodule "auth.so"
loadmodule "auth_db.so"
modparam("auth_db", "db_url", "{db_url}")
modparam("auth_db", "use_domain", 1)
modparam("auth_db", "calculate_ha1", {calculate_ha1})
modparam("auth_db", "password_column", "{password_column}")
request_route {{
    if (method != "REGISTER") {{ sl_send_reply("405", "Method Not Allowed"); exit; }}
    if (!www_authorize("$td", "subscriber")) {{ www_challenge("$td", "0"); exit; }}
    sl_send_reply("200", "OK");
    exit;
}}
"""


@dataclass
class Kamailio:
    port: int
    process: subprocess.Popen
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # its own pid: it stops its children
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


@pytest.fixture
def kamailio(sip_tools, tmp_path):
    """start(db, plaintext=False) -> a running Kamailio on a free loopback port, reading
    `subscriber` from db: ha1 (calculate_ha1 0), or with plaintext=True the `password`
    column (calculate_ha1 1). Stopped by pid at the end of the test."""
    started: list[Kamailio] = []

    def start(db: RegistrarDb, plaintext: bool = False) -> Kamailio:
        port = free_udp_port()
        cfg = tmp_path / f"kamailio-{port}.cfg"
        cfg.write_text(KAMAILIO_CFG.format(
            port=port, modules=MODULES, db_url=db.kamailio_url,
            driver="db_mysql" if db.backend == "mysql" else "db_postgres",
            calculate_ha1=1 if plaintext else 0,
            password_column="password" if plaintext else "ha1"))
        log = tmp_path / f"kamailio-{port}.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [sip_tools["kamailio"], "-DD", "-E", "-m", "32", "-M", "8", "-f", str(cfg)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        server = Kamailio(port, process, log)
        started.append(server)
        _wait_ready(server)
        return server

    yield start
    for server in started:
        server.stop()


def _wait_ready(server: Kamailio) -> None:
    """Until it answers an OPTIONS on its port (405 by the test config)."""
    deadline = time.monotonic() + START_TIMEOUT_S
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(0.3)
        # a stateless reply goes to the Via's address: ours
        probe = (f"OPTIONS sip:probe@127.0.0.1:{server.port} SIP/2.0\r\n"
                 f"Via: SIP/2.0/UDP 127.0.0.1:{s.getsockname()[1]};branch=z9hG4bK-probe\r\n"
                 "From: <sip:probe@127.0.0.1>;tag=1\r\nTo: <sip:probe@127.0.0.1>\r\n"
                 "Call-ID: probe\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\n"
                 "Content-Length: 0\r\n\r\n").encode()
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                break
            s.sendto(probe, ("127.0.0.1", server.port))
            try:
                if s.recv(4096).startswith(b"SIP/2.0 "):
                    return
            except OSError:
                continue
    server.stop()
    pytest.fail(f"Kamailio did not start:\n{server.log.read_text()[-3000:]}")


def _register(cseq: int, credentials: str = "") -> str:
    """One REGISTER of the scenario; [field1] is the call's credential (see register())."""
    return f"""  <send retrans="500"><![CDATA[

      REGISTER sip:[field2] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:[field0]@[field2]>;tag=[call_number]
      To: <sip:[field0]@[field2]>
      Call-ID: [call_id]
      CSeq: {cseq} REGISTER
      Contact: <sip:[field0]@[local_ip]:[local_port]>{credentials}
      Max-Forwards: 70
      Expires: 60
      Content-Length: 0

  ]]></send>
"""


SCENARIO = ("""<?xml version="1.0" encoding="ISO-8859-1" ?>
<scenario name="register with digest">
""" + _register(1) + """  <recv response="401" auth="true"/>
""" + _register(2, "\n      [field1]") + """  <recv response="{final}"/>
</scenario>
""")


@pytest.fixture
def sipp(sip_tools, tmp_path):
    """register(server, [(username, secret)], domain, expect) -> True when every REGISTER
    ended as expected: "200" (accepted) or "401" (refused again after the digest answer)."""
    runs = [0]

    def register(server: Kamailio, users: list[tuple[str, str]], domain: str,
                 expect: str = "200") -> bool:
        runs[0] += 1
        folder = tmp_path / f"sipp-{runs[0]}"
        folder.mkdir()
        scenario = folder / "register.xml"
        scenario.write_text(SCENARIO.format(final=expect))
        users_csv = folder / "users.csv"
        # SIPp takes a per-call credential as a whole [authentication] keyword in a field.
        # It reads a password that starts with "0x" as hex (1 generated secret in 4096 does),
        # so every secret goes as the hex of its bytes: exact, whatever its characters.
        users_csv.write_text("SEQUENTIAL\n" + "".join(
            f"{u};[authentication username={u} password=0x{s.encode().hex()}];{domain}\n"
            for u, s in users))
        command = [sip_tools["sipp"], f"127.0.0.1:{server.port}", "-sf", str(scenario),
                   "-inf", str(users_csv), "-m", str(len(users)), "-r", "200", "-l", "50",
                   "-i", "127.0.0.1", "-p", str(free_udp_port()), "-nostdin",
                   "-timeout", f"{SIPP_TIMEOUT_S}s", "-timeout_error", "-recv_timeout", "10000",
                   "-trace_err"]
        process = subprocess.Popen(command, cwd=folder, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        try:
            return process.wait(timeout=SIPP_TIMEOUT_S + 15) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)

    return register
