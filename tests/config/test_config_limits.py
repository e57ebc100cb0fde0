"""config.limits: size, nesting and alias expansion are bounded, bytes that are not UTF-8
are named by line; each is one clean issue from `sbc check`, a reload and a save, never a
traceback."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from pathlib import Path

import pytest
from sbc.config import ConfigError, ConfigHolder, check_main, save_config
from sbc.config.limits import MAX_BYTES, MAX_DEPTH, MAX_NODES
from sbc.config.loader import inspect
from sbc.config.save import remove_stale_temps
from sbc.config.yamltext import EditError, set_value

from .conftest import MINIMAL, WriteConfig

UDP_ONLY = MINIMAL + "  listen: [{transport: udp}]\n"


def only_error(path: Path) -> str:
    config, issues = inspect(path)
    assert config is None
    (issue,) = issues
    return str(issue)


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 5000])
def test_deep_nesting_is_refused_at_its_line(write_config: WriteConfig, depth: int) -> None:
    path = write_config(UDP_ONLY + "trace:\n  x: " + "[" * depth + "]" * depth + "\n")
    assert only_error(path) == (f"{path}:6: nested more than {MAX_DEPTH} levels deep (the "
                                "limit); sbc.yaml needs a few")


def test_block_nesting_is_bounded_too(write_config: WriteConfig) -> None:
    lines = "".join(f"{'  ' * i}k{i}:\n" for i in range(200))
    path = write_config(UDP_ONLY + lines)
    assert f"nested more than {MAX_DEPTH} levels deep" in only_error(path)


def test_nesting_within_the_limit_reads(write_config: WriteConfig) -> None:
    depth = MAX_DEPTH - 3  # the document, `trace` and `x` are levels too
    path = write_config(UDP_ONLY + "trace:\n  x: " + "[" * depth + "]" * depth + "\n")
    assert "nested" not in " ".join(str(i) for i in inspect(path)[1])


def test_alias_fan_out_is_refused(write_config: WriteConfig) -> None:
    laughs = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    laughs += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    path = write_config(UDP_ONLY + "\n".join(laughs) + "\n")
    assert f"holds more than {MAX_NODES} values" in only_error(path)


def test_alias_to_itself_is_refused(write_config: WriteConfig) -> None:
    path = write_config(UDP_ONLY + "trace: &t\n  again: *t\n")
    assert only_error(path) == f"{path}:6: the alias *t refers to a value that contains it"


def test_over_the_size_limit_is_refused_without_reading_it_all(
        write_config: WriteConfig) -> None:
    path = write_config(UDP_ONLY)
    with path.open("a") as file:
        file.write("#" * (4 << 20) + "\n")
    size = path.stat().st_size
    assert only_error(path) == (f"{path}: is {size} bytes; the limit is {MAX_BYTES} bytes "
                                "(1 MiB): an sbc.yaml is a few kB, is this the right file?")


def test_bytes_not_utf8_are_named_by_line_and_column(write_config: WriteConfig) -> None:
    path = write_config(UDP_ONLY)
    path.write_bytes(path.read_bytes() + b"hosts: {caf\xe9.lab.test: 127.0.0.1}\n")
    assert only_error(path).startswith(f"{path}:5: column 12: byte 0xe9 is not UTF-8; ")


def test_check_prints_the_limit_not_a_traceback(write_config: WriteConfig,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    path = write_config("sbc: " + "[" * 5000 + "]" * 5000 + "\n")
    assert check_main(["--config", str(path)]) == 1
    err = capsys.readouterr().err
    assert "nested more than 64 levels deep" in err and "Traceback" not in err


def test_save_refuses_over_the_limit(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="the limit is 1048576 bytes"):
        save_config(tmp_path / "sbc.yaml", UDP_ONLY + "#" * MAX_BYTES + "\n")
    assert not (tmp_path / "sbc.yaml").exists()


def test_text_edits_are_bounded() -> None:
    with pytest.raises(EditError, match="nested more than"):
        set_value("a: " + "[" * 5000 + "]" * 5000 + "\n", ("b",), "1")


def test_reload_failures_are_results_not_exceptions(write_config: WriteConfig,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(UDP_ONLY)
    holder = ConfigHolder(path)
    first = holder.config
    path.write_text("sbc: " + "[" * 5000 + "]" * 5000 + "\n")
    result = holder.reload()
    assert not result.ok and holder.config is first
    assert "nested more than" in str(result.errors[0])

    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("a reader's bug")

    monkeypatch.setattr("sbc.config.holder.load_config", broken)
    result = holder.reload()
    assert not result.ok and holder.config is first
    assert str(result.errors[0]) == f"{path}: cannot be read: RecursionError(\"a reader's bug\")"


def test_reload_reads_in_a_worker_thread(write_config: WriteConfig,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_config(UDP_ONLY)
    holder = ConfigHolder(path)
    path.write_text(UDP_ONLY + "  options_interval: 30\n")
    threads: list[str] = []
    load = holder._load

    def spy() -> object:
        threads.append(threading.current_thread().name)
        return load()

    monkeypatch.setattr(holder, "_load", spy)

    async def run() -> None:
        result = await holder.reload_async()
        assert result.ok and result.changed

    asyncio.run(run())
    assert threads and threads[0] != threading.main_thread().name
    assert holder.config.sbc.options_interval == 30


def test_stale_temporary_files_are_removed(tmp_path: Path) -> None:
    target = tmp_path / "sbc.yaml"
    old = tmp_path / ".sbc.yaml.ab12cd34.tmp"  # util.atomic's naming, left by a kill
    young = tmp_path / ".sbc.yaml.ef56gh78.tmp"  # a write under way
    other = tmp_path / ".other.yaml.ab12cd34.tmp"
    for path in (old, young, other):
        path.write_text("half")
    hour_ago = time.time() - 3600
    for path in (old, other):
        os.utime(path, (hour_ago, hour_ago))
    save_config(target, UDP_ONLY)
    assert not old.exists() and young.exists() and other.exists()
    assert target.read_text() == UDP_ONLY
    assert remove_stale_temps(target, older_than=0) == [young]
