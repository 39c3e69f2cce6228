import json

from typer.testing import CliRunner

from triforce.cli import app


def test_doctor_json_reports_asar() -> None:
    result = CliRunner().invoke(app, ["doctor", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    asar = next(c for c in payload["components"] if c["name"] == "asar")
    assert asar["present"] is True
    assert "1.91" in asar["detail"]
