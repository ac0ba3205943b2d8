"""NetworkPolicy semantics (networking.k8s.io/v1): who can reach whom. Purely computational, no I/O.

    analysis = analyze(namespaces, [pod_info(p) for p in pods], policies)
    analysis.allowed(src, dst, 8443)          # one connection
    analysis.path(src, dst)                   # ports and the policies opening them, or None
    analysis.namespace_matrix()               # reachable namespace pairs with their ports
    analysis.tenant_matrix(namespace_tenant)  # every tenant x every tenant
    analysis.cross_tenant_paths(namespace_tenant)
    analysis.uncovered()                      # pods without a default deny in some direction
    analysis.external(src), analysis.external_matrix()   # egress to CIDRs outside the pod matrices
    analysis.missing_isolation(pod)           # directions no policy isolates, for any pod
    analyze(..., hypothetical=[...]).hypothetical_reach()  # what a pod in a namespace without pods would reach

The modules: pods (PodInfo from a Pod), selectors (LabelSelector), ports (exact port sets), ipblocks, policy
(a NetworkPolicy compiled), classes (pods grouped into equivalence classes; the exact verdict for a pair),
reachability (all reachable class pairs without classes² work), reports (matrices), analysis (the entry point).
"""

from tenantguard.policies.netpol.analysis import Exposure, ExternalPath, NetworkAnalysis, Path, analyze
from tenantguard.policies.netpol.pods import ContainerPort, PodInfo, pod_info
from tenantguard.policies.netpol.ports import PortSet

__all__ = [
    "ContainerPort",
    "Exposure",
    "ExternalPath",
    "NetworkAnalysis",
    "Path",
    "PodInfo",
    "PortSet",
    "analyze",
    "pod_info",
]
