"""The quota API: the one door through which the apps below billing (tenants, monitoring, spc,
alerts) consult plans and quotas. It imports no other LLMscope app (an import-linter contract
in pyproject.toml says so), so every app may import it without a cycle.

Empty until plans and quotas exist.
"""
