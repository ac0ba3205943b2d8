"""NetworkPolicy semantics (networking.k8s.io/v1): who can reach whom. Purely computational, no I/O.

    analysis = analyze(namespaces, [pod_info(p) for p in pods], policies)
    analysis.allowed(src, dst, 8443)          # one connection
    analysis.path(src, dst)                   # ports and the policies and rules opening them, or None
    analysis.explain(src, dst, 8443)          # every policy and rule of both ends, judged
    analysis.namespace_matrix()               # reachable namespace pairs with their ports
    analysis.tenant_matrix(namespace_tenant)  # every tenant x every tenant
    analysis.cross_tenant_paths(namespace_tenant)
    analysis.workload_pairs(namespaces)       # (src workload, dst workload) -> ports
    analysis.uncovered()                      # pods without a default deny in some direction
    analysis.external(src), analysis.external_matrix()   # egress to CIDRs outside the pod matrices
    analysis.missing_isolation(pod)           # directions no policy isolates, for any pod
    analyze(..., hypothetical=[...]).hypothetical_reach()  # what a pod in a namespace without pods would reach

The modules: pods (PodInfo from a Pod), selectors (LabelSelector), ports (exact port sets), ipblocks, policy
(a NetworkPolicy compiled), classes (pods grouped into equivalence classes; the exact verdict for a pair),
reachability (all reachable class pairs without classes² work), nodes (a pod and its node; hostNetwork pods),
reports (matrices), workloads (workload pairs), explain (one connection judged), external (egress to CIDRs),
analysis (the entry point).
"""

from tenantguard.policies.netpol.analysis import Exposure, NetworkAnalysis, Path, analyze
from tenantguard.policies.netpol.explain import EndCheck, Explanation, RuleCheck
from tenantguard.policies.netpol.external import ExternalPath
from tenantguard.policies.netpol.pods import ANY_NODE, ContainerPort, PodInfo, container_ports, pod_info
from tenantguard.policies.netpol.policy import RuleRef
from tenantguard.policies.netpol.ports import PortSet

__all__ = [
    "ANY_NODE",
    "ContainerPort",
    "EndCheck",
    "Explanation",
    "Exposure",
    "ExternalPath",
    "NetworkAnalysis",
    "Path",
    "PodInfo",
    "PortSet",
    "RuleCheck",
    "RuleRef",
    "analyze",
    "container_ports",
    "pod_info",
]
