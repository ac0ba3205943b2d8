import argparse
import base64
import json
from pathlib import Path

import pytest
import yaml
from cryptography import x509

from tenantguard.devcluster import cli, credentials
from tenantguard.devcluster.layout import Layout


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


def test_user_issues_a_kubeconfig_signed_by_the_cluster_ca(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    credentials.write_all(Layout(tmp_path), "https://127.0.0.1:6443", 6444)
    (tmp_path / "cluster.json").write_text(
        '{"provider": "kwok", "server": "https://127.0.0.1:6443", "bin_dir": "b", "ports": {}}'
    )
    assert cli.run(_parse("user", "carol", "--group", "hooli-devs", "--state-dir", str(tmp_path))) == 0
    path = tmp_path / "users" / "carol.kubeconfig"
    assert capsys.readouterr().out == f"export KUBECONFIG={path}\n"
    config = yaml.safe_load(path.read_text())
    assert config["clusters"][0]["cluster"]["server"] == "https://127.0.0.1:6443"
    cert = x509.load_pem_x509_certificate(base64.b64decode(config["users"][0]["user"]["client-certificate-data"]))
    ca = x509.load_pem_x509_certificate((tmp_path / "pki" / "ca.crt").read_bytes())
    cert.verify_directly_issued_by(ca)
    assert cert.subject.rfc4514_string() in ("CN=carol,O=hooli-devs", "O=hooli-devs,CN=carol")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_user_without_cluster_fails_with_a_hint(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(_parse("user", "carol", "--state-dir", str(tmp_path / "none"))) == 1
    assert "run `tenantguard dev-cluster up`" in capsys.readouterr().err


def test_restart_names_what_is_wrong(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.run(_parse("restart", "kube-apiserver", "--state-dir", str(tmp_path / "none"))) == 1
    assert f"no kwok cluster in {tmp_path / 'none'}" in capsys.readouterr().err
    ports = dict.fromkeys(("etcd_client", "etcd_peer", "apiserver", "controller_manager", "scheduler", "kwok"), 1)
    state = {"provider": "kwok", "server": "s", "bin_dir": "/b", "ports": ports}
    (tmp_path / "cluster.json").write_text(json.dumps(state))
    assert cli.run(_parse("restart", "kubelet", "--crash", "--state-dir", str(tmp_path))) == 1
    assert "unknown component 'kubelet'; one of etcd, kube-apiserver," in capsys.readouterr().err
