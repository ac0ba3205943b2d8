import shutil
from pathlib import Path

from tenantguard.devcluster import processes
from tenantguard.devcluster.layout import Layout


def test_start_detached_then_stop(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    sleep = shutil.which("sleep")
    assert sleep is not None
    pid = processes.start(layout, "sleeper", [sleep, "60"])
    assert processes.read_pid(layout, "sleeper") == pid
    assert processes.running_pid(layout, "sleeper", sleep) == pid
    assert processes.running_pid(layout, "sleeper", "/other/binary") is None
    processes.stop(pid, timeout=5)
    assert not processes.is_running(pid)
    assert "sleep 60" in layout.log("sleeper").read_text()


def test_failure_description_carries_the_log_tail(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    layout.logs.mkdir()
    layout.log("etcd").write_text("".join(f"line {i}\n" for i in range(100)))
    message = processes.describe_failure(layout, "etcd", "exited during startup")
    assert message.startswith("etcd: exited during startup; last lines of ")
    assert message.endswith("line 99")
    assert "line 69" not in message
