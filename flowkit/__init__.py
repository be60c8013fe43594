"""flowkit: an investigation kit for AWS VPC Flow Logs.

Rules for contributors (written where they apply):

1. One field table: :mod:`flowkit.schema`.  Nothing else lists fields.
2. One direction of dependency: schema -> parse -> sources -> enrich -> analyses -> accessor ->
   plots/widgets -> notebooks.  Only :mod:`flowkit.sources` touches files or the network;
   only :mod:`flowkit.widgets` imports ipywidgets.
3. Small pure functions ``df -> df`` with typed, explicit parameters and numpy-style docstrings
   whose examples run (doctest).  They never change their input.
4. Typed errors that carry their failure cases; no ``print``; UTC everywhere.
"""

import flowkit.accessor  # noqa: F401  (registers the df.flows accessor)
from flowkit import display, explore, units
from flowkit.compliance import (
    PolicyError,
    audit_report,
    check_policy,
    coverage,
    coverage_gaps,
    coverage_summary,
    load_policy,
    missing_deliveries,
    security_group_usage,
)
from flowkit.conversion import convert
from flowkit.cost import classify_transfer, estimate_cost, load_prices, recommend_savings
from flowkit.detect import (
    AllowList,
    HuntConfig,
    HuntConfigError,
    find_beaconing,
    find_brute_force,
    find_dos,
    find_exfiltration,
    find_fast_c2,
    find_lateral_movement,
    find_port_scan,
    find_port_sweep,
    find_rdp_brute_force,
    find_rejected_burst,
    find_repeated_probe,
    find_ssh_brute_force,
    find_threat_intel,
    find_unusual_port,
    find_unusual_protocol,
    hunt,
)
from flowkit.detect import rules_table as detection_rules
from flowkit.enrich import conversations, dedupe, load_inventory, load_threat_list, use_ip_ranges
from flowkit.errors import (
    FlowkitError,
    FlowkitWarning,
    NoEvidenceError,
    NoEvidenceWarning,
    ParseError,
    SourceError,
)
from flowkit.evidence import Evidence, judge_evidence, require_evidence
from flowkit.load_provenance import provenance, quarantine
from flowkit.perf import (
    handshake_health,
    hour_of_week,
    packet_sizes,
    reject_rate,
    saturation_candidates,
    throughput,
    top_conversations,
    top_talkers,
)
from flowkit.perf.frames import address_names
from flowkit.reader import parse_lines, read, read_cloudwatch, read_tgw
from flowkit.schema import DEFAULT_FIELDS, DEFAULT_FORMAT, FIELDS, TGW_DEFAULT_FIELDS
from flowkit.summary import status_by_interface, summarize_files

__version__ = "0.1.0"

__all__ = [
    "DEFAULT_FIELDS",
    "DEFAULT_FORMAT",
    "FIELDS",
    "TGW_DEFAULT_FIELDS",
    "AllowList",
    "Evidence",
    "FlowkitError",
    "FlowkitWarning",
    "HuntConfig",
    "HuntConfigError",
    "NoEvidenceError",
    "NoEvidenceWarning",
    "ParseError",
    "PolicyError",
    "SourceError",
    "__version__",
    "address_names",
    "audit_report",
    "check_policy",
    "classify_transfer",
    "conversations",
    "convert",
    "coverage",
    "coverage_gaps",
    "coverage_summary",
    "dedupe",
    "detection_rules",
    "display",
    "estimate_cost",
    "explore",
    "find_beaconing",
    "find_brute_force",
    "find_dos",
    "find_exfiltration",
    "find_fast_c2",
    "find_lateral_movement",
    "find_port_scan",
    "find_port_sweep",
    "find_rdp_brute_force",
    "find_rejected_burst",
    "find_repeated_probe",
    "find_ssh_brute_force",
    "find_threat_intel",
    "find_unusual_port",
    "find_unusual_protocol",
    "handshake_health",
    "hour_of_week",
    "hunt",
    "judge_evidence",
    "load_inventory",
    "load_policy",
    "load_prices",
    "load_threat_list",
    "missing_deliveries",
    "packet_sizes",
    "parse_lines",
    "provenance",
    "quarantine",
    "read",
    "read_cloudwatch",
    "read_tgw",
    "recommend_savings",
    "reject_rate",
    "require_evidence",
    "saturation_candidates",
    "security_group_usage",
    "status_by_interface",
    "summarize_files",
    "throughput",
    "top_conversations",
    "top_talkers",
    "units",
    "use_ip_ranges",
]
