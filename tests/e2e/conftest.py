"""The dev cluster, once per test run: a real control plane on loopback with simulated nodes.

It starts into a temporary state directory on its own free ports, so it coexists with a
developer's cluster, and is torn down at the end of the session. Tests get a
``tenantguard.devcluster.testing.DevCluster``: kubeconfigs (admin and the tenant user alice), the
server URL and CA file (for webhook registrations), and a ``kubectl`` helper. Without binaries the
fixture fails with the reason; an end-to-end suite that skips itself proves nothing.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tenantguard.devcluster import cluster
from tenantguard.devcluster.binaries import BinariesError
from tenantguard.devcluster.processes import ComponentError
from tests.support.devcluster import DevCluster


@pytest.fixture(scope="session")
def dev_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DevCluster]:
    state_dir = tmp_path_factory.mktemp("dev-cluster")
    try:
        # die_with_parent: a test run killed with SIGKILL must not leave a control plane behind.
        info = cluster.up(state_dir, timeout=180, die_with_parent=True)
    except (BinariesError, ComponentError, RuntimeError, OSError) as error:
        pytest.fail(f"dev cluster did not start: {error}", pytrace=False)
    try:
        yield DevCluster.from_info(info)
    finally:
        cluster.down(state_dir)


from tests.e2e.webhook_fixtures import platform_settings, reconciler, reconciler_paused, webhook  # noqa: E402,F401 - kept apart
