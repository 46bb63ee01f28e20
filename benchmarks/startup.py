"""Start-up benchmark: what one acctctl command costs an operator, next to a yardstick.

    python benchmarks/startup.py --rounds 15

Each pair (an acctctl command, a bare `python -c 'import …'`) runs side by side, A B A B …,
each as a fresh process; the figure is the CPU time (user + system) of that child, from
os.wait4. The ratio is taken pair by pair and the median is printed, so a machine whose speed
drifts during the run (other work on it) moves both sides of a pair alike. Everything runs in
a temporary HOME with a fresh SQLite database (initialised before the first round), so no
config file or data of the user's is read. acctctl's modules are compiled first (as pip does
on install), so that no run pays for compiling them: with PYTHONDONTWRITEBYTECODE set, or
from a checkout whose sources changed, every run would otherwise compile them again.

Goals (issue 20), as CPU-time ratios:

* `acctctl --help`                         <= 1.2 x `python -c 'import typer'`
* a sub-command's --help, a TAB of values  <= 2   x `python -c 'import typer'`
* a read (`account list -o json`)          <= 1.5 x `python -c 'import sqlalchemy, pydantic,
  sqlite3'`
* one `create customer --dry-run`          <= 2   x the same

The load average before and after is printed: quote it with the figures.
"""

from __future__ import annotations

import argparse
import compileall
import importlib.util
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

TYPER = "import typer"
DATA = "import sqlalchemy, pydantic, sqlite3"

#: (label, acctctl arguments, extra environment, yardstick import, goal)
PAIRS = [
    ("acctctl --help", ["--help"], {}, TYPER, 1.2),
    ("acctctl account --help", ["account", "--help"], {}, TYPER, 2.0),
    ("acctctl account list --help", ["account", "list", "--help"], {}, TYPER, 2.0),
    ("acctctl create customer --help", ["create", "customer", "--help"], {}, TYPER, 2.0),
    ("TAB: account list --kind ", [], {"COMP_WORDS": "acctctl account list --kind ",
                                       "COMP_CWORD": "4"}, TYPER, 2.0),
    ("TAB: create customer --account-type ", [],
     {"COMP_WORDS": "acctctl create customer --account-type ", "COMP_CWORD": "4"}, TYPER, 2.0),
    ("acctctl account list -o json", ["account", "list", "-o", "json"], {}, DATA, 1.5),
    ("acctctl create customer --dry-run",
     ["create", "customer", "--first-name", "Ada", "--email", "ada@example.com",
      "--dry-run", "--no-input", "-o", "json"], {}, DATA, 2.0),
]


def acctctl_command() -> list[str]:
    """The installed entry point next to this Python (what an operator runs), else -m."""
    script = Path(sys.executable).with_name("acctctl")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "acctctl"]


def compile_acctctl() -> None:
    """Byte-compile the acctctl package this Python imports (what each run loads)."""
    spec = importlib.util.find_spec("acctctl")
    for folder in spec.submodule_search_locations or ():
        compileall.compile_dir(folder, quiet=1)


def cpu_seconds(argv: list[str], env: dict[str, str]) -> float:
    """User + system CPU seconds of one child process, from the kernel's accounting."""
    with open(os.devnull, "wb") as sink:
        child = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL, stdout=sink,
                                 stderr=sink)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode not in (0,):
        raise SystemExit(f"{' '.join(argv)} exited {child.returncode}")
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="pairs per command (median)")
    parser.add_argument("--only", help="run the pairs whose label contains this text")
    args = parser.parse_args()

    home = tempfile.mkdtemp(prefix="acctctl-startup-")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ACCTCTL_", "XDG_", "_ACCTCTL"))}
    env.update(HOME=home, COLUMNS="80", NO_COLOR="1")
    acctctl = acctctl_command()
    compile_acctctl()
    try:
        # a fresh database, initialised once (the first use migrates; that is not measured)
        cpu_seconds([*acctctl, "account", "list"], env)
        print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
              f"before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
        print(f"{'command':<40} {'A cpu ms':>9} {'B cpu ms':>9} {'A/B':>6} {'goal':>6}")
        missed = 0
        for label, argv, extra, yardstick, goal in PAIRS:
            if args.only and args.only not in label:
                continue
            run_env = dict(env, **extra)
            if extra:  # a TAB press: the shell sets these and runs the program
                run_env["_ACCTCTL_COMPLETE"] = "complete_bash"
            a_times, b_times, ratios = [], [], []
            for _ in range(args.rounds):
                a = cpu_seconds([*acctctl, *argv], run_env)
                b = cpu_seconds([sys.executable, "-c", yardstick], env)
                a_times.append(a)
                b_times.append(b)
                ratios.append(a / b)
            ratio = statistics.median(ratios)
            ok = ratio <= goal
            missed += not ok
            print(f"{label:<40} {statistics.median(a_times) * 1000:>9.0f} "
                  f"{statistics.median(b_times) * 1000:>9.0f} {ratio:>6.2f} "
                  f"{'<=' if ok else '>'}{goal:>4.1f}   vs python -c '{yardstick}'")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
              f"{missed} goal(s) missed")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
