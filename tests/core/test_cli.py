"""core.cli: the one way a command refuses — `error [code]: message` on stderr, non-zero."""
from __future__ import annotations

import pytest

from core import cli
from core.errors import JagaError, NotFound


def test_a_refusal_is_one_error_line_with_the_stable_code(capsys):
    assert cli.fail(NotFound("no such report"), 2) == 2
    out = capsys.readouterr()
    assert out.err == "error [not_found]: no such report\n" and out.out == ""


def test_run_passes_the_commands_own_status_through(capsys):
    assert cli.run(lambda: 0) == 0
    assert cli.run(lambda: 3) == 3
    assert capsys.readouterr().err == ""


def test_run_turns_a_jaga_error_into_the_line_and_the_status(capsys):
    def refuses() -> int:
        raise JagaError("nope")
    assert cli.run(refuses) == 1
    assert cli.run(refuses, status=2) == 2
    assert capsys.readouterr().err == "error [jaga_error]: nope\n" * 2


def test_run_ends_quietly_with_130_on_ctrl_c(capsys):
    def interrupted() -> int:
        raise KeyboardInterrupt
    assert cli.run(interrupted) == 130
    assert capsys.readouterr().err == ""


def test_other_exceptions_are_not_swallowed():
    def broken() -> int:
        raise ValueError("a bug, not a refusal")
    with pytest.raises(ValueError):
        cli.run(broken)
