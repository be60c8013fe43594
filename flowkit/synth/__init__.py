"""A believable synthetic estate with planted incidents, written as AWS delivers flow logs.

:func:`generate` writes a seeded, byte-for-byte reproducible set of VPC Flow Logs objects (one
per flow log per 5-minute window, in the S3 key layout, gzip text or Parquet), with
``ground_truth.json`` (the planted incidents) and ``inventory.json`` (the ENIs, shaped like
``aws ec2 describe-network-interfaces``) beside them.  The committed sample in ``data/sample``
is ``flowkit sample data/sample --seed 7 --days 2 --scale small --force``.

Every rate and every incident parameter is configurable through :class:`SynthConfig`, so a test
can plant its own scenario.  This module writes files: it is a data generator, not a source.
See :func:`generate` for an example.
"""

from flowkit.synth.draw import draw_incidents, generate_drawn
from flowkit.synth.generation import (
    DEFAULT_INCIDENTS,
    SCALES,
    Incident,
    Summary,
    SynthConfig,
    generate,
)

__all__ = [
    "DEFAULT_INCIDENTS",
    "SCALES",
    "Incident",
    "Summary",
    "SynthConfig",
    "draw_incidents",
    "generate",
    "generate_drawn",
]
