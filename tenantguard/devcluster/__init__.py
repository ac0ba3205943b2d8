"""A local Kubernetes control plane for end-to-end tests and the demo.

Two providers:

- ``kwok`` (default): etcd, kube-apiserver, kube-controller-manager and kube-scheduler run as plain
  processes on loopback, with KWOK playing the kubelets of a few simulated CPU, GPU and MIG nodes.
  No containers, no root; the binaries come from ``KUBEBUILDER_ASSETS`` or a build cache.
- ``kind``: a real (containerised) cluster where a Docker engine runs.

Modules, pure first: ``binaries`` (where executables come from; runs the build script only when
asked to resolve an empty cache), ``kubeconfig`` (rendering), ``layout`` (state directory, ports,
state file), ``components`` (command lines), ``nodes`` and ``kwok`` (simulated nodes, KWOK stages);
then the I/O edge: ``credentials`` (writes the PKI, built with ``webhook.pki``, and kubeconfigs),
``processes`` (detached processes, pid files, log tails), ``api`` (a minimal HTTPS client),
``cluster`` (up, down, status), ``kind``, ``cli``. The helpers the e2e fixture hands to tests live in
``tests/support/devcluster.py`` (not installed).
"""
