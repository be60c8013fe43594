"""Network performance: throughput, top talkers, packet sizes, rejects, TCP handshakes, load.

Every function is a pure ``df -> small table`` over flow records (enriched or not).  Record
times are capture windows: a record's bytes are put in the bin of its ``start``, so bins much
shorter than the aggregation interval (60 s on Nitro, up to 600 s otherwise) are not
meaningful.  Talkers and conversations count each byte once (:func:`flowkit.dedupe`);
throughput, rejects and saturation are per capturing ENI, as the ENI saw them.

Examples
--------
>>> import flowkit as fk
>>> fmt = "interface-id srcaddr dstaddr srcport dstport protocol packets bytes flow-direction"
>>> df = fk.parse_lines([fmt,  # both ENIs logged both directions: 19,000 bytes, 9,500 real
...     "eni-a 10.0.0.5 10.0.1.6 50000 5432 6 5 500 egress",
...     "eni-a 10.0.1.6 10.0.0.5 5432 50000 6 9 9000 ingress",
...     "eni-b 10.0.0.5 10.0.1.6 50000 5432 6 5 500 ingress",
...     "eni-b 10.0.1.6 10.0.0.5 5432 50000 6 9 9000 egress"])
>>> top_talkers(df)[["host", "bytes_sent", "bytes_received"]].to_dict("records")[0]
{'host': '10.0.0.5', 'bytes_sent': 500, 'bytes_received': 9000}
"""

from flowkit.perf.health import PACKET_SIZE_BINS, handshake_health, packet_sizes, reject_rate
from flowkit.perf.traffic import (
    hour_of_week,
    saturation_candidates,
    throughput,
    top_conversations,
    top_talkers,
)

__all__ = [
    "PACKET_SIZE_BINS",
    "handshake_health",
    "hour_of_week",
    "packet_sizes",
    "reject_rate",
    "saturation_candidates",
    "throughput",
    "top_conversations",
    "top_talkers",
]
