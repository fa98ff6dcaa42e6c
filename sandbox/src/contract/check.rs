//! Checks one recorded exchange against the operation it matched: query and path parameters,
//! the request body, the reply's status and body. Every finding is a [`Mismatch`].

use super::openapi::{declared, Operation, Side, Spec};
use super::{Kind, Mismatch};
use crate::Exchange;
use serde_json::Value;

/// Longest message kept from the validator (its messages quote the offending value).
const MAX_MESSAGE: usize = 240;

fn short(s: String) -> String {
    if s.chars().count() <= MAX_MESSAGE {
        return s;
    }
    let mut t: String = s.chars().take(MAX_MESSAGE).collect();
    t.push('…');
    t
}

/// A JSON pointer with array indexes written `*`, so the same place in every record reads
/// the same (and one exception covers it).
pub fn generic(pointer: &str) -> String {
    pointer
        .split('/')
        .map(|s| {
            if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
                "*"
            } else {
                s
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

/// Magento names list parameters with an index (`searchCriteria[filterGroups][0]…`); any
/// index is the same parameter.
fn without_indexes(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut chars = name.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if c == '[' && chars.peek().is_some_and(char::is_ascii_digit) {
            while chars.peek().is_some_and(char::is_ascii_digit) {
                chars.next();
            }
            out.push('0');
        }
    }
    out
}

/// A query or path value as the JSON its schema describes (a value that does not parse stays
/// a string, so the validator says what type was expected).
fn typed(spec: &Spec, schema_target: usize, comma: bool, raw: &[&str]) -> Value {
    let schema = spec.target(Side::Request, schema_target);
    let doc = spec.doc(Side::Request);
    let resolve = |s: &Value| -> Value {
        let mut s = s.clone();
        for _ in 0..16 {
            let Some(r) = s.get("$ref").and_then(Value::as_str) else {
                break;
            };
            match r.strip_prefix('#').and_then(|p| doc.pointer(p)) {
                Some(n) => s = n.clone(),
                None => break,
            }
        }
        s
    };
    let schema = resolve(schema);
    let ty = |s: &Value| -> String {
        match s.get("type") {
            Some(Value::String(t)) => t.clone(),
            Some(Value::Array(a)) => a
                .iter()
                .filter_map(Value::as_str)
                .find(|t| *t != "null")
                .unwrap_or("string")
                .to_string(),
            _ => "string".into(),
        }
    };
    let scalar = |t: &str, v: &str| -> Value {
        match t {
            "integer" => v
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| v.into()),
            "number" => v
                .parse::<f64>()
                .ok()
                .and_then(|f| serde_json::Number::from_f64(f).map(Value::Number))
                .unwrap_or_else(|| v.into()),
            "boolean" => match v {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => v.into(),
            },
            _ => v.into(),
        }
    };
    if ty(&schema) == "array" {
        let item_ty = schema
            .get("items")
            .map(|i| ty(&resolve(i)))
            .unwrap_or_default();
        let parts: Vec<&str> = if comma {
            raw.iter().flat_map(|v| v.split(',')).collect()
        } else {
            raw.to_vec()
        };
        Value::Array(parts.into_iter().map(|p| scalar(&item_ty, p)).collect())
    } else {
        scalar(&ty(&schema), raw.last().copied().unwrap_or(""))
    }
}

/// The schema a value is held to: one of the operation's request or reply schemas.
struct Against<'a> {
    spec: &'a Spec,
    op: &'a Operation,
    side: Side,
    target: usize,
}

fn validate(against: Against, value: &Value, at: &str, kind: Kind, out: &mut Vec<Mismatch>) {
    let Against {
        spec,
        op,
        side,
        target,
    } = against;
    let v = match spec.validator(side, target) {
        Ok(v) => v,
        Err(e) => {
            out.push(Mismatch::new(
                spec,
                op,
                Kind::BrokenSchema,
                at.to_string(),
                e.to_string(),
            ));
            return;
        }
    };
    for e in v.iter_errors(value) {
        let path = e.instance_path().to_string();
        out.push(Mismatch::new(
            spec,
            op,
            kind,
            format!("{at}{}", generic(&path)),
            short(e.to_string()),
        ));
    }
}

/// Names the instance carries that the schema does not declare (JSON Schema allows them by
/// default; a platform ignores or refuses them, and a reply field the spec does not name is
/// one the client must not depend on).
fn undeclared(
    doc: &Value,
    schema: &Value,
    inst: &Value,
    at: &str,
    out: &mut Vec<String>,
    depth: u32,
) {
    if depth > 64 {
        return;
    }
    let d = declared(doc, schema);
    match inst {
        Value::Object(o) => {
            for (k, v) in o {
                let here = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                match d.properties.get(k.as_str()) {
                    Some(schemas) => {
                        for s in schemas {
                            undeclared(doc, s, v, &here, out, depth + 1);
                        }
                    }
                    None if d.open || !d.any_properties_declared => {
                        for s in &d.extra {
                            undeclared(doc, s, v, &here, out, depth + 1);
                        }
                    }
                    None => out.push(here),
                }
            }
        }
        Value::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                for s in &d.items {
                    undeclared(doc, s, v, &format!("{at}/{i}"), out, depth + 1);
                }
            }
        }
        _ => {}
    }
}

fn body_checks(
    spec: &Spec,
    op: &Operation,
    side: Side,
    target: usize,
    value: &Value,
    at: &str,
    out: &mut Vec<Mismatch>,
) {
    let (invalid, unknown) = match side {
        Side::Request => (Kind::RequestBody, Kind::UndeclaredRequestField),
        Side::Reply => (Kind::ReplyBody, Kind::UndeclaredReplyField),
    };
    if let Value::String(s) = value {
        // The recorder keeps a body that is not JSON as a string.
        if !matches!(spec.target(side, target).get("type"), Some(Value::String(t)) if t == "string")
        {
            out.push(Mismatch::new(
                spec,
                op,
                Kind::NotJson,
                at.to_string(),
                short(format!("not JSON: {s}")),
            ));
            return;
        }
    }
    validate(
        Against {
            spec,
            op,
            side,
            target,
        },
        value,
        &format!("{at} "),
        invalid,
        out,
    );
    let mut names = vec![];
    undeclared(
        spec.doc(side),
        spec.target(side, target),
        value,
        "",
        &mut names,
        0,
    );
    for n in names {
        out.push(Mismatch::new(
            spec,
            op,
            unknown,
            format!("{at} {}", generic(&n)),
            "not a property of the specification's schema here".into(),
        ));
    }
}

/// Everything about `ex` that `op` (with path variables `vars`) does not allow.
pub fn exchange(
    spec: &Spec,
    op: &Operation,
    vars: &[(String, String)],
    ex: &Exchange,
) -> Vec<Mismatch> {
    let mut out = vec![];
    // Path variables.
    for (name, value) in vars {
        if let Some(p) = op
            .params
            .iter()
            .find(|p| p.location == "path" && &p.name == name)
        {
            let v = typed(spec, p.schema, p.comma_separated, &[value.as_str()]);
            validate(
                Against {
                    spec,
                    op,
                    side: Side::Request,
                    target: p.schema,
                },
                &v,
                &format!("path {name} "),
                Kind::PathValue,
                &mut out,
            );
        }
    }
    // Query parameters, grouped by name.
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(&ex.query).unwrap_or_default();
    let mut names: Vec<&str> = pairs.iter().map(|(k, _)| k.as_str()).collect();
    names.dedup();
    names.sort();
    names.dedup();
    for name in names {
        let values: Vec<&str> = pairs
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect();
        let param = op
            .params
            .iter()
            .filter(|p| p.location == "query")
            .find(|p| p.name == name || without_indexes(&p.name) == without_indexes(name));
        match param {
            None => out.push(Mismatch::new(
                spec,
                op,
                Kind::UnknownQueryParameter,
                format!("query {}", without_indexes(name)),
                format!("`{name}` is not a query parameter of this operation"),
            )),
            Some(p) => {
                let v = typed(spec, p.schema, p.comma_separated, &values);
                validate(
                    Against {
                        spec,
                        op,
                        side: Side::Request,
                        target: p.schema,
                    },
                    &v,
                    &format!("query {} ", p.name),
                    Kind::QueryValue,
                    &mut out,
                );
            }
        }
    }
    for p in op
        .params
        .iter()
        .filter(|p| p.location == "query" && p.required)
    {
        if !pairs
            .iter()
            .any(|(k, _)| without_indexes(k) == without_indexes(&p.name))
        {
            out.push(Mismatch::new(
                spec,
                op,
                Kind::MissingQueryParameter,
                format!("query {}", p.name),
                "required, not sent".into(),
            ));
        }
    }
    // The request body.
    match (&op.body, &ex.request) {
        (Some(b), Some(body)) => {
            body_checks(spec, op, Side::Request, b.schema, body, "request", &mut out)
        }
        (Some(b), None) if b.required => out.push(Mismatch::new(
            spec,
            op,
            Kind::RequestBody,
            "request".into(),
            "the operation requires a body; none was sent".into(),
        )),
        (None, Some(_)) => out.push(Mismatch::new(
            spec,
            op,
            Kind::RequestBody,
            "request".into(),
            "a body was sent; the operation takes none".into(),
        )),
        _ => {}
    }
    // The reply.
    let status = ex.status.to_string();
    let class = format!("{}XX", ex.status / 100);
    let response = op
        .responses
        .get(&status)
        .or_else(|| op.responses.get(&class))
        .or_else(|| op.responses.get("default"));
    let at = format!("reply {status}");
    match response {
        None if !op.responses.is_empty() => out.push(Mismatch::new(
            spec,
            op,
            Kind::UndocumentedStatus,
            at,
            format!(
                "status {status} is not among the documented replies ({})",
                op.responses.keys().cloned().collect::<Vec<_>>().join(", ")
            ),
        )),
        None => {}
        Some(None) => {
            if let Some(body) = &ex.reply {
                out.push(Mismatch::new(
                    spec,
                    op,
                    Kind::ReplyBody,
                    at,
                    short(format!(
                        "the specification gives this reply no body; the sandbox sent {body}"
                    )),
                ));
            }
        }
        Some(Some(target)) => match &ex.reply {
            Some(body) => body_checks(spec, op, Side::Reply, *target, body, &at, &mut out),
            None => out.push(Mismatch::new(
                spec,
                op,
                Kind::ReplyBody,
                at,
                "the specification describes a body; the reply had none".into(),
            )),
        },
    }
    out
}
