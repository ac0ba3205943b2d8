"""Kubernetes' built-in cluster-scoped resources: a grant on them reaches no tenant's namespace.

A RoleBinding grants its rules only on objects in its namespace, so a Role that names a cluster-scoped
resource grants nothing — except `namespaces`: a request on a Namespace carries that namespace's name as its
namespace, so a RoleBinding reaches its own Namespace object. A ClusterRoleBinding reaches them all.
"""

# fmt: off
CLUSTER_SCOPED = frozenset({
    "apiservices", "certificatesigningrequests", "clusterrolebindings", "clusterroles", "clustertrustbundles",
    "componentstatuses", "csidrivers", "csinodes", "customresourcedefinitions", "deviceclasses", "flowschemas",
    "groups", "ingressclasses", "ipaddresses", "mutatingadmissionpolicies", "mutatingadmissionpolicybindings",
    "mutatingwebhookconfigurations", "namespaces", "nodes", "persistentvolumes", "prioritylevelconfigurations",
    "priorityclasses", "resourceslices", "runtimeclasses", "selfsubjectaccessreviews", "selfsubjectreviews",
    "selfsubjectrulesreviews", "servicecidrs", "storageclasses", "storageversionmigrations", "storageversions",
    "subjectaccessreviews", "tokenreviews", "uids", "userextras", "users", "validatingadmissionpolicies",
    "validatingadmissionpolicybindings", "validatingwebhookconfigurations", "volumeattachments",
    "volumeattributesclasses",
})
# fmt: on
