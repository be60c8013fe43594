"""Enrichment: derived columns on a canonical frame (vectorised, pure ``df -> df``).

:func:`enrich` applies everything; each ``add_*`` function adds one group of columns.
:func:`conversations` pairs requests with replies; :func:`dedupe` counts each byte once.
"""

from flowkit.enrich.aws import IpRanges, add_aws_service, ip_ranges, load_ip_ranges, use_ip_ranges
from flowkit.enrich.basic import add_basic, add_duration, add_protocol_name, protocol_names
from flowkit.enrich.conversation_pairs import conversations
from flowkit.enrich.dedupe_copies import (
    DedupeFacts,
    dedupe,
    dedupe_facts,
    merge_dedupe_facts,
)
from flowkit.enrich.direction import add_direction, add_service, add_service_side, direction_facts
from flowkit.enrich.facts import DirectionFacts, merge_direction_facts
from flowkit.enrich.geo import add_geo, default_geo_db
from flowkit.enrich.inventory import Inventory, add_inventory, load_inventory
from flowkit.enrich.middlebox import MIDDLEBOX_TYPES
from flowkit.enrich.names import (
    add_tcp_flag_columns,
    add_tcp_flags_label,
    service_name,
    service_table,
    tcp_flags_label,
)
from flowkit.enrich.orientation import ORIENT_RULES, port_rank
from flowkit.enrich.pipeline import enrich
from flowkit.enrich.scope import SCOPES, add_scope
from flowkit.enrich.threat import ThreatList, add_threat, example_threat_list, load_threat_list

__all__ = [
    "MIDDLEBOX_TYPES",
    "ORIENT_RULES",
    "SCOPES",
    "DedupeFacts",
    "DirectionFacts",
    "Inventory",
    "IpRanges",
    "ThreatList",
    "add_aws_service",
    "add_basic",
    "add_direction",
    "add_duration",
    "add_geo",
    "add_inventory",
    "add_protocol_name",
    "add_scope",
    "add_service",
    "add_service_side",
    "add_tcp_flag_columns",
    "add_tcp_flags_label",
    "add_threat",
    "conversations",
    "dedupe",
    "dedupe_facts",
    "default_geo_db",
    "direction_facts",
    "enrich",
    "example_threat_list",
    "ip_ranges",
    "load_inventory",
    "load_ip_ranges",
    "load_threat_list",
    "merge_dedupe_facts",
    "merge_direction_facts",
    "port_rank",
    "protocol_names",
    "service_name",
    "service_table",
    "tcp_flags_label",
    "use_ip_ranges",
]
