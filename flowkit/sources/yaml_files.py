"""YAML files flowkit reads (policies, hunt configs, price tables), read one safe way.

Plain data only: no tags beyond YAML's own (``!!python/...`` and custom tags are refused), no
aliases (``*name``: a 300-byte "billion laughs" file would expand to gigabytes, and walking it
takes minutes), at most :data:`MAX_DEPTH` levels of nesting (deeper input would exhaust the
stack), UTF-8 text.  Every refusal is a :class:`~flowkit.errors.FileFormatError` with the file,
the line and the reason.
"""

from __future__ import annotations

import os
from typing import Any

import yaml

from flowkit.errors import FileFormatError
from flowkit.sources.text_files import read_text

__all__ = ["MAX_DEPTH", "compose_yaml", "construct_yaml", "load_yaml"]

#: Deepest nesting of mappings and lists a file may have.
MAX_DEPTH = 64
_YAML_TAG = "tag:yaml.org,2002:"


class _SafeLoader(yaml.SafeLoader):
    """PyYAML's safe loader that refuses aliases, foreign tags and deep nesting while composing."""

    def __init__(self, stream: str, file: str) -> None:
        super().__init__(stream)
        self.file, self.depth = file, 0

    def refuse(self, mark: Any, reason: str) -> FileFormatError:
        return FileFormatError(self.file, int(mark.line) + 1 if mark is not None else 1, reason)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            raise self.refuse(event.start_mark, f"YAML aliases (*{event.anchor}) are not allowed")
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.refuse(event.start_mark, f"nested deeper than {MAX_DEPTH} levels")
        try:
            node = super().compose_node(parent, index)
        finally:
            self.depth -= 1
        if node is None:  # pragma: no cover - PyYAML composes a node for every event
            return node
        tag = str(node.tag)
        if not tag.startswith(_YAML_TAG) or "python" in tag:
            raise self.refuse(node.start_mark, f"tag {tag!r} is not allowed")
        return node


def compose_yaml(text: str, file: str) -> yaml.Node | None:
    """Parse YAML text into nodes (which keep their lines); None for an empty document.

    Examples
    --------
    >>> compose_yaml("a: [1, 2]", "x.yaml").value[0][0].value
    'a'
    >>> compose_yaml("a: &x [1]\\nb: *x", "x.yaml")
    Traceback (most recent call last):
    ...
    flowkit.errors.FileFormatError: x.yaml:2: YAML aliases (*x) are not allowed
    """
    loader = _SafeLoader(text, file)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise loader.refuse(mark, f"not valid YAML: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise FileFormatError(file, 1, f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()


def load_yaml(path: str | os.PathLike[str], *, text: str | None = None) -> Any:
    """Load a YAML file (or ``text``, with ``path`` naming it in errors) into plain data.

    Examples
    --------
    >>> load_yaml("x.yaml", text="port_scan: {min_ports: 30}")
    {'port_scan': {'min_ports': 30}}
    >>> load_yaml("x.yaml", text="[" * 100 + "]" * 100)
    Traceback (most recent call last):
    ...
    flowkit.errors.FileFormatError: x.yaml:1: nested deeper than 64 levels
    """
    file = os.fspath(path)
    node = compose_yaml(read_text(file) if text is None else text, file)
    return None if node is None else construct_yaml(node)


def construct_yaml(node: yaml.Node) -> Any:
    """Plain data of nodes from :func:`compose_yaml` (which refused aliases and deep nesting).

    >>> construct_yaml(compose_yaml("a: [1, 2]", "x.yaml"))
    {'a': [1, 2]}
    """
    return yaml.SafeLoader("").construct_document(node)
