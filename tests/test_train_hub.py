"""Where the base model loads from, decided at once: a local folder, the Hub, or the cache offline.

A real TCP listener stands in for the Hub: it accepts each connection and closes it at once,
so the Hub "does not answer", and it counts how often anything tried. Nothing is downloaded;
the model is the tiny local Qwen2 of `triforce.train.tiny`.
"""

from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from triforce.cli import app
from triforce.errors import ConfigError
from triforce.train import tiny

pytestmark = [pytest.mark.train]
pytest.importorskip("transformers")
pytest.importorskip("trl")

runner = CliRunner()


class DeadHub:
    """Accepts connections and drops them without a word; counts them."""

    def __init__(self) -> None:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self.url = f"http://127.0.0.1:{self._sock.getsockname()[1]}"
        self.connections = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self._sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self) -> None:
        self._sock.close()


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[DeadHub]:
    dead = DeadHub()
    monkeypatch.setenv("HF_ENDPOINT", dead.url)
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("TRANSFORMERS_OFFLINE", raising=False)
    yield dead
    dead.close()


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hub-model")
    rows = tiny.conversations(8)
    tiny.write_messages_jsonl(root / "data.jsonl", rows)
    return tiny.build_tiny_model(root / "tiny", rows)


def _config(tmp_path: Path, model_dir: Path, name: str) -> Path:
    cfg = {"name": "hub", "model": {"name": name}, "data": {"paths": [str(model_dir.parent / "data.jsonl")]}}
    path = tmp_path / "hub.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _preview(config: Path) -> object:
    return runner.invoke(app, ["train", "run", str(config), "--preview", "--samples", "1", "--json"])


def test_an_unreachable_hub_fails_at_once_with_one_try(hub: DeadHub, tmp_path: Path, model_dir: Path) -> None:
    result = _preview(_config(tmp_path, model_dir, "triforce-test/not-a-model"))
    exc = getattr(result, "exception", None)
    assert isinstance(exc, ConfigError), exc
    message = str(exc)
    assert "cannot be reached" in message and "local folder" in message and "not-a-model" in message
    assert hub.connections == 1  # one probe, never a retry
    # `train` proper stops the same way, before any model or folder
    again = runner.invoke(app, ["train", "run", str(_config(tmp_path, model_dir, "triforce-test/other"))])
    assert isinstance(again.exception, ConfigError) and hub.connections == 2
    assert not (tmp_path / "runs").exists()


def test_offline_switch_is_honoured_without_any_connection(
    hub: DeadHub, tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    result = _preview(_config(tmp_path, model_dir, "triforce-test/not-cached"))
    exc = getattr(result, "exception", None)
    assert isinstance(exc, ConfigError) and "HF_HUB_OFFLINE is set" in str(exc)
    assert hub.connections == 0


def test_a_cached_hub_model_loads_offline(hub: DeadHub, tmp_path: Path, model_dir: Path) -> None:
    # the layout huggingface_hub writes: refs/main names a snapshot folder holding the files
    repo = tmp_path / "hf-cache" / "models--triforce-test--tiny"
    commit = "0123456789abcdef0123456789abcdef01234567"
    shutil.copytree(model_dir, repo / "snapshots" / commit)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    result = _preview(_config(tmp_path, model_dir, "triforce-test/tiny"))
    assert getattr(result, "exit_code", None) == 0, getattr(result, "output", "")
    assert "from the local cache" in getattr(result, "stderr", "")
    assert hub.connections == 1


def test_local_folders_never_touch_the_network(hub: DeadHub, tmp_path: Path, model_dir: Path) -> None:
    result = _preview(_config(tmp_path, model_dir, str(model_dir)))
    assert getattr(result, "exit_code", None) == 0, getattr(result, "output", "")
    assert hub.connections == 0
    empty = tmp_path / "empty-model"
    empty.mkdir()
    broken = _preview(_config(tmp_path, model_dir, str(empty)))
    exc = getattr(broken, "exception", None)
    assert isinstance(exc, ConfigError) and "no config.json" in str(exc)
    missing = _preview(_config(tmp_path, model_dir, "./models/not-here"))
    exc = getattr(missing, "exception", None)
    assert isinstance(exc, ConfigError) and "no such directory" in str(exc)
    assert hub.connections == 0
