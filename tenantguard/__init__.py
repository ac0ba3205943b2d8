"""The `tenantguard` command and the local dev cluster.

`cli` dispatches to the three entry points (`webhook`, `audit`) and to `devcluster`; it imports each
lazily so `tenantguard lint` starts without loading FastAPI or the Kubernetes client.
"""
