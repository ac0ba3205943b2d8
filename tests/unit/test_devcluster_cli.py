import argparse
from pathlib import Path

import pytest

from tenantguard.devcluster import cli


def _parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    return parser.parse_args(argv)


@pytest.mark.parametrize(
    "argv",
    [("--state-dir", "/s", "up"), ("up", "--state-dir", "/s")],
    ids=["before-action", "after-action"],
)
def test_state_dir_is_accepted_before_or_after_the_action(argv: tuple[str, ...]) -> None:
    assert _parse(*argv).state_dir == Path("/s")


def test_up_defaults_to_kwok() -> None:
    args = _parse("up")
    assert (args.provider, args.state_dir, args.bin_dir) == ("kwok", None, None)


def test_env_without_cluster_fails_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(_parse("env", "--state-dir", str(tmp_path / "none"))) == 1
    assert "run `tenantguard dev-cluster up`" in capsys.readouterr().err


def test_env_prints_the_export(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "cluster.json").write_text('{"provider": "kwok", "server": "s", "bin_dir": "b", "ports": {}}')
    assert cli.run(_parse("env", "--state-dir", str(tmp_path))) == 0
    assert capsys.readouterr().out == f"export KUBECONFIG={tmp_path / 'admin.kubeconfig'}\n"
