"""core.prompt.secret: environment first, a hidden prompt at a terminal, a typed error
otherwise — the one rule for PINs, staff passwords and the office key passphrase."""
import io

import pytest

from core import prompt
from core.errors import JagaError, OfficeKeyError
from core.prompt import secret


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_environment_wins(monkeypatch):
    monkeypatch.setenv("JAGA_TEST_SECRET", "s3cret")
    assert secret("JAGA_TEST_SECRET", "?", what="thing") == "s3cret"


@pytest.mark.parametrize("value", [None, ""])
def test_no_terminal_is_a_typed_error_naming_the_variable(monkeypatch, value):
    if value is None:
        monkeypatch.delenv("JAGA_TEST_SECRET", raising=False)
    else:
        monkeypatch.setenv("JAGA_TEST_SECRET", value)
    monkeypatch.setattr("sys.stdin", io.StringIO())
    with pytest.raises(OfficeKeyError, match="set JAGA_TEST_SECRET"):
        secret("JAGA_TEST_SECRET", "?", what="passphrase", error=OfficeKeyError)


def test_terminal_prompt_with_confirmation(monkeypatch):
    monkeypatch.delenv("JAGA_TEST_SECRET", raising=False)
    monkeypatch.setattr("sys.stdin", Tty())
    answers = iter(["pw-1", "pw-1", "pw-2", "pw-3", ""])
    monkeypatch.setattr(prompt.getpass, "getpass", lambda _p: next(answers))
    assert secret("JAGA_TEST_SECRET", "Password: ", what="password", confirm=True) == "pw-1"
    with pytest.raises(JagaError, match="differ"):
        secret("JAGA_TEST_SECRET", "Password: ", what="password", confirm=True)
    with pytest.raises(JagaError, match="no password given"):
        secret("JAGA_TEST_SECRET", "Password: ", what="password")
