"""Audit and lint: adapters that feed objects from files, snapshots or a live cluster to `policies`.

Reads sources (manifest files with their file:line, snapshot directories, paginated cluster lists),
runs the policy engine unchanged, and renders results (text, JSON, SARIF, JUnit, GitHub, reports).
Imports `policies`, never `webhook`.
"""
