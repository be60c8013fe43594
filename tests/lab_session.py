"""Helpers for the browser tests: start JupyterLab or Voila on a free port, and drive notebooks.

Used by ``tests/test_browser.py`` only.  Servers run from the venv's Python with every Jupyter,
IPython and matplotlib state directory in a temporary folder, so nothing is read from or written
to ``$HOME``; Chromium is Debian's ``/usr/bin/chromium`` (``make test`` installs it), driven by
Playwright without ``playwright install``.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
ROOT = Path(__file__).resolve().parents[1]


def _makefile_lab_flags() -> dict[str, str]:
    """The ``--Name=value`` flags of the Makefile's ``lab`` recipe (the tests serve the same)."""
    recipe = re.search(r"^lab:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    text = recipe.group(1) if recipe else ""
    return dict(re.findall(r"(--[A-Za-z]+\.[A-Za-z_]+)=(\S+)", text))


def makefile_recipe(target: str) -> str:
    """The command lines of a Makefile target."""
    recipe = re.search(rf"^{target}:.*?\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    return recipe.group(1) if recipe else ""


#: ``--ServerApp.root_dir``, ``--LabApp.default_url``... as ``make lab`` passes them.
MAKEFILE_LAB_FLAGS = _makefile_lab_flags()

#: How Voila runs (here and in ``make voila``).  Kernels talk to the server over Unix sockets
#: (``ipc``) in Voila's private connection folder, not over TCP ports: jupyter_client picks a
#: free TCP port, closes it, and the kernel binds it a second later; if another program takes
#: the port in between (jupyter_client#487; likely on a shared machine), the kernel dies,
#: restarts on new ports that the Voila executor never learns, and the page never ends (it
#: sends heartbeats for ever).  That was the "second Voila launch hangs now and then".  A cell
#: that never finishes becomes an error with its traceback in the server log.
VOILA_FLAGS = ["--KernelManager.transport=ipc", "--VoilaExecutor.timeout=240",
               "--show_tracebacks=True"]  # fmt: skip
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROOT_FLAG = ["--allow-root"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []


@dataclass(frozen=True)
class Server:
    """A running Jupyter server: base URL, token and log file."""

    url: str
    token: str
    log: Path
    pid: int = 0


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def isolated_env(state: Path) -> dict[str, str]:
    """Return os.environ with Jupyter/IPython/matplotlib state under ``state`` and no MPLBACKEND."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(state / var.lower())
    env["MPLCONFIGDIR"] = str(state / "matplotlib")
    # A hung server or kernel can be made to print every thread's stack (see dump_stacks).
    env["PYTHONFAULTHANDLER"] = "1"
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        Path(env[var]).mkdir(parents=True, exist_ok=True)
    return env


def _is_up(port: int, url: str | None) -> bool:
    if url is None:  # just a listening socket (a GET on Voila's page would run the notebook)
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", port)) == 0
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def _wait_until_up(
    port: int, url: str | None, proc: subprocess.Popen[bytes], log: Path, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-3000:]}")
        if _is_up(port, url):
            return
        time.sleep(0.3)
    raise RuntimeError(f"server not up after {timeout:.0f} s:\n{log.read_text()[-3000:]}")


@contextmanager
def jupyter_server(
    kind: str, root_dir: Path, state: Path, token: str, notebook: str | None = None
) -> Iterator[Server]:
    """Start ``jupyter lab`` (kind="lab") or ``voila NOTEBOOK`` (kind="voila"); stop it after."""
    port = free_port()
    log = state / f"{kind}-server.log"
    if kind == "lab":
        default_url = MAKEFILE_LAB_FLAGS.get("--LabApp.default_url", "/lab")
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", *ROOT_FLAG,
               "--ip", "127.0.0.1", f"--port={port}", f"--IdentityProvider.token={token}",
               "--LabApp.news_url=None", "--LabApp.expose_app_in_browser=True",
               f"--ServerApp.root_dir={root_dir}",
               f"--LabApp.default_url={default_url}"]  # fmt: skip
        probe: str | None = f"http://127.0.0.1:{port}/api/status?token={token}"
    else:
        cmd = [sys.executable, "-m", "voila", "--no-browser", f"--port={port}",
               "--Voila.ip=127.0.0.1", *VOILA_FLAGS, str(root_dir / (notebook or ""))]  # fmt: skip
        probe = None
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=root_dir, env=isolated_env(state), stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        _wait_until_up(port, probe, proc, log, timeout=90)
        yield Server(url=f"http://127.0.0.1:{port}", token=token, log=log, pid=proc.pid)
    finally:
        # The server and the kernels it started form the process group we created above.
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=15)
        except ProcessLookupError:
            pass


def dump_stacks(server: Server) -> str:
    """Make the server and its kernels print every thread's Python stack into the server log
    (``PYTHONFAULTHANDLER`` prints them on SIGABRT), then return the log: what a stuck
    dashboard was doing, for the failure message."""
    import psutil

    try:
        root = psutil.Process(server.pid)
        procs = [*root.children(recursive=True), root]
    except psutil.NoSuchProcess:
        procs = []
    for proc in procs:
        try:
            os.kill(proc.pid, signal.SIGABRT)
        except ProcessLookupError:
            continue
    time.sleep(2)
    return server.log.read_text(encoding="utf-8", errors="replace")


# JavaScript run in the page through JupyterLab's app object (--LabApp.expose_app_in_browser).
JS_NOTEBOOK_STATE = """() => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) { return null; }
  const cells = panel.content.widgets.filter(c => c.model.type === 'code'
                                                 && c.model.sharedModel.getSource().trim());
  const errors = [];
  let outputs = 0, pending = 0;
  for (const cell of cells) {
    const list = cell.model.outputs.toJSON();
    outputs += list.length;
    if (cell.model.executionCount === null) { pending += 1; }
    for (const o of list) {
      if (o.output_type === 'error') { errors.push(o.ename + ': ' + o.evalue); }
    }
  }
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  return {cells: cells.length, pending, outputs, errors,
          status: kernel ? kernel.status : 'none'};
}"""
