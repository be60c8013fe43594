"""Compliance audits: observed traffic against a declared policy, least privilege, coverage.

- :func:`load_policy` / :class:`Policy`: the policy as code (YAML, errors with their line).
- :func:`check_policy`: violations (breach when ACCEPTed, blocked when REJECTed).
- :func:`security_group_usage`: security-group rules used and never used, per ENI.
- :func:`coverage`, :func:`coverage_summary`, :func:`coverage_gaps`,
  :func:`missing_deliveries`: log coverage as evidence.
- :func:`audit_report`: a self-contained HTML report with an evidence manifest.
"""

from flowkit.compliance.check import KINDS, VIOLATION_COLUMNS, check_policy
from flowkit.compliance.least_privilege import load_security_groups, security_group_usage
from flowkit.compliance.log_coverage import (
    STATUSES,
    coverage,
    coverage_gaps,
    coverage_summary,
    missing_deliveries,
)
from flowkit.compliance.policy import Policy, PolicyError, Rule, load_policy
from flowkit.compliance.report import audit_report, input_hashes

__all__ = [
    "KINDS",
    "STATUSES",
    "VIOLATION_COLUMNS",
    "Policy",
    "PolicyError",
    "Rule",
    "audit_report",
    "check_policy",
    "coverage",
    "coverage_gaps",
    "coverage_summary",
    "input_hashes",
    "load_policy",
    "load_security_groups",
    "missing_deliveries",
    "security_group_usage",
]
