//! Checks recorded HTTP exchanges against an OpenAPI 3 document: the operation exists, every
//! query parameter is one the operation lists (and its value fits the parameter's schema), the
//! JSON body fits the request schema, and a 2xx reply fits the response schema.
//!
//! A small subset of JSON Schema, enough for Ideasoft's document: `$ref`, `type`, `enum`,
//! `minimum`/`maximum`, `minLength`/`maxLength`, `properties` (a property the schema does not
//! define is a mismatch: a client sending a field the platform does not have, or a sandbox
//! answering one, is what these checks exist to catch), `items` and `required`. The readings of
//! `IDEASOFT-NOTES.md` apply: LIST replies are arrays of the declared schema, `required` binds
//! the top-level object only, server-assigned fields are not required of a client, and a
//! password is never required of a reply. Written to be swapped onto the shared contract
//! harness when it lands.

use serde_json::Value;
use std::collections::BTreeMap;

/// One request and its reply, as a sandbox recorded it.
pub struct Exchange<'a> {
    pub method: &'a str,
    pub path: &'a str,
    pub query: &'a [(String, String)],
    pub body: Option<&'a Value>,
    pub status: u16,
    pub reply: Option<&'a Value>,
}

pub struct Spec {
    doc: Value,
    /// Fields never required of a request body: assigned by the server.
    server_set: &'static [&'static str],
}

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    /// A body a client sends; `put` when it changes an existing record.
    Request {
        put: bool,
    },
    Reply,
}

impl Spec {
    pub fn load(path: &std::path::Path, server_set: &'static [&'static str]) -> Spec {
        let text =
            std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        Spec {
            doc: serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
            server_set,
        }
    }

    fn resolve<'a>(&'a self, mut v: &'a Value) -> &'a Value {
        for _ in 0..32 {
            let Some(r) = v.get("$ref").and_then(Value::as_str) else {
                return v;
            };
            v = self
                .doc
                .pointer(r.trim_start_matches('#'))
                .unwrap_or(&Value::Null);
        }
        v
    }

    /// The operation a concrete path and method hit, with its template.
    fn operation(&self, method: &str, path: &str) -> Option<(&str, &Value)> {
        let paths = self.doc["paths"].as_object()?;
        let m = method.to_ascii_lowercase();
        // Literal templates first: `/products/count` is not `/products/{id}`.
        let mut best: Option<(usize, &str, &Value)> = None;
        for (template, ops) in paths {
            let t: Vec<&str> = template.split('/').collect();
            let p: Vec<&str> = path.split('/').collect();
            if t.len() != p.len() {
                continue;
            }
            let mut literal = 0;
            let fits = t.iter().zip(&p).all(|(a, b)| {
                if a.starts_with('{') {
                    true
                } else {
                    literal += 1;
                    a == b
                }
            });
            if fits && ops.get(&m).is_some() && best.is_none_or(|(l, _, _)| literal > l) {
                best = Some((literal, template.as_str(), &ops[&m]));
            }
        }
        best.map(|(_, t, op)| (t, op))
    }

    /// Every way `ex` departs from the document: the request's, then the reply's.
    pub fn check(&self, ex: &Exchange) -> (Vec<String>, Vec<String>) {
        let what = format!("{} {}", ex.method, ex.path);
        let Some((template, op)) = self.operation(ex.method, ex.path) else {
            return (
                vec![format!("{what}: no such operation in the document")],
                vec![],
            );
        };
        let head = format!("{} {template}", ex.method);
        let mut req = vec![];
        let params: BTreeMap<&str, &Value> = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|p| self.resolve(p))
            .filter(|p| p["in"] == "query")
            .filter_map(|p| Some((p["name"].as_str()?, p)))
            .collect();
        for (name, value) in ex.query {
            // `q[param]` is the document's parameter `q` ("q[<a valid query parameter>]").
            let (base, inner) = match name.strip_prefix("q[").and_then(|r| r.strip_suffix(']')) {
                Some(inner) => ("q", Some(inner)),
                None => (name.as_str(), None),
            };
            let Some(p) = params.get(base) else {
                req.push(format!(
                    "{head}: query parameter {name} is not in the document"
                ));
                continue;
            };
            if let Some(inner) = inner {
                if !params.contains_key(inner) || matches!(inner, "q" | "s") {
                    req.push(format!(
                        "{head}: q[{inner}] names no query parameter of the operation"
                    ));
                }
                continue;
            }
            let schema = self.resolve(&p["schema"]);
            let typed = match schema["type"].as_str() {
                Some("integer") => value
                    .parse::<i64>()
                    .map(Value::from)
                    .map_err(|_| "an integer"),
                Some("number") => value
                    .parse::<f64>()
                    .map(Value::from)
                    .map_err(|_| "a number"),
                _ => Ok(Value::String(value.clone())),
            };
            match typed {
                Ok(v) => self.validate(
                    schema,
                    &v,
                    &format!("{head} ?{name}"),
                    false,
                    Mode::Reply,
                    &mut req,
                ),
                Err(t) => req.push(format!("{head} ?{name}={value}: not {t}")),
            }
        }
        if let Some(body) = ex.body {
            match op.pointer("/requestBody/content/application~1json/schema") {
                Some(schema) => self.validate(
                    schema,
                    body,
                    &format!("{head} body"),
                    true,
                    Mode::Request {
                        put: ex.method.eq_ignore_ascii_case("PUT"),
                    },
                    &mut req,
                ),
                None => req.push(format!("{head}: the operation takes no JSON body")),
            }
        }
        let mut rep = vec![];
        if (200..300).contains(&ex.status) {
            let responses = &op["responses"];
            match responses.get(ex.status.to_string()) {
                None => rep.push(format!(
                    "{head}: status {} is not a documented reply",
                    ex.status
                )),
                Some(r) => {
                    let schema = self.resolve(r).pointer("/content/application~1json/schema");
                    match (schema, ex.reply) {
                        (Some(schema), Some(reply)) => {
                            let list = op["summary"].as_str().is_some_and(|s| s.ends_with("LIST"));
                            match (list, reply) {
                                (true, Value::Array(items)) => {
                                    for (i, item) in items.iter().enumerate() {
                                        self.validate(
                                            schema,
                                            item,
                                            &format!("{head} reply[{i}]"),
                                            true,
                                            Mode::Reply,
                                            &mut rep,
                                        );
                                    }
                                }
                                (true, _) => {
                                    rep.push(format!("{head}: a LIST reply that is not an array"))
                                }
                                (false, v) => self.validate(
                                    schema,
                                    v,
                                    &format!("{head} reply"),
                                    true,
                                    Mode::Reply,
                                    &mut rep,
                                ),
                            }
                        }
                        (None, Some(Value::Null)) | (None, None) | (Some(_), None) => {}
                        (None, Some(_)) => {
                            rep.push(format!("{head}: a body where the document has none"))
                        }
                    }
                }
            }
        }
        (req, rep)
    }

    fn validate(
        &self,
        schema: &Value,
        v: &Value,
        at: &str,
        top: bool,
        mode: Mode,
        out: &mut Vec<String>,
    ) {
        let s = self.resolve(schema);
        let ty = s["type"].as_str().or(if s.get("properties").is_some() {
            Some("object")
        } else {
            None
        });
        let fits = match (ty, v) {
            (None, _) => true,
            (Some("string"), Value::String(_)) => true,
            (Some("integer"), Value::Number(n)) => n.is_i64() || n.is_u64(),
            (Some("number"), Value::Number(_)) => true,
            (Some("boolean"), Value::Bool(_)) => true,
            (Some("array"), Value::Array(_)) => true,
            (Some("object"), Value::Object(_)) => true,
            _ => false,
        };
        if !fits {
            out.push(format!(
                "{at}: {} where the document has {}",
                kind(v),
                ty.unwrap_or("?")
            ));
            return;
        }
        if let Some(allowed) = s["enum"].as_array() {
            if !allowed
                .iter()
                .any(|a| a == v || (a.as_f64().is_some() && a.as_f64() == v.as_f64()))
            {
                out.push(format!(
                    "{at}: {v} is not one of {}",
                    Value::Array(allowed.clone())
                ));
            }
        }
        if let Some(n) = v.as_f64() {
            if s["minimum"].as_f64().is_some_and(|m| n < m) {
                out.push(format!("{at}: {v} is below the minimum {}", s["minimum"]));
            }
            if s["maximum"].as_f64().is_some_and(|m| n > m) {
                out.push(format!("{at}: {v} is above the maximum {}", s["maximum"]));
            }
        }
        if let Value::String(t) = v {
            let len = t.chars().count() as u64;
            if s["maxLength"].as_u64().is_some_and(|m| len > m) {
                out.push(format!(
                    "{at}: {len} characters, more than the maximum {}",
                    s["maxLength"]
                ));
            }
            if s["minLength"].as_u64().is_some_and(|m| len < m) {
                out.push(format!(
                    "{at}: {len} characters, fewer than the minimum {}",
                    s["minLength"]
                ));
            }
        }
        match v {
            Value::Array(items) => {
                if let Some(item) = s.get("items") {
                    for (i, x) in items.iter().enumerate() {
                        self.validate(item, x, &format!("{at}[{i}]"), false, mode, out);
                    }
                }
            }
            Value::Object(o) => {
                let props = s["properties"].as_object();
                let named = |k: &str| {
                    s["required"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|x| x == k))
                };
                for (k, x) in o {
                    match props.and_then(|p| p.get(k)) {
                        Some(ps) => self.validate(ps, x, &format!("{at}.{k}"), false, mode, out),
                        // A field the schema requires but never defines (Member.iysStatus,
                        // Order.nebimTransferStatus) is the document's own word for it.
                        None if named(k) => {}
                        None if props.is_some() => {
                            out.push(format!("{at}: property {k} is not in the document"))
                        }
                        None => {}
                    }
                }
                if top {
                    for r in s["required"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(Value::as_str)
                    {
                        let exempt = match mode {
                            Mode::Request { put } => {
                                self.server_set.contains(&r) || (put && r == "password")
                            }
                            Mode::Reply => r == "password",
                        };
                        let missing = match o.get(r) {
                            None | Some(Value::Null) => true,
                            Some(Value::String(t)) => {
                                matches!(mode, Mode::Request { .. }) && t.trim().is_empty()
                            }
                            _ => false,
                        };
                        if missing && !exempt {
                            out.push(format!("{at}: required property {r} is missing or blank"));
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
