#!/usr/bin/env python3
"""Builds sandbox/specs/wordpress-rest-v2.openapi.json from WordPress's REST API reference for pages.

Pages of a WooCommerce store live in WordPress itself (`/wp-json/wp/v2/pages`), not in WooCommerce's
REST API. WordPress publishes that reference only as HTML tables inside Markdown (WP-API/docs,
reference/pages.md, vendored byte for byte under sandbox/specs/wordpress-rest-v2/). This script
reads it and writes what it says as an OpenAPI 3.0 document, so the contract harness
(sandbox/src/contract) checks page traffic as it checks WooCommerce's own. Nothing is added that
the reference does not say; every operation and schema carries `x-reference`, the section it was
read from. Where the reference is silent, sandbox/specs/WOOCOMMERCE-NOTES.md argues the reading.

Readings (how the tables become schema):
- the "Schema" table is the page record: a row's "JSON data type" `integer|string|boolean|object`,
  "string or null" is nullable, "Format: uri" a URI (datetimes stay strings: WordPress writes
  them without an offset); "One of: `a`, `b`" is an enum;
- a row marked "Read only" is left out of request bodies;
- a reply carries every row whose context includes `view` and `edit` (the contexts the connector
  asks for); a row of the `edit` context alone (`password`, `permalink_template`,
  `generated_slug`) may be missing, as in a `view` reply;
- an endpoint section ("List Pages" with its Definition `GET /wp/v2/pages`) is an operation; the
  Arguments of a GET or DELETE are query parameters (arrays comma-separated, as WordPress reads
  them), those of a POST the body's properties, typed by the Schema row they link to;
- `title`, `content` and `excerpt` are objects in the Schema table and the request body takes them
  as the table says or as a plain string (WP_REST_Posts_Controller gives them an `arg_options`
  sanitizer that accepts both; the reference lists them without a type) — the reading the
  WordPress block editor itself relies on (it sends strings);
- create answers 201, everything else 200; errors are WordPress's `{code, message, data}` with
  400, 401, 403, 404 and 500; a delete without `force` answers the trashed page, with `force=true`
  `{deleted, previous}` (the reference shows no reply; both are accepted).

Usage: tools/schemas/wordpress-openapi.py [--check]   (--check: exit 1 if the file is stale)
"""

import html
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "sandbox/specs/wordpress-rest-v2/pages.md"
OUT = ROOT / "sandbox/specs/wordpress-rest-v2.openapi.json"
PREFIX = "/wp/v2"
SOURCE = "WP-API/docs, reference/pages.md, b612adec01ad"
# Objects in the Schema table that the request body also takes as a plain string.
STRING_OR_OBJECT = {"title", "content", "excerpt"}

SECTION = re.compile(r'<section class="route">(.*?)</section>', re.S)
ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
CELL = re.compile(r"<td>(.*?)</td>", re.S)
TAG = re.compile(r"<[^>]+>")


def text(fragment):
    return re.sub(r"\s+", " ", html.unescape(TAG.sub("", fragment))).strip()


def one_of(cell):
    m = re.search(r"<p>One of: (.*?)</p>", cell, re.S)
    return [html.unescape(c) for c in re.findall(r"<code>(.*?)</code>", m.group(1))] if m else None


def default_of(cell):
    m = re.search(r"Default: <code>(.*?)</code>", cell, re.S)
    return html.unescape(m.group(1)) if m else None


def rows(section):
    """(name, first cell, second cell) for every row of a section's table."""
    out = []
    for row in ROW.findall(section):
        cells = CELL.findall(row)
        if len(cells) != 2:
            continue
        m = re.search(r"<code>(?:<a[^>]*>)?([a-z_]+)(?:</a>)?</code>", cells[0])
        if m:
            out.append((m.group(1), cells[0], cells[1]))
    return out


def type_schema(cell, enum):
    """The schema a Schema row's "JSON data type: string or null, Format: datetime" says."""
    m = re.search(r'<p class="type">(.*?)</p>', cell, re.S)
    said = text(re.sub(r"\(<a .*?</a>\)", "", m.group(1))) if m else ""
    kinds = re.search(r"JSON data type: ([a-z ]+)", said)
    fmt = re.search(r"Format: ([a-z-]+)", said)
    parts = kinds.group(1).split(" or ") if kinds else ["string"]
    base = next(p for p in parts if p != "null")
    s = {"integer": {"type": "integer"}, "string": {"type": "string"}, "boolean": {"type": "boolean"},
         "object": {"type": "object"}, "array": {"type": "array", "items": {}}}[base.strip()]
    if fmt and fmt.group(1) == "uri":
        s["format"] = "uri"
    if enum:
        s["enum"] = enum
    if "null" in parts:
        s["nullable"] = True
        if enum:
            s["enum"] = enum + [None]
    return s


def build():
    doc = SRC.read_text()
    sections = SECTION.findall(doc)
    schema_sec = next(s for s in sections if "<h2>Schema</h2>" in s)
    record, request, reply_required = {}, {}, []
    for name, first, second in rows(schema_sec):
        s = type_schema(second, one_of(second))
        record[name] = s
        ctx = re.search(r'<p class="context">(.*?)</p>', second, re.S)
        contexts = re.findall(r"<code>(\w+)</code>", ctx.group(1)) if ctx else []
        if "view" in contexts and "edit" in contexts:
            reply_required.append(name)
        if 'class="read-only"' not in second:
            request[name] = {"anyOf": [{"type": "string"}, s]} if name in STRING_OR_OBJECT else s
    ref = "pages.md § Schema"
    schemas = {
        "Page": {"type": "object", "x-reference": ref, "properties": record, "required": reply_required},
        "PageInput": {"type": "object", "x-reference": ref, "properties": request},
        "Deleted": {
            "type": "object",
            "x-reference": "pages.md § Delete a Page (no reply shown; WP_REST_Posts_Controller::delete_item with force)",
            "properties": {"deleted": {"type": "boolean"}, "previous": {"$ref": "#/components/schemas/Page"}},
            "required": ["deleted", "previous"],
        },
        "Error": {
            "x-reference": "WordPress REST API Handbook, Global Parameters and errors: {code, message, data}",
            "type": "object",
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "data": {"type": "object", "properties": {"status": {"type": "integer"}}, "additionalProperties": True},
            },
            "required": ["code", "message", "data"],
        },
    }
    paths = {}
    for sec in sections:
        title_m = re.search(r"<h2>(.*?)</h2>", sec)
        def_m = re.search(r"<code>(GET|POST|PUT|PATCH|DELETE) (/wp/v2/[^<]*)</code>", sec)
        if not (title_m and def_m) or title_m.group(1) == "Schema":
            continue
        title = text(title_m.group(1))
        method = def_m.group(1).lower()
        path = html.unescape(def_m.group(2)).replace("<", "{").replace(">", "}")[len(PREFIX):]
        op = {"x-reference": f"pages.md § {title}", "summary": title, "parameters": []}
        path_vars = re.findall(r"\{([a-z_]+)\}", path)
        for var in path_vars:
            op["parameters"].append({"name": var, "in": "path", "required": True, "schema": {"type": "integer"}})
        args = [(n, c) for n, _, c in rows(sec) if n not in path_vars]
        if method == "post":
            props = {n: request[n] for n, _ in args if n in request}
            op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
                "type": "object", "x-reference": f"pages.md § {title}", "properties": props}}}}
        else:
            for n, cell in args:
                s = record.get(n, {}).copy() if n in record else {"type": "string"}
                enum = one_of(cell)
                if n in ("page", "per_page", "offset", "menu_order", "author", "parent", "exclude", "include", "author_exclude", "parent_exclude"):
                    s = {"type": "integer"}
                if n in ("force",):
                    s = {"type": "boolean"}
                if n in ("exclude", "include", "author", "author_exclude", "parent", "parent_exclude", "slug", "status", "search_columns"):
                    # WordPress takes these as lists, comma-separated or repeated.
                    s = {"type": "array", "items": s if n not in ("slug", "status", "search_columns") else {"type": "string"}}
                if enum:
                    s = {"type": "string", "enum": enum}
                s.pop("nullable", None)
                s.pop("format", None)
                p = {"name": n, "in": "query", "schema": s}
                if s.get("type") == "array":
                    p["explode"] = False
                d = default_of(cell)
                if d is not None:
                    p["x-default"] = d
                op["parameters"].append(p)
        one = {"$ref": "#/components/schemas/Page"}
        lowered = title.lower()
        if lowered.startswith("list"):
            reply, status = {"type": "array", "items": one}, "200"
        elif lowered.startswith("create"):
            reply, status = one, "201"
        elif lowered.startswith("delete"):
            reply, status = {"anyOf": [one, {"$ref": "#/components/schemas/Deleted"}]}, "200"
        else:
            reply, status = one, "200"
        op["responses"] = {status: {"description": title, "content": {"application/json": {"schema": reply}}}}
        for code in ("400", "401", "403", "404", "500"):
            op["responses"][code] = {"description": "WordPress error", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
        paths.setdefault(path, {})[method] = op
        # WordPress registers every editable route for POST, PUT and PATCH alike (WP_REST_Server::EDITABLE).
        if method == "post" and path_vars:
            for alias in ("put", "patch"):
                paths[path][alias] = {**op, "x-reference": op["x-reference"] + " (WP_REST_Server::EDITABLE)"}
    if not paths:
        sys.exit(f"{SRC}: no endpoint sections")
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "WordPress REST API v2: pages (read from the reference's tables)",
            "version": "wp/v2",
            "description": f"Generated by tools/schemas/wordpress-openapi.py from {SOURCE}; do not edit by hand.",
        },
        "servers": [{"url": PREFIX}],
        "paths": dict(sorted(paths.items())),
        "components": {"schemas": dict(sorted(schemas.items()))},
    }


def main():
    out = json.dumps(build(), indent=1, ensure_ascii=False) + "\n"
    if "--check" in sys.argv[1:]:
        if not OUT.exists() or OUT.read_text() != out:
            sys.exit(f"{OUT.relative_to(ROOT)} is stale: run {Path(__file__).relative_to(ROOT)}")
        return
    OUT.write_text(out)
    print(f"wrote {OUT.relative_to(ROOT)}", file=sys.stderr)


if __name__ == "__main__":
    main()
