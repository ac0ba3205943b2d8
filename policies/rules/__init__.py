"""The rule catalogue: one subpackage per category, one module per rule (`<id>_<slug>.py`).

Each category's `__init__` lists its RULES (and MUTATORS) explicitly; `policies.registry` joins them.
"""
