"""Reading input files and YAML text safely, with every problem as one ScenarioError.

`read_input_file` reads a file's bytes within a size limit; `read_yaml_text` parses YAML with
``yaml.safe_load`` semantics plus limits checked on the composed node graph before any Python
object is built: values after expanding aliases (alias bombs), nesting depth, recursive aliases
and duplicate keys. Used for scenarios, sweep files and the app's uploads.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from coverage.errors import ScenarioError, join_path

MAX_FILE_BYTES = 2_000_000  # a scenario is a few kilobytes; anything this big is a mistake
MAX_YAML_NODES = 50_000  # values after expanding aliases; global-saas.yaml has about 1,000
MAX_YAML_DEPTH = 64  # nesting levels; a scenario needs about 8


def read_input_file(path: Path, *, kind: str = "file") -> bytes:
    """The bytes of an input file, or a ScenarioError naming it (missing, folder, too big…).

    Parameters
    ----------
    path : Path
        The file to read; at most `MAX_FILE_BYTES` [bytes].
    kind : str
        What the file is, for messages ("scenario file", "sweep file", …).

    Raises
    ------
    ScenarioError
        Missing, a folder, unreadable or too big; ``file`` is set to `path`.
    """
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(
                "", f"file is {size:,} bytes; the limit is {MAX_FILE_BYTES:,}", file=str(path)
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError("", "no such file", file=str(path)) from None
    except IsADirectoryError:
        raise ScenarioError("", f"is a folder, not a {kind}", file=str(path)) from None
    except PermissionError:
        raise ScenarioError("", "permission denied", file=str(path)) from None


def read_yaml_text(text: str | bytes, *, file: str | None = None) -> Any:
    """Parse YAML text safely (``yaml.safe_load``) with clear errors.

    Parameters
    ----------
    text : str or bytes
        The document (bytes must be UTF-8); at most `MAX_FILE_BYTES` [bytes or characters].
    file : str, optional
        Name put in front of error messages.

    Returns
    -------
    Any
        The data, as ``yaml.safe_load`` would build it.

    Raises
    ------
    ScenarioError
        Not UTF-8, not YAML (the line is named), a duplicate key (its path and both lines),
        more than `MAX_YAML_NODES` values after expanding aliases, or deeper than
        `MAX_YAML_DEPTH`.

    Examples
    --------
    >>> read_yaml_text("shifts:\\n  - {start: '08:00', hours: 8}\\n")
    {'shifts': [{'start': '08:00', 'hours': 8}]}
    >>> read_yaml_text("a: 1\\nb: 2\\na: 3\\n", file="x.yaml")
    Traceback (most recent call last):
    ...
    coverage.errors.ScenarioError: x.yaml: a: duplicate key (first at line 1, again at line 3); ...
    """
    if isinstance(text, bytes):
        if len(text) > MAX_FILE_BYTES:
            raise ScenarioError(
                "", f"file is {len(text):,} bytes; the limit is {MAX_FILE_BYTES:,}", file=file
            )
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ScenarioError("", f"not UTF-8 text (byte {exc.start})", file=file) from None
    if len(text) > MAX_FILE_BYTES:
        raise ScenarioError(
            "", f"file is {len(text):,} characters; the limit is {MAX_FILE_BYTES:,}", file=file
        )
    try:
        return _strict_load(text, file=file)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        # libyaml may put an error at the end of the text one line past it; PyYAML does not
        last_line = text.count("\n")
        where = f"line {min(mark.line, last_line) + 1}" if mark is not None else "YAML"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScenarioError(where, f"not valid YAML: {problem}", file=file) from None
    except RecursionError:
        raise ScenarioError("", "YAML nested too deeply", file=file) from None


class _YamlTooBigError(Exception):
    """Raised while composing: the document has more values than MAX_YAML_NODES."""


class _BadScalarError(Exception):
    """Raised while constructing: a scalar YAML resolves to a type it cannot hold (a date).

    `message` is left with its last parenthesis open: the loader adds the line and closes it.
    """

    def __init__(self, node: yaml.Node, message: str):
        super().__init__(message)
        self.node = node
        self.line = node.start_mark.line + 1
        self.message = message


def _construct_timestamp(loader: Any, node: yaml.Node) -> Any:
    """An unquoted date or timestamp; an impossible one (2026-02-30) is an input error."""
    try:
        return yaml.constructor.SafeConstructor.construct_yaml_timestamp(loader, node)  # type: ignore[arg-type]
    except (ValueError, OverflowError) as exc:
        raise _BadScalarError(node, f"{node.value!r} is not a valid date ({exc}") from None


class _NodeBudget:
    """Loader mixin: stop composing once a document has more than MAX_YAML_NODES values."""

    composed_nodes = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self.composed_nodes += 1
        if self.composed_nodes > MAX_YAML_NODES:
            raise _YamlTooBigError
        return super().compose_node(parent, index)  # type: ignore[misc]


class StrictSafeLoader(_NodeBudget, yaml.SafeLoader):
    """``yaml.SafeLoader`` that stops composing a document with too many values.

    `_strict_load` adds the checks made on the composed node graph (before any Python object
    is built): expanded size (alias bombs), nesting depth, recursive aliases, duplicate keys.
    """


try:  # libyaml's event parser (5-10x faster); the node composer stays Python, with its budget
    from yaml._yaml import CParser as _CParser

    HAVE_LIBYAML = True
except ImportError:  # pragma: no cover - PyYAML without libyaml
    HAVE_LIBYAML = False

if HAVE_LIBYAML:

    class _FastStrictLoader(  # type: ignore[misc]
        _NodeBudget,
        yaml.composer.Composer,
        _CParser,
        yaml.constructor.SafeConstructor,
        yaml.resolver.Resolver,
    ):
        """The same safe loader, reading events from libyaml."""

        def __init__(self, stream: str) -> None:
            _CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.constructor.SafeConstructor.__init__(self)
            yaml.resolver.Resolver.__init__(self)

    _LOADER: type = _FastStrictLoader
else:  # pragma: no cover
    _LOADER = StrictSafeLoader
StrictSafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
if HAVE_LIBYAML:
    _FastStrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    return []


def check_yaml_graph(root: yaml.Node) -> str | None:
    """What is wrong with the size or shape of a composed YAML document, or None.

    Counts values as if every alias were expanded (memoized per node, so an alias bomb costs
    nothing to measure), the nesting depth, and refuses an alias that contains itself.
    """
    expanded: dict[int, int] = {}
    height: dict[int, int] = {}
    started: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        kids = _children(node)
        if finished:
            expanded[key] = 1 + sum(expanded[id(k)] for k in kids)
            height[key] = 1 + max((height[id(k)] for k in kids), default=0)
            if expanded[key] > MAX_YAML_NODES:
                return (
                    f"the document expands to more than {MAX_YAML_NODES:,} values "
                    "(YAML aliases that multiply, an alias bomb?)"
                )
            if height[key] > MAX_YAML_DEPTH:
                return f"nested deeper than {MAX_YAML_DEPTH} levels"
            continue
        if key in expanded:
            continue
        if key in started:
            return "a YAML alias refers to a value that contains it (a recursive document)"
        started.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in expanded)
    return None


def find_duplicate_key(root: yaml.Node) -> tuple[str, str] | None:
    """The first mapping key that appears twice in one mapping: (field path, message)."""
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            first_line: dict[tuple[str, str], int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    continue
                if key_node.tag == "tag:yaml.org,2002:merge":
                    continue  # `<<: *base` merges; explicit keys may override merged ones
                line = key_node.start_mark.line + 1
                ident = (key_node.tag, key_node.value)
                if ident in first_line:
                    return join_path(*path, key_node.value), (
                        f"duplicate key (first at line {first_line[ident]}, again at line "
                        f"{line}); a name may appear only once in a mapping"
                    )
                first_line[ident] = line
                stack.append((value_node, (*path, key_node.value)))
    return None


def node_path(root: yaml.Node, target: yaml.Node) -> tuple[str | int, ...] | None:
    """The field path of `target` (a value node) inside the document `root`, or None."""
    seen_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, tuple[str | int, ...]]] = [(root, ())]
    while stack:
        node, path = stack.pop()
        if node is target:
            return path
        if id(node) in seen_nodes:
            continue
        seen_nodes.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            stack.extend((child, (*path, i)) for i, child in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            for key_node, value_node in node.value:
                if key_node is target:  # a date as a mapping key
                    return path
                stack.append((value_node, (*path, getattr(key_node, "value", "?"))))
    return None


def _strict_load(text: str, *, file: str | None) -> Any:
    """``yaml.safe_load`` with limits: size after aliases, depth, duplicate keys."""
    try:
        loader = _LOADER(text)
    except UnicodeError:  # text with lone surrogates (only possible when given str)
        raise ScenarioError("", "not valid Unicode text", file=file) from None
    try:
        try:
            node = loader.get_single_node()
        except _YamlTooBigError:
            raise ScenarioError(
                "", f"the document has more than {MAX_YAML_NODES:,} values", file=file
            ) from None
        except UnicodeError:
            raise ScenarioError("", "not valid Unicode text", file=file) from None
        if node is None:
            return None
        problem = check_yaml_graph(node)
        if problem:
            raise ScenarioError("", problem, file=file)
        duplicate = find_duplicate_key(node)
        if duplicate:
            raise ScenarioError(duplicate[0], duplicate[1], file=file)
        try:
            return loader.construct_document(node)
        except _BadScalarError as exc:
            path = node_path(node, exc.node)
            where = join_path(*path) if path is not None else f"line {exc.line}"
            raise ScenarioError(where, f"{exc.message}; line {exc.line})", file=file) from None
    finally:
        loader.dispose()
