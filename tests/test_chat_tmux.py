"""One `optiform chat` session driven in tmux against the real CLI (a real terminal, so the
prompt_toolkit input with its history file is what runs), offline with the fake backend."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None,
                                reason="tmux is not installed (scripts/setup.sh installs it)")

FIXTURES = Path(__file__).parent / "fixtures" / "surfaces"
PROBLEM = ("A farmer has 100 acres to plant wheat and corn. Wheat earns 300 dollars per acre "
           "and corn 250; wheat needs 3 hours of labor per acre and corn 2, with 240 hours "
           "available. Maximize profit.")
CORN_CAP = "add a constraint that at most 40 acres are corn"
PROMPT = "optiform>"


class Tmux:
    def __init__(self, socket: str) -> None:
        self.socket = socket

    def __call__(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=20)
        if proc.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)}: {proc.stderr}")
        return proc.stdout

    def screen(self) -> str:
        return self("capture-pane", "-p", "-J", "-t", "chat", "-S", "-500")

    def wait_for(self, text: str, timeout: float = 45) -> str:
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if text in screen:
                return screen
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} did not appear; the screen:\n{screen}")
            time.sleep(0.2)

    def wait_prompt(self, timeout: float = 45) -> None:
        """Until the chat waits at an empty prompt (keys sent earlier could reach the terminal
        in cooked mode, where a Ctrl-D is swallowed as end-of-file)."""
        deadline = time.monotonic() + timeout
        while True:
            lines = [ln.rstrip() for ln in self.screen().splitlines() if ln.strip()]
            if lines and lines[-1] == PROMPT:
                return
            if time.monotonic() > deadline:
                raise AssertionError("no empty prompt; the screen:\n" + "\n".join(lines))
            time.sleep(0.1)

    def keys(self, *keys: str) -> None:
        self.wait_prompt()
        self("send-keys", "-t", "chat", *keys)

    def type_line(self, text: str) -> None:
        self.wait_prompt()
        self("send-keys", "-t", "chat", "-l", text)
        self("send-keys", "-t", "chat", "Enter")


@pytest.fixture
def tmux(tmp_path: Path) -> Iterator[tuple[Tmux, Path]]:
    home = tmp_path / "home"
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps([json.loads((FIXTURES / f"{n}.json").read_text())
                                   for n in ("farm_1", "farm_2_corn_cap")]))
    env = {"OPTIFORM_HOME": str(home), "OPTIFORM_BACKEND": "fake", "OPTIFORM_LIBRARY": "false",
           "OPTIFORM_FAKE_ANSWERS": str(answers), "TERM": "xterm-256color",
           "PATH": os.environ.get("PATH", "")}
    chat = shlex.join(["env", "-i", *(f"{k}={v}" for k, v in env.items()),
                       sys.executable, "-m", "optiform.cli", "chat"])
    # the shell records how chat ended (tmux itself is slow to notice a pane's exit)
    status = tmp_path / "status"
    command = shlex.join(["sh", "-c", f"{chat}; echo $? > {shlex.quote(str(status))}; "
                          "sleep 30"])
    t = Tmux(f"optiform-test-{os.getpid()}")
    t("-f", "/dev/null", "new-session", "-d", "-s", "chat", "-x", "160", "-y", "50", command)
    try:
        yield t, tmp_path
    finally:
        subprocess.run(["tmux", "-L", t.socket, "kill-server"], capture_output=True, timeout=20)


def test_chat_session_in_a_real_terminal(tmux: tuple[Tmux, Path]) -> None:
    t, tmp = tmux
    t.type_line(PROBLEM)
    screen = t.wait_for("Solved: objective 27000")
    assert "labor: 3*wheat + 2*corn ≤ labor_hours" in screen

    t.type_line(CORN_CAP)
    screen = t.wait_for("Solved: objective 26000")
    assert "Model changes" in screen and "+ corn_cap: corn ≤ 40" in screen
    assert "objective: 27000 → 26000" in screen

    t.type_line("/undo")
    screen = t.wait_for("undid turn 2")
    assert "- corn_cap: corn ≤ 40" in screen

    t.keys("C-c")  # at the prompt: clears the line, stays in chat
    t.type_line("/threads")
    t.wait_for("Threads")

    t.keys("C-d")  # leaves
    status = tmp / "status"
    deadline = time.monotonic() + 20
    while not status.exists() or not status.read_text().strip():
        assert time.monotonic() < deadline, "Ctrl-D did not end the chat:\n" + t.screen()
        time.sleep(0.1)
    assert status.read_text().strip() == "0"

    history = (tmp / "home" / "data" / "chat_history.txt").read_text()
    assert PROBLEM in history and "/undo" in history  # prompt_toolkit kept the input history
