"""JSON-schema helpers for grammar-constrained generation (llamacpp.py): the constant opening of a reply
written into the prompt instead of decoded, and the order the grammar writes an object's keys in."""

from __future__ import annotations

import json

__all__ = ["const_prefix", "const_values", "property_order"]


def const_values(schema: dict) -> dict:
    return {k: v["const"] for k, v in schema["properties"].items() if isinstance(v, dict) and "const" in v}


def const_prefix(schema: dict | None) -> tuple[str, str, dict | None]:
    """For an object whose leading properties are constants, the JSON text that must come first.

    Each token the grammar forces still costs a decoding step (~50 ms here), so
    ``{"answers": "yes", "words": `` is written into the prompt and read in one batch instead;
    only the last property is generated. Returns ("", "", None) when the schema is not of that form.
    """
    if not schema or schema.get("type") != "object" or not isinstance(schema.get("properties"), dict):
        return "", "", None
    items = list(schema["properties"].items())
    consts = [(k, v["const"]) for k, v in items[:-1] if isinstance(v, dict) and "const" in v]
    if not consts or len(consts) != len(items) - 1 or items[-1][0] not in schema.get("required", []):
        return "", "", None
    name, sub = items[-1]
    if not isinstance(sub, dict) or sub.get("type") != "string":
        return "", "", None
    head = ", ".join(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in consts)
    # The opening quote goes in the prompt too: ' "' is one token in the model's own replies.
    return "{" + head + f', {json.dumps(name)}: "', name, sub


def property_order(schema: object, order: list[str] | None = None) -> list[str]:
    order = [] if order is None else order
    if isinstance(schema, dict):
        for name in schema.get("properties") or {}:
            if name not in order:
                order.append(name)
        for value in schema.values():
            property_order(value, order)
    elif isinstance(schema, list):
        for item in schema:
            property_order(item, order)
    return order
