"""sbc.util.proc.run: the one wrapper around subprocess (build, installer, wizard, nft)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from sbc.firewall import NftError
from sbc.util import proc
from sbc.util.proc import CommandError, run

import firstboot.run
from imagebuild.run import BuildCommandError, BuildError
from installer.disks import InstallError
from installer.system import InstallCommandError


def test_output_is_text_and_input_reaches_stdin() -> None:
    done = run(["sh", "-c", "cat; echo err >&2"], what="echoing", input="héllo\n")
    assert done.returncode == 0
    assert done.stdout == "héllo\n" and done.stderr == "err\n"


def test_failure_carries_command_hint_and_output_tail() -> None:
    script = "for i in $(seq 1 30); do echo line$i; done; echo no space >&2; exit 4"
    with pytest.raises(CommandError) as err:
        run(["sh", "-c", script], what="formatting root", hint="give the disk more room",
            tail_lines=5)
    exc = err.value
    assert exc.what == "formatting root" and exc.returncode == 4
    assert exc.argv == ["sh", "-c", script] and exc.hint == "give the disk more room"
    assert exc.output.splitlines() == ["line27", "line28", "line29", "line30", "no space"]
    text = str(exc)
    assert text.startswith(f"formatting root failed (exit code 4): sh -c '{script}'\n")
    assert "line26" not in text and "line27\n" in text and "no space\n" in text
    assert text.endswith("\nhint: give the disk more room")


def test_tail_lines_none_keeps_all_output() -> None:
    with pytest.raises(CommandError) as err:
        run(["sh", "-c", "seq 1 100 >&2; exit 1"], tail_lines=None)
    assert err.value.output.splitlines() == [str(n) for n in range(1, 101)]


def test_check_false_returns_the_failure() -> None:
    done = run(["sh", "-c", "echo out; exit 3"], check=False)
    assert done.returncode == 3 and done.stdout == "out\n"


def test_missing_program_names_it_with_its_own_hint() -> None:
    with pytest.raises(CommandError) as err:
        run(["no-such-program-xyz", "-v"], what="listing", hint="general",
            missing_hint="install the package xyz", check=False)
    exc = err.value
    assert exc.returncode is None and exc.reason == "no-such-program-xyz is not installed"
    assert str(exc) == ("listing failed (no-such-program-xyz is not installed): "
                        "no-such-program-xyz -v\nhint: install the package xyz")


def test_missing_program_falls_back_to_the_hint() -> None:
    with pytest.raises(CommandError) as err:
        run(["no-such-program-xyz"], hint="general")
    assert err.value.hint == "general"


def test_timeout_kills_the_program_and_keeps_what_it_said() -> None:
    start = time.monotonic()
    with pytest.raises(CommandError) as err:
        run(["sh", "-c", "echo started; exec sleep 30"], what="waiting", timeout=0.5)
    assert time.monotonic() - start < 10
    exc = err.value
    assert exc.returncode is None and exc.reason == "no answer within 0.5 s"
    assert str(exc).startswith("waiting failed (no answer within 0.5 s): sh -c")
    assert exc.output == "started"


def test_timeout_applies_even_without_check() -> None:
    with pytest.raises(CommandError, match="no answer within 0.2 s"):
        run(["sleep", "30"], timeout=0.2, check=False)


def test_paths_env_and_cwd(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    done = run(["sh", "-c", "ls; echo $FOO"], cwd=tmp_path,
               env={"FOO": "bar", "PATH": "/usr/bin:/bin"})
    assert done.stdout == "f\nbar\n"
    assert run([Path("/bin/echo"), tmp_path]).stdout == f"{tmp_path}\n"


def test_undecodable_output_is_replaced_not_fatal() -> None:
    done = run([sys.executable, "-c", "import sys; sys.stdout.buffer.write(b'a\\xffb')"])
    assert done.stdout == "a\ufffdb"


def test_stream_passes_output_through_and_keeps_the_tail(
        capsys: pytest.CaptureFixture[str]) -> None:
    done = run(["sh", "-c", "seq 1 50; echo warn >&2"], stream=True)
    assert capsys.readouterr().out == "".join(f"{n}\n" for n in range(1, 51)) + "warn\n"
    assert done.stdout.splitlines()[-2:] == ["50", "warn"]
    with pytest.raises(CommandError) as err:
        run(["sh", "-c", "seq 1 50; exit 2"], stream=True, tail_lines=3)
    assert err.value.output == "48\n49\n50" and err.value.returncode == 2


def test_stream_timeout() -> None:
    with pytest.raises(CommandError) as err:
        run(["sh", "-c", "echo begun; exec sleep 30"], stream=True, timeout=0.5)
    assert err.value.reason == "no answer within 0.5 s" and err.value.output == "begun"


class LayerError(CommandError):
    def describe(self) -> str:
        return f"step {self.what!r}: {self.reason}"


def test_error_class_is_chosen_by_the_caller_and_may_word_the_message() -> None:
    with pytest.raises(LayerError) as err:
        run(["false"], what="x", error=LayerError)
    assert str(err.value) == "step 'x': exit code 1"
    assert isinstance(err.value, RuntimeError)


def test_error_built_by_hand_keeps_its_reason() -> None:
    exc = CommandError("loading", ["nmcli", "connection", "load", "a b"], "exit status 10")
    assert str(exc) == "loading failed (exit status 10): nmcli connection load 'a b'"
    assert exc.command == "nmcli connection load 'a b'"


def test_tail_helper() -> None:
    assert proc.tail("a\nb\nc\n\n", 2) == "b\nc"
    assert proc.tail(b"a\xff\n", None) == "a\ufffd"
    assert proc.tail(None) == "" and proc.tail("a\nb", 0) == ""


def test_the_layers_errors_are_command_errors() -> None:
    """Each layer raises its own name, so its callers' `except` clauses stay as they are."""
    assert firstboot.run.CommandError is CommandError
    for cls, base in ((BuildCommandError, BuildError), (InstallCommandError, InstallError),
                      (NftError, RuntimeError)):
        assert issubclass(cls, CommandError) and issubclass(cls, base)


def test_build_error_keeps_the_builds_wording() -> None:
    with pytest.raises(BuildError) as err:
        run(["sh", "-c", "echo boom >&2; exit 3"], hint="try harder", error=BuildCommandError)
    assert str(err.value) == ("command failed with exit code 3: sh -c 'echo boom >&2; exit 3'"
                              "\nboom\nhint: try harder")
