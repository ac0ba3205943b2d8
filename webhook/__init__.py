"""The admission webhook: a thin adapter between kube-apiserver and `policies`.

Parses and guards AdmissionReviews at the edge, asks the policy engine, and answers with denials,
warnings or JSON patches. Also: TLS and certificates (reloaded on change), the cluster cache that fills
the engine's ClusterView, metrics, the webhook configurations, and Events on the tenant's workload for
denied controller writes (written off the request path). Imports `policies`, never `audit`.
"""
