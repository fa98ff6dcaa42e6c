#!/usr/bin/env python3
"""Builds sandbox/specs/woocommerce-rest-v3.openapi.json from WooCommerce's REST API v3 reference.

WooCommerce publishes its REST reference only as Slate Markdown (woocommerce/woocommerce-rest-api-docs,
source/includes/wp-api-v3/, vendored byte for byte under sandbox/specs/woocommerce-rest-v3/). This
script reads those files and writes what they say as an OpenAPI 3.0 document, so the contract harness
(sandbox/src/contract) checks WooCommerce traffic the way it checks the platforms that publish one.
Nothing is added that the Markdown does not say; every operation and schema carries `x-reference`,
the file and section it was read from. Where the reference is wrong or silent, the harness's
exceptions (sandbox/specs/exceptions.toml, argued in sandbox/specs/WOOCOMMERCE-NOTES.md) say so.

Readings (how the prose becomes schema):
- a properties table ("## Product properties ##", "### Product - Images properties ###") is an
  object schema; a row's type `integer|string|boolean|bool|number|array|object|date-time|mixed`
  maps to JSON Schema (`date-time` is a string: WooCommerce writes it without an offset);
- "See [X properties](#anchor)" makes an object or the items of an array that table's schema; an
  array without a link holds integers when its description speaks of IDs, strings when of names;
- `read-only` properties are left out of request schemas (a client that sends one is told so),
  `write-only` ones out of replies, `mandatory` ones are required when a record is created;
- a reply carries every property its table lists (context=view, no `_fields`): all are required;
- "Options: `a`, `b` and `c`." is an enum (capital O: "Default options:" lists examples, not a set);
- a property the reference's own JSON examples show as null is nullable, an object one they
  show as `[]` (PHP's empty array) may be an empty array, and a string one they show as a
  number may be a number (the tables and the examples disagree there; the examples are replies);
- an endpoint section ("## Create a product ##" with its <h6> path and method label) is an
  operation; its "#### Available parameters ####" table, its query parameters (arrays are
  comma-separated, as WordPress reads them); create answers 201, everything else 200; errors
  are the introduction's `{code, message, data}` with 400, 401, 404 and 500;
- batch endpoints take `{create: [X], update: [X with id], delete: [id]}` and answer the same keys
  with the records written, or per item `{id, error: {code, message, data}}` (introduction: Errors).

Usage: tools/schemas/woocommerce-openapi.py [--check]   (--check: exit 1 if the file is stale)
"""

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "sandbox/specs/woocommerce-rest-v3"
OUT = ROOT / "sandbox/specs/woocommerce-rest-v3.openapi.json"
PREFIX = "/wp-json/wc/v3"
# The files of the resources storeshift reads and writes (tags because a product's tags are set by id
# only; attributes, terms, coupons and the rest of the reference are not used and not vendored).
FILES = ["products.md", "product-variations.md", "product-categories.md", "product-tags.md", "customers.md", "orders.md"]
SOURCE = "woocommerce/woocommerce-rest-api-docs, source/includes/wp-api-v3/, 13d61967911c"

# Nullable where the reference is silent, with the evidence in sandbox/specs/WOOCOMMERCE-NOTES.md
# (item 5: a variation without an image answers `"image": null`).
NULLABLE_BY_SOURCE = {("product-variations.md", "image")}

HEADING = re.compile(r"^(#{2,4})\s+(.*?)\s*#*\s*$")
LINK = re.compile(r"\(#([a-z0-9-]+)\)")


def anchor(title):
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]+", "-", title.lower())).strip("-")


def schema_name(anchor_):
    base = anchor_[: -len("-properties")] if anchor_.endswith("-properties") else anchor_
    return "".join(w.capitalize() for w in base.split("-"))


def sections(text):
    """(level, title, body lines) for every heading of a Markdown file."""
    out = []
    for line in text.splitlines():
        m = HEADING.match(line)
        if m:
            out.append([len(m.group(1)), m.group(2), []])
        elif out:
            out[-1][2].append(line)
    return out


def table(lines):
    rows = []
    for line in lines:
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or set(cells[0]) <= set("-: "):
            continue
        name = cells[0].strip("`")
        if name in ("Attribute", "Parameter"):
            continue
        rows.append((name, cells[1].strip(), "|".join(cells[2:])))
    return rows


def options(desc):
    m = re.search(r"(?:^|[.>] )Options: (.*?)\.(?:\s|$)", desc)
    if not m:
        return None
    return re.findall(r"`([^`]+)`", m.group(1)) or None


def example_oddities(text):
    """Keys the reference's JSON examples show as null, as an empty array, and as a number."""
    nulls, empty_lists, numbers = set(), set(), set()
    for m in re.finditer(r"^\s*\"([a-z_0-9]+)\":\s*(null|\[\]|-?[0-9])", text, re.M):
        v = m.group(2)
        (nulls if v == "null" else empty_lists if v == "[]" else numbers).add(m.group(1))
    return nulls, empty_lists, numbers


def prop_schema(kind, desc, odd, name, side):
    nullable_keys, empty_list_keys, number_keys = odd
    kind = kind.lower()
    link = LINK.search(desc)
    ref = {"$ref": f"#/components/schemas/{schema_name(link.group(1))}{side}"} if link else None
    if kind == "array":
        if ref:
            items = ref
        elif re.search(r"\bIDs?\b", desc):
            items = {"type": "integer"}
        elif "names" in desc:
            items = {"type": "string"}
        else:
            items = {}
        s = {"type": "array", "items": items}
    elif kind == "object":
        s = ref if ref else {"type": "object"}
        if name in empty_list_keys:
            s = {"anyOf": [s, {"type": "array", "maxItems": 0}]}
    elif kind in ("integer",):
        s = {"type": "integer"}
    elif kind in ("boolean", "bool"):
        s = {"type": "boolean"}
    elif kind == "number":
        s = {"type": "number"}
    elif kind in ("string", "date-time"):
        s = {"type": "string"}
        opts = options(desc)
        if opts:
            s["enum"] = opts
        elif name in number_keys and name != "id":
            # The table says string, the reference's own example a number (line items' `price`).
            s = {"anyOf": [s, {"type": "number"}]}
    else:  # mixed and anything unnamed
        s = {}
    if name in nullable_keys:
        s = {"anyOf": [s, {"type": "null"}]} if "$ref" in s or "anyOf" in s else {**s, "nullable": True}
        if "enum" in s:
            s["enum"] = s["enum"] + [None]
    return s


def flags(desc):
    d = desc.lower()
    return ("read-only" in d, "write-only" in d, "mandatory" in d)


def build():
    schemas, paths = {}, {}
    for fname in FILES:
        text = (SRC / fname).read_text()
        odd = example_oddities(text)
        odd[0].update(k for f, k in NULLABLE_BY_SOURCE if f == fname)
        secs = sections(text)
        resource = None
        for level, title, body in secs:
            if not title.endswith("properties"):
                continue
            rows = table(body)
            a = anchor(title)
            name = schema_name(a)
            if level == 2 and resource is None:
                resource = name
            ref = f"{fname} § {title}"
            reply = {"type": "object", "x-reference": ref, "properties": {}, "required": []}
            request = {"type": "object", "x-reference": ref, "properties": {}}
            mandatory = []
            for prop, kind, desc in rows:
                ro, wo, must = flags(desc)
                if not wo:
                    reply["properties"][prop] = prop_schema(kind, desc, odd, prop, "")
                    reply["required"].append(prop)
                if not ro:
                    request["properties"][prop] = prop_schema(kind, desc, odd, prop, "Input")
                if must:
                    mandatory.append(prop)
            schemas[name] = reply
            schemas[name + "Input"] = request
            if mandatory:
                schemas[name + "Create"] = {
                    "x-reference": ref,
                    "allOf": [{"$ref": f"#/components/schemas/{name}Input"}],
                    "required": mandatory,
                }
        if resource is None:
            sys.exit(f"{fname}: no properties table")
        create_schema = resource + ("Create" if resource + "Create" in schemas else "Input")
        for i, (level, title, body) in enumerate(secs):
            if level != 2:
                continue
            # The endpoint's own lines run until the next level-2 heading.
            lines = list(body)
            for lv, t, b in secs[i + 1 :]:
                if lv == 2:
                    break
                lines += [f"{'#' * lv} {t}"] + b
            joined = "\n".join(lines)
            m_method = re.search(r'label-(get|post|put|delete)"', joined)
            m_path = re.search(r"<h6>(.*?)</h6>", joined)
            if not (m_method and m_path):
                continue
            path = m_path.group(1).replace("&lt;", "{").replace("&gt;", "}")
            if not path.startswith(PREFIX) or "downloads" in path:
                continue
            path = path[len(PREFIX) :]
            method = m_method.group(1)
            ref = f"{fname} § {title}"
            op = {"x-reference": ref, "summary": title, "parameters": []}
            for var in re.findall(r"\{([a-z_]+)\}", path):
                op["parameters"].append({"name": var, "in": "path", "required": True, "schema": {"type": "integer"}})
            params_at = joined.find("Available parameters")
            if params_at >= 0:
                for pname, kind, desc in table(joined[params_at:].splitlines()[1:]):
                    s = prop_schema(kind, desc, (set(), set(), set()), pname, "")
                    p = {"name": pname, "in": "query", "schema": s}
                    if s.get("type") == "array":
                        p["explode"] = False
                    op["parameters"].append(p)
            lowered = title.lower()
            one = {"$ref": f"#/components/schemas/{resource}"}
            if lowered.startswith("batch"):
                item = {"anyOf": [one, {"$ref": "#/components/schemas/BatchItemError"}]}
                update_item = {
                    "allOf": [{"$ref": f"#/components/schemas/{resource}Input"}],
                    "properties": {"id": {"type": "integer"}},
                    "required": ["id"],
                }
                op["requestBody"] = body_of({
                    "type": "object",
                    "properties": {
                        "create": {"type": "array", "items": {"$ref": f"#/components/schemas/{create_schema}"}},
                        "update": {"type": "array", "items": update_item},
                        "delete": {"type": "array", "items": {"type": "integer"}},
                    },
                })
                reply = {"type": "object", "properties": {k: {"type": "array", "items": item} for k in ("create", "update", "delete")}}
                status = "200"
            elif lowered.startswith("create"):
                op["requestBody"] = body_of({"$ref": f"#/components/schemas/{create_schema}"})
                reply, status = one, "201"
            elif lowered.startswith("update"):
                op["requestBody"] = body_of({"$ref": f"#/components/schemas/{resource}Input"})
                reply, status = one, "200"
            elif lowered.startswith("list"):
                reply, status = {"type": "array", "items": one}, "200"
            else:  # retrieve, delete: the record
                reply, status = one, "200"
            op["responses"] = {status: json_reply(title, reply)}
            for code in ("400", "401", "404", "500"):
                op["responses"][code] = json_reply("introduction.md § Errors", {"$ref": "#/components/schemas/Error"})
            paths.setdefault(path, {})[method] = op
    schemas["Error"] = {
        "x-reference": "introduction.md § Errors",
        "type": "object",
        "properties": {
            "code": {"type": "string"},
            "message": {"type": "string"},
            # WordPress adds `params` and `details` to `rest_invalid_param` (rest_validate_request_arg).
            "data": {"type": "object", "properties": {"status": {"type": "integer"}}, "additionalProperties": True},
        },
        "required": ["code", "message", "data"],
    }
    schemas["BatchItemError"] = {
        "x-reference": "introduction.md § Errors (a refused item of a batch carries the error of the request it stands for)",
        "type": "object",
        "properties": {"id": {"type": "integer"}, "error": {"$ref": "#/components/schemas/Error"}},
        "required": ["id", "error"],
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "WooCommerce REST API v3 (read from the Markdown reference)",
            "version": "wc/v3",
            "description": f"Generated by tools/schemas/woocommerce-openapi.py from {SOURCE}; do not edit by hand.",
        },
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def body_of(schema):
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def json_reply(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def main():
    text = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != text:
            sys.exit(f"{OUT.relative_to(ROOT)} is stale: run {Path(__file__).relative_to(ROOT)}")
        return
    OUT.write_text(text)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
