"""Find the files of a source: each file once, every path accounted for.

A source is a file, a folder (walked recursively), a glob, or a list of them.  The rules, the same
for folder walks and globs:

* **Each file once**: files are told apart by device and inode, so one file named twice (``d/a.log``
  and ``d//a.log``, a hard link, a path through a link) is read once; the other names are listed
  as "the same file as ...".
* **Links to folders are not followed** below a named folder or a glob's fixed part (a
  ``loop -> .`` link would read the tree forever); name the link or its target to read it.
* **Time pruning only where the layout is known**: with ``start``/``end``, folders and files
  outside the window are skipped only inside an AWS ``AWSLogs/...`` layout (by its date folders
  and AWS file names) and below a :func:`flowkit.convert` output (by its ``date=``/``hour=``
  folders, recognised by its manifest).  A folder of the user's named like a date is read.
* **Every path accounted for**: what is not read is listed in :attr:`Discovery.not_read` with
  the reason; :func:`not_read_warning` counts the ones a user should hear about.

Explicitly named files are always read; a file that is not a regular file (a FIFO, a device) or
cannot be opened is left to the reader, which reports it as a file error.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import stat
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from flowkit.errors import SourceError
from flowkit.sources.layout import (
    MANIFEST,
    key_window,
    other_service,
    overlaps,
    partial_window,
    partition_window,
)

__all__ = [
    "DATA_SUFFIXES",
    "LINKED_FOLDER",
    "Discovery",
    "discover",
    "find_files",
    "not_read_warning",
]

#: File endings taken when walking a folder; name other files explicitly or with a glob.
DATA_SUFFIXES = (".log", ".gz", ".txt", ".parquet")
LINKED_FOLDER = "a link to a folder: not followed"
HIDDEN_FILE = "a hidden file"
HIDDEN_FOLDER = "a hidden folder"
NOT_DATA = f"not a flow-log file name ({', '.join(DATA_SUFFIXES)})"
GLOBBED_FOLDER = "a folder matched by a glob (globs read files; add /** to read inside)"
SAME_FILE = "the same file as "
OUTSIDE = "outside the time window"
OTHER_SERVICE = "another AWS service's logs"
OUT_OF_SCOPE = "another account or Region than asked for"
#: Reasons listed in ``not_read`` without a warning: names a walk or glob is not meant to read.
QUIET = frozenset({HIDDEN_FILE, HIDDEN_FOLDER, NOT_DATA, GLOBBED_FOLDER, OUT_OF_SCOPE})
Window = tuple[datetime | None, datetime | None]


@dataclass
class Discovery:
    """The files of a source to read, in order, and every path found but not read."""

    paths: list[str] = field(default_factory=list)
    not_read: dict[str, str] = field(default_factory=dict)


def _span(window: tuple[datetime, datetime]) -> str:
    lo, hi = window
    return f"{lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC"


class _Pruner:
    """Decides which folders and files a time window skips (only in layouts it recognises)."""

    def __init__(self, start: datetime | None, end: datetime | None) -> None:
        self.start, self.end = start, end
        self._converted: dict[str, bool] = {}

    def _is_converted(self, parts: tuple[str, ...]) -> bool:
        """Whether the ``date=`` folder in ``parts`` is inside a convert output (its manifest)."""
        i = next((k for k, p in enumerate(parts) if p.startswith("date=")), None)
        if i is None:
            return False
        root = list(parts[:i])
        while root and root[-1].startswith(("account=", "region=")):
            root.pop()
        key = os.path.join(*root) if root else "."
        if key not in self._converted:
            self._converted[key] = os.path.isfile(os.path.join(key, MANIFEST))
        return self._converted[key]

    def folder(self, path: str) -> str | None:
        """Why a folder is not entered (another service, outside the window), or None."""
        parts = tuple(Path(path).parts)
        service = other_service(list(parts))
        if service is not None:
            return f"{OTHER_SERVICE} ({service})"
        if self.start is None and self.end is None:
            return None
        window = partial_window(list(parts))
        if window is None and self._is_converted(parts):
            window = partition_window(path + "/x")
        if window is not None and not overlaps(window, self.start, self.end):
            return f"{OUTSIDE}: the folder holds {_span(window)}"
        return None

    def file(self, path: str) -> str | None:
        """Why a walked or globbed file is not read (outside the window), or None."""
        if self.start is None and self.end is None:
            return None
        window = key_window(path)
        if window is None and self._is_converted(tuple(Path(path).parts[:-1])):
            window = partition_window(path)
        if window is not None and not overlaps(window, self.start, self.end):
            return f"{OUTSIDE}: its name and folders say {_span(window)}"
        return None


def _entries(folder: str) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(folder) as it:
            return sorted(it, key=lambda e: e.name)
    except OSError:
        return []


def _is_dir(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _walk(root: str, pruner: _Pruner, out: Discovery) -> Iterator[str]:
    """Files below ``root``, folder by folder in name order (a folder's files before its
    subfolders); links to folders, hidden names and other names are listed, not read."""
    stack = [root]
    while stack:
        folder = stack.pop()
        subfolders = []
        for e in _entries(folder):
            path = os.path.join(folder, e.name)
            is_dir = _is_dir(e)
            if e.name.startswith("."):
                out.not_read[path] = HIDDEN_FOLDER if is_dir else HIDDEN_FILE
            elif is_dir and e.is_symlink():
                out.not_read[path] = LINKED_FOLDER
            elif is_dir:
                reason = pruner.folder(path)
                if reason is None:
                    subfolders.append(path)
                else:
                    out.not_read[path] = reason
            elif not e.name.endswith(DATA_SUFFIXES):
                out.not_read[path] = NOT_DATA
            elif (reason := pruner.file(path)) is not None:
                out.not_read[path] = reason
            else:
                yield path
        stack.extend(reversed(subfolders))


def _split_glob(pattern: str) -> tuple[str, list[str]]:
    """Split a glob into its fixed folder and its segments from the first wildcard on."""
    parts = pattern.split(os.sep)
    first = next(i for i, p in enumerate(parts) if glob.has_magic(p))
    base = os.sep.join(parts[:first]) or ("." if not pattern.startswith(os.sep) else os.sep)
    return base, [p for p in parts[first:] if p]


def _matches(name: str, segment: str) -> bool:
    if name.startswith(".") and not segment.startswith("."):
        return False  # as glob: wildcards do not match hidden names
    return fnmatch.fnmatchcase(name, segment)


def _glob(pattern: str, pruner: _Pruner, out: Discovery) -> list[str]:
    """Files matching a glob, sorted; ``**`` matches any folders below, never through a link."""
    base, segments = _split_glob(pattern)
    found: set[str] = set()
    seen: set[tuple[str, int]] = set()
    todo = [(base, 0)]
    while todo:
        folder, i = todo.pop()
        if (folder, i) in seen:
            continue
        seen.add((folder, i))
        segment, last = segments[i], i == len(segments) - 1
        if segment == "**" and not last:
            todo.append((folder, i + 1))
        for e in _entries(folder):
            path = folder + e.name if folder.endswith(os.sep) else os.path.join(folder, e.name)
            if segment == "**":
                if e.name.startswith("."):
                    continue
                if not _is_dir(e):
                    if last:
                        found.add(path)
                elif e.is_symlink():
                    out.not_read[path] = LINKED_FOLDER
                elif (reason := pruner.folder(path)) is not None:
                    out.not_read[path] = reason
                else:
                    todo.append((path, i))
            elif _matches(e.name, segment):
                if not _is_dir(e):
                    if last:
                        found.add(path)
                elif e.is_symlink():
                    out.not_read[path] = LINKED_FOLDER
                elif last:
                    out.not_read[path] = GLOBBED_FOLDER
                elif (reason := pruner.folder(path)) is not None:
                    out.not_read[path] = reason
                else:
                    todo.append((path, i + 1))
    files = []
    for path in sorted(found):
        reason = pruner.file(path)
        if reason is None:
            files.append(path)
        else:
            out.not_read[path] = reason
    return files


def _identity(path: str) -> tuple[object, ...]:
    """What tells files apart: device and inode (the resolved path when the file is missing)."""
    try:
        st = os.stat(path)
    except OSError:
        return ("missing", os.path.realpath(path))
    if stat.S_ISREG(st.st_mode) or st.st_ino:
        return (st.st_dev, st.st_ino)
    return ("path", os.path.realpath(path))  # pragma: no cover - file systems without inodes


def find_files(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Discovery:
    """List the files of a source to read, and every path found but not read, with the reason.

    Folders yield files ending in :data:`DATA_SUFFIXES`; globs the files they match.  See the
    module notes for links, duplicates and time pruning.

    Raises
    ------
    SourceError
        If a path does not exist or a glob matches nothing.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "a.log").write_text("x")
    >>> (d / "loop").symlink_to(d)
    >>> found = find_files([d, d / "a.log", f"{d}/**/*.log"])
    >>> [pathlib.Path(p).name for p in found.paths]
    ['a.log']
    >>> {pathlib.Path(p).name: r for p, r in found.not_read.items()}
    {'loop': 'a link to a folder: not followed'}
    """
    items = [source] if isinstance(source, str | os.PathLike) else list(source)
    pruner = _Pruner(start, end)
    out = Discovery()
    found: list[str] = []
    for item in items:
        text = os.fspath(item)
        if os.path.isdir(text):
            found.extend(_walk(text, pruner, out))
        elif os.path.exists(text):
            found.append(text)
        elif glob.has_magic(text):
            before = len(out.not_read)
            matches = _glob(text, pruner, out)
            if not matches and len(out.not_read) == before:
                raise SourceError(f"no file matches {text!r}")
            found.extend(matches)
        else:
            raise SourceError(f"no such file or folder: {text!r}")
    first_of: dict[tuple[object, ...], str] = {}
    for path in dict.fromkeys(found):  # one name given twice is one path
        first = first_of.setdefault(_identity(path), path)
        if first == path:
            out.paths.append(path)
        else:
            out.not_read.setdefault(path, SAME_FILE + first)
    out.not_read = dict(sorted(out.not_read.items()))
    return out


def discover(
    source: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> list[str]:
    """The files of a source to read (:attr:`Discovery.paths` of :func:`find_files`)."""
    return find_files(source, start=start, end=end).paths


def _kind(reason: str) -> str:
    if reason.startswith(SAME_FILE):
        return "duplicate(s) of a file read"
    if reason.startswith(OUTSIDE):
        return OUTSIDE
    if reason.startswith(OTHER_SERVICE):
        return OTHER_SERVICE
    if reason == LINKED_FOLDER:
        return "link(s) to a folder, not followed"
    return reason


def not_read_warning(
    not_read: dict[str, str], *, where: str = "df.attrs['flowkit']['not_read']"
) -> str | None:
    """The warning that counts the paths a load did not read (None when there is nothing to say:
    hidden names and names that are not flow-log files are listed without a warning).

    Examples
    --------
    >>> not_read_warning({"d//a.log": "the same file as d/a.log", "d/x.md": NOT_DATA})
    "flowkit: 1 path(s) not read: 1 duplicate(s) of a file read (see df.attrs['flowkit']['not_read'])"
    """  # noqa: E501
    counts = Counter(_kind(r) for r in not_read.values() if r not in QUIET)
    if not counts:
        return None
    listed = ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items()))
    return f"flowkit: {sum(counts.values())} path(s) not read: {listed} (see {where})"
