"""`make run`: migrate the embedded SQLite database, load the demo once, then serve on 127.0.0.1
with gunicorn and a task worker beside it. Ctrl-C stops both."""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def take_terminal() -> int | None:
    """Make this process the terminal's foreground group, so that Ctrl-C reaches it (and the
    server and worker it starts) but not `make`, which would print an error line for it.
    Returns the group to give the terminal back to."""
    if not sys.stdin.isatty():
        return None
    original = os.getpgrp()
    try:
        os.setpgid(0, 0)
        give_terminal(os.getpgrp())
    except OSError:
        return None  # no job control here: make sees the signal as it would anyway
    return original


def give_terminal(group: int) -> None:
    previous = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # a background group may not take it otherwise
    try:
        os.tcsetpgrp(sys.stdin.fileno(), group)
    finally:
        signal.signal(signal.SIGTTOU, previous)


def main() -> int:
    original_group = take_terminal()
    try:
        return serve()
    finally:
        if original_group is not None:
            give_terminal(original_group)


def serve() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "smoothlms.config.settings", "PORT": str(args.port)}
    env.setdefault("SITE_URL", f"http://127.0.0.1:{args.port}")
    smoothlms = str(BIN / "smoothlms")
    for step in (["migrate", "--noinput", "-v0"], ["demo", "--if-empty"]):
        if subprocess.call([smoothlms, *step], cwd=ROOT, env=env) != 0:
            return 1
    from smoothlms.demo.accounts import LOGINS  # plain data: importing it starts no Django

    url = f"http://127.0.0.1:{args.port}"
    print(f"\nSmooth LMS on {url}\n  portal  {url}/lms/batches\n  desk    {url}/app/\n  sign in {url}/login")
    print(f"  API     {url}/api/v1/docs\n\nDemo logins:")
    for email, password, roles, _ in LOGINS:
        print(f"  {email:24} {password:18} {', '.join(roles)}")
    print("\nCtrl-C stops the server and the worker.\n", flush=True)
    worker = subprocess.Popen([smoothlms, "worker"], cwd=ROOT, env=env)
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "smoothlms.config.wsgi",
            "--bind",
            f"127.0.0.1:{args.port}",
            "--workers",
            "2",
            "--threads",
            "4",
            "--access-logfile",
            "-",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        while True:
            for name, process in (("server", server), ("worker", worker)):
                if process.poll() is not None:
                    print(f"the {name} stopped (exit {process.returncode})", file=sys.stderr)
                    return process.returncode or 1
            try:
                server.wait(timeout=1)
            except subprocess.TimeoutExpired:
                pass
    except KeyboardInterrupt:
        print("\nstopping the server and the worker", flush=True)
        return 0
    finally:
        for process in (server, worker):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in (server, worker):
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


if __name__ == "__main__":
    sys.exit(main())
