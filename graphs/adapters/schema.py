"""JSON Schema helpers: inline local ``$ref``s and pick sub-schemas out of a schema."""

from __future__ import annotations

from typing import Any

_DEF_KEYS = ("$defs", "definitions")


def inline_refs(schema: dict[str, Any], *, root: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return ``schema`` with local ``#/...`` references replaced by their targets.

    ``root`` is the document the references point into (``schema`` itself by default).
    The result holds no ``$defs``; a reference that loops back on itself becomes ``{}``.
    """
    resolved = _inline(schema, root if root is not None else schema, frozenset())
    return resolved if isinstance(resolved, dict) else {}


def _inline(node: Any, root: dict[str, Any], seen: frozenset[str]) -> Any:
    if isinstance(node, list):
        return [_inline(item, root, seen) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#"):
        if ref in seen:
            return {}
        target = _pointer(root, ref)
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        merged = {**(target if isinstance(target, dict) else {}), **siblings}
        return _inline(merged, root, seen | {ref})
    return {k: _inline(v, root, seen) for k, v in node.items() if k not in _DEF_KEYS}


def _pointer(root: dict[str, Any], ref: str) -> Any:
    """Follow a JSON pointer such as ``#/$defs/pay``; ``None`` when it leads nowhere."""
    node: Any = root
    for raw in ref.lstrip("#").split("/"):
        if not raw:
            continue
        part = raw.replace("~1", "/").replace("~0", "~")
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def property_schema(schema: dict[str, Any] | None, name: str) -> dict[str, Any] | None:
    """The self-contained schema of property ``name`` of an object ``schema``, if any."""
    if not isinstance(schema, dict):
        return None
    whole = inline_refs(schema)
    properties = whole.get("properties")
    if not isinstance(properties, dict):
        return None
    sub = properties.get(name)
    return sub if isinstance(sub, dict) else None


def union_members(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The branches of a ``oneOf``/``anyOf`` schema (refs inlined), or the schema itself."""
    whole = inline_refs(schema)
    for key in ("oneOf", "anyOf"):
        members = whole.get(key)
        if isinstance(members, list):
            return [m for m in members if isinstance(m, dict)]
    return [whole]


def const_of(schema: dict[str, Any], name: str) -> Any:
    """The ``const`` (or single ``enum`` value) of property ``name``, else ``None``."""
    prop = (schema.get("properties") or {}).get(name)
    if not isinstance(prop, dict):
        return None
    if "const" in prop:
        return prop["const"]
    enum = prop.get("enum")
    return enum[0] if isinstance(enum, list) and len(enum) == 1 else None
