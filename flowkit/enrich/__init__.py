"""Enrichment: derived columns on a canonical frame (vectorised, pure ``df -> df``)."""

from flowkit.enrich.basic import add_basic, add_duration, add_protocol_name, protocol_names

__all__ = ["add_basic", "add_duration", "add_protocol_name", "protocol_names"]
