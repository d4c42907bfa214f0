"""`onboard` processes for the tests, forked from a process that has already imported the wizard.

The reliability, command-line and browser tests start about 120 `onboard` processes a run (servers
killed with SIGKILL and restarted, sandbox orgs, command-line runs), and each new interpreter spent
about a second of CPU importing FastAPI, SQLAlchemy, uvicorn and the wizard before it did anything
(docs/benchmarks.md, the test suite's ninth session). Here one fork server per test process
(multiprocessing's ``forkserver``) imports them once, and each process is forked from it, then does
what ``python -m app.cli ARGS`` does: its own environment, working directory, standard streams and
arguments, ``main()``, then the interpreter's way out (waiting for threads that are not daemons,
atexit handlers, the exit status). It is a process of its own, with its own pid: SIGKILL kills it
alone, and nothing of the test process is in it (the fork server is a fresh interpreter, not a copy
of pytest).

A process here is not a child of the test process (the fork server's), so :class:`Launched` gives the
handful of :class:`subprocess.Popen` methods the tests use. tests/test_cli.py still starts the
installed `onboard` script once, as a shell does, so the entry point a person uses stays tested.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable
from multiprocessing.context import ForkServerContext
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx

from app.settings import PROJECT_ROOT

# What a server, a sandbox org or a command imports before it does anything (the database check
# every command makes first included); anything else is imported by the process that needs it.
PRELOAD = ["app.cli", "app.main", "app.store.migrate", "aiosqlite", "psycopg", "okta_sandbox.server", "uvicorn",
           "uvicorn.protocols.http.h11_impl", "uvicorn.lifespan.on", "uvicorn.loops.asyncio", "tests.launch"]


def _context() -> ForkServerContext:
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    return context


def _exit_code(status: object) -> int:
    """The exit status ``sys.exit(status)`` gives (a message is printed, and is status 1)."""
    if status is None:
        return 0
    if isinstance(status, int):
        return status
    print(status, file=sys.stderr)
    return 1


def _interpreter_exit() -> None:
    """What the interpreter does after the main module returns: wait for the threads that are not
    daemons, run the atexit handlers, flush the standard streams."""
    for thread in threading.enumerate():
        if thread is not threading.current_thread() and not thread.daemon:
            thread.join()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        stream.flush()


def _child(args: list[str], env: dict[str, str], cwd: str, stdin: str, stdout: str, stderr: str) -> None:
    """In the forked process: become ``python -m app.cli ARGS`` and exit with its status."""
    os.environ.clear()
    os.environ.update(env)
    os.chdir(cwd)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    opened = {path: os.open(path, os.O_WRONLY) for path in dict.fromkeys((stdout, stderr))}
    reading = os.open(stdin, os.O_RDONLY)
    os.dup2(reading, 0)
    os.dup2(opened[stdout], 1)
    os.dup2(opened[stderr], 2)
    for fd in (reading, *opened.values()):
        os.close(fd)
    sys.stdin = open(0, closefd=False)  # multiprocessing gave the child /dev/null
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(line_buffering=True)  # type: ignore[union-attr]  # as PYTHONUNBUFFERED would
    sys.argv = [str(PROJECT_ROOT / "app" / "cli.py"), *args]
    code = 0
    try:
        from app.cli import main

        main()
    except SystemExit as exited:
        code = _exit_code(exited.code)
    except BaseException:
        traceback.print_exc()
        code = 1
    try:
        _interpreter_exit()
    finally:
        os._exit(code)


class Launched:
    """A process started by :func:`launch`, with the methods of :class:`subprocess.Popen` the tests use."""

    def __init__(self, process: BaseProcess, args: list[str], output: Path) -> None:
        self._process = process
        self.args = args
        self.output = output

    @property
    def pid(self) -> int:
        assert self._process.pid is not None
        return self._process.pid

    def poll(self) -> int | None:
        return self._process.exitcode

    def wait(self, timeout: float | None = None) -> int:
        self._process.join(timeout)
        code = self._process.exitcode
        if code is None:
            raise subprocess.TimeoutExpired(self.args, timeout or 0)
        return code

    def send_signal(self, sig: int) -> None:
        if self._process.exitcode is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def until_answering(self, url: str, *, accept: Callable[[int], bool] = lambda status: status < 500,
                        seconds: float = 60) -> None:
        """Poll ``url`` until it answers with a status ``accept`` takes (a server that is up);
        fail with the process's output if it exits first or does not answer within ``seconds``."""
        deadline = time.monotonic() + seconds
        while True:
            if self.poll() is not None:
                raise AssertionError(f"{' '.join(self.args)} exited before {url} answered:\n{self.printed()}")
            try:
                if accept(httpx.get(url, timeout=1).status_code):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"no answer from {url} after {seconds:.0f} s:\n{self.printed()}")
            time.sleep(0.05)

    def printed(self) -> str:
        """What the process has written to its output so far."""
        return self.output.read_text(errors="replace")

    def stop(self, timeout: float = 10) -> None:
        """Ask it to shut down (SIGTERM); if it has not within ``timeout`` seconds, SIGKILL."""
        self.terminate()
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            self.wait()


def launch(args: list[str], env: dict[str, str], *, output: Path, errors: Path | None = None,
           stdin: Path | None = None, cwd: Path = PROJECT_ROOT) -> Launched:
    """Start ``onboard ARGS`` (``python -m app.cli ARGS``) with exactly ``env``; its standard output
    goes to ``output`` and its standard error to ``errors`` (by default the same file), both made
    empty here first, so that they exist even if the process fails before it writes."""
    for path in {output, errors or output}:
        path.write_bytes(b"")
    process = _context().Process(
        target=_child, args=(list(args), dict(env), str(cwd), str(stdin or os.devnull), str(output),
                             str(errors or output)),
        daemon=True)  # a process a failed test leaves running is stopped when the test process ends
    process.start()
    return Launched(process, ["onboard", *args], output)


def run(args: list[str], env: dict[str, str], *, input: str | None = None, timeout: float = 120,
        cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess[str]:
    """``subprocess.run([python, -m, app.cli, *args], input=..., capture_output=True, text=True)``."""
    with tempfile.TemporaryDirectory(prefix="onboard-run-") as tmp:
        folder = Path(tmp)
        given = folder / "stdin"
        given.write_text(input or "")
        process = launch(args, env, output=folder / "stdout", errors=folder / "stderr", stdin=given, cwd=cwd)
        try:
            code = process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise
        return subprocess.CompletedProcess(process.args, code, (folder / "stdout").read_text(),
                                           (folder / "stderr").read_text())
