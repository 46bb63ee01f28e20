"""docs/astpp.md runs as written against an ASTPP database (issue 16).

Its set-up in order, on a fresh HOME with no config and no ACCTCTL_DATABASE_URL: step 1's
SQL (the database user and its grants), step 2's shell lines (the password file and
`config init`), then step 3's commands. Only the site's names are replaced: the test's
database for `astpp`, the test server for `astpp-db.example:3306`, a user of the test's own
for `acctctl`@`10.0.0.5`, and a key file for `/var/lib/astpp/astpp-config.conf`.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from pathlib import Path

from astpp.conftest import PUBLIC_KEY, _server, statements
from test_docs_run import fence, runnable_lines, script

DOC = Path(__file__).resolve().parents[2] / "docs" / "astpp.md"
SQL_BLOCK = re.compile(r"^[ \t]*```sql[ \t]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)


def test_the_astpp_set_up_and_use_run_as_written(astpp_db, tmp_path):
    name, _ = astpp_db
    params, pymysql = _server()
    user = f"acctctl_{uuid.uuid4().hex[:8]}"
    key_file = tmp_path / "astpp-config.conf"
    key_file.write_text(f'PRIVATE_KEY = "{PUBLIC_KEY}"\n')
    text = DOC.read_text(encoding="utf-8")

    def sql_site(statement: str) -> str:
        return (statement.replace("'acctctl'@'10.0.0.5'", f"'{user}'@'%'")
                .replace(" astpp.", f" `{name}`."))

    def site(line: str) -> str:
        return (line.replace("acctctl@astpp-db.example:3306/astpp",
                             f"{user}@{params['host']}:{params['port']}/{name}")
                .replace("/var/lib/astpp/astpp-config.conf", str(key_file)))

    grants = [sql_site(s) for s in statements(SQL_BLOCK.search(text).group(1))
              if "CREATE USER" in s or "GRANT" in s]
    assert grants and grants[0].startswith("CREATE USER")
    set_up = runnable_lines(text)  # step 2
    use = runnable_lines(text, fence("sh runnable-astpp"))  # step 3
    assert any("config init --target astpp" in command for _, command, _ in set_up)
    assert len(use) >= 3
    lines = [(number, site(command), code) for number, command, code in set_up + use]

    admin = pymysql.connect(**params)
    try:
        with admin.cursor() as cur:
            for statement in grants:
                cur.execute(statement)
        home, work = tmp_path / "home", tmp_path / "work"
        home.mkdir()
        work.mkdir()
        keep = {k: v for k, v in os.environ.items()
                if not k.startswith(("ACCTCTL_", "XDG_", "_ACCTCTL")) and k != "COLUMNS"}
        env = {**keep, "HOME": str(home), "NO_COLOR": "1",
               "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"]}
        result = subprocess.run(["bash", "-c", script("astpp.md", lines)], cwd=work, env=env,
                                stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                timeout=600)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "a-long-random-password" not in result.stdout + result.stderr
        password = home / ".config" / "acctctl" / "astpp-db-password"
        assert password.stat().st_mode & 0o077 == 0
    finally:
        with admin.cursor() as cur:
            cur.execute(f"DROP USER IF EXISTS '{user}'@'%'")
        admin.close()
