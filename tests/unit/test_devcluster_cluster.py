"""``up`` and ``down`` against stand-in binaries: failures must carry the component's log."""

from pathlib import Path

import pytest

from tenantguard.devcluster import cluster, processes
from tenantguard.devcluster.binaries import ALL_BINARIES
from tenantguard.devcluster.layout import Layout

LONG_RUNNING = "#!/bin/sh\necho started\nsleep 30\n"


def _bin_dir(tmp_path: Path, **scripts: str) -> Path:
    directory = tmp_path / "bin"
    directory.mkdir()
    for name in ALL_BINARIES:
        path = directory / name
        path.write_text(scripts.get(name.replace("-", "_"), LONG_RUNNING))
        path.chmod(0o755)
    return directory


def test_a_component_that_dies_fails_up_with_its_log_tail(tmp_path: Path) -> None:
    failing = "#!/bin/sh\necho 'E1127 run.go:72] failed to listen on 127.0.0.1: boom' >&2\nexit 1\n"
    bin_dir = _bin_dir(tmp_path, kube_apiserver=failing)
    state = tmp_path / "state"
    with pytest.raises(processes.ComponentError) as error:
        cluster.up(state, bin_dir=bin_dir, timeout=30)
    message = str(error.value)
    assert message.startswith("kube-apiserver: exited with code 1 during startup; last lines of ")
    assert "failed to listen on 127.0.0.1: boom" in message
    etcd_pid = processes.read_pid(Layout(state), "etcd")
    assert etcd_pid is not None and not processes.is_running(etcd_pid)  # what did start is stopped
    assert cluster.down(state) == []
    assert not state.exists()


def test_a_component_never_ready_times_out_naming_the_check(tmp_path: Path) -> None:
    state = tmp_path / "state"
    expected = r'^kube-apiserver: "kube-apiserver" still unmet after 1s'
    with pytest.raises(processes.ComponentError, match=expected):
        cluster.up(state, bin_dir=_bin_dir(tmp_path), timeout=1)
    assert "started" in Layout(state).log("kube-apiserver").read_text()
    cluster.down(state)


def test_down_refuses_a_directory_it_did_not_create(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(RuntimeError, match="does not look like a dev-cluster state directory"):
        cluster.down(tmp_path)
    assert (tmp_path / "precious.txt").exists()


def test_status_of_no_cluster_is_empty(tmp_path: Path) -> None:
    assert cluster.status(tmp_path) == []
    assert cluster.running(tmp_path) is None
