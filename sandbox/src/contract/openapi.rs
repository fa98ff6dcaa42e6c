//! One published API description, OpenAPI 3.0 or Swagger 2.0, made checkable: its schemas
//! translated into JSON Schema (draft 4, whose numeric keywords OpenAPI 3.0 shares), its
//! operations indexed by method and path template, and a validator per schema built on demand.
//!
//! The translation keeps what the platforms mean and drops what JSON Schema would misread:
//! `nullable` (and `x-nullable`, which BigCommerce uses in OpenAPI 3 documents) admits `null`;
//! a `readOnly` property is not required in a request, nor a `writeOnly` one in a reply;
//! Swagger's `type: file` and non-array `required` are dropped; other `x-…` keys, `example`,
//! `discriminator` are ignored by the validator as unknown keywords.

use super::ContractError;
use jsonschema::{Draft, Registry, Validator};
use serde_json::{json, Map, Value};
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Which side of an exchange a schema is applied to: `readOnly`/`writeOnly` differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Side {
    Request,
    Reply,
}

const METHODS: [&str; 7] = ["get", "put", "post", "delete", "patch", "head", "options"];
/// Where the schemas the harness validates against are gathered in the translated document,
/// so every one is reachable by a plain JSON pointer (path templates hold `{` and `}`).
const TARGETS: &str = "x-storeshift-targets";

/// A query or path parameter.
#[derive(Debug, Clone)]
pub struct Param {
    pub name: String,
    pub location: String,
    pub required: bool,
    /// Index of its schema among the document's targets.
    pub schema: usize,
    /// Arrays are written comma-separated (OpenAPI `style: form, explode: false`, Swagger
    /// `collectionFormat: csv`) unless the document says they repeat the key.
    pub comma_separated: bool,
}

/// The JSON body a request may carry.
#[derive(Debug, Clone)]
pub struct Body {
    pub schema: usize,
    pub required: bool,
}

/// One method on one path template.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: String,
    pub template: String,
    segments: Vec<Segment>,
    pub params: Vec<Param>,
    pub body: Option<Body>,
    /// Status (`"200"`, `"2XX"`, `"default"`) to the reply's schema target, if it has one.
    pub responses: BTreeMap<String, Option<usize>>,
}

#[derive(Debug, Clone, PartialEq)]
enum Segment {
    Literal(String),
    Var(String),
}

impl Operation {
    /// `Some(literal segment count, path variables)` when `path` fits the template.
    pub fn matches(&self, path: &[&str]) -> Option<(usize, Vec<(String, String)>)> {
        if path.len() != self.segments.len() {
            return None;
        }
        let mut literal = 0;
        let mut vars = vec![];
        for (seg, part) in self.segments.iter().zip(path) {
            match seg {
                Segment::Literal(l) if l == part => literal += 1,
                Segment::Literal(_) => return None,
                Segment::Var(v) if !part.is_empty() => vars.push((v.clone(), part.to_string())),
                Segment::Var(_) => return None,
            }
        }
        Some((literal, vars))
    }

    pub fn name(&self) -> String {
        format!("{} {}", self.method.to_ascii_uppercase(), self.template)
    }
}

pub fn split_path(p: &str) -> Vec<&str> {
    p.trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect()
}

fn segments(template: &str) -> Vec<Segment> {
    split_path(template)
        .into_iter()
        .map(
            |s| match s.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                Some(v) => Segment::Var(v.to_string()),
                None => Segment::Literal(s.to_string()),
            },
        )
        .collect()
}

/// A loaded specification.
pub struct Spec {
    pub file: String,
    uri: String,
    swagger2: bool,
    /// Translated documents for requests and replies (the raw one is not kept).
    docs: HashMap<Side, Arc<Value>>,
    registries: HashMap<Side, Registry<'static>>,
    pub operations: Vec<Operation>,
    validators: Mutex<HashMap<(Side, usize), Arc<Validator>>>,
}

impl std::fmt::Debug for Spec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Spec")
            .field("file", &self.file)
            .field("operations", &self.operations.len())
            .finish()
    }
}

fn escape(token: &str) -> String {
    token.replace('~', "~0").replace('/', "~1")
}

/// Follows local `$ref`s (`#/…`) to the node they name, with the pointer it lives at.
fn deref<'a>(doc: &'a Value, node: &'a Value, at: String) -> Result<(&'a Value, String), String> {
    let mut node = node;
    let mut at = at;
    for _ in 0..32 {
        let Some(r) = node.get("$ref").and_then(Value::as_str) else {
            return Ok((node, at));
        };
        let ptr = r
            .strip_prefix('#')
            .ok_or_else(|| format!("{at}: only local references are followed, not {r:?}"))?;
        node = doc
            .pointer(ptr)
            .ok_or_else(|| format!("{at}: $ref {r:?} names nothing in the document"))?;
        at = ptr.to_string();
    }
    Err(format!("{at}: $ref chain longer than 32"))
}

impl Spec {
    /// Reads a YAML or JSON document (by extension) and indexes it.
    pub fn load(path: &Path) -> Result<Spec, ContractError> {
        Spec::load_read(path, |_| {})
    }

    /// As [`Spec::load`], with a reading of the document (see [`super::readings`]) applied
    /// before it is indexed.
    pub fn load_read(path: &Path, reading: fn(&mut Value)) -> Result<Spec, ContractError> {
        let file = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.display().to_string());
        let text = std::fs::read_to_string(path).map_err(|e| ContractError::Spec {
            file: file.clone(),
            message: format!("cannot read {}: {e}", path.display()),
        })?;
        let doc: Value = if file.ends_with(".json") {
            serde_json::from_str(&text).map_err(|e| ContractError::Spec {
                file: file.clone(),
                message: format!("not JSON: {e}"),
            })?
        } else {
            serde_norway::from_str(&text).map_err(|e| ContractError::Spec {
                file: file.clone(),
                message: format!("not YAML: {e}"),
            })?
        };
        let mut doc = doc;
        reading(&mut doc);
        Spec::from_value(&file, doc)
    }

    pub fn from_value(file: &str, raw: Value) -> Result<Spec, ContractError> {
        let err = |message: String| ContractError::Spec {
            file: file.to_string(),
            message,
        };
        let swagger2 = raw.get("swagger").and_then(Value::as_str) == Some("2.0");
        if !swagger2
            && !raw
                .get("openapi")
                .and_then(Value::as_str)
                .is_some_and(|v| v.starts_with("3.0"))
        {
            return Err(err(
                "neither `openapi: 3.0.x` nor `swagger: \"2.0\"`: the harness reads those two"
                    .into(),
            ));
        }
        let mut targets: Vec<Value> = vec![];
        let operations = index(&raw, swagger2, &mut targets).map_err(err)?;
        let uri = format!(
            "urn:storeshift:spec:{}",
            file.replace(
                |c: char| !c.is_ascii_alphanumeric() && c != '.' && c != '-',
                "_"
            )
        );
        let mut docs = HashMap::new();
        let mut registries = HashMap::new();
        for side in [Side::Request, Side::Reply] {
            let mut doc = raw.clone();
            translate_doc(&mut doc, side, swagger2);
            let mut t: Vec<Value> = targets.clone();
            for s in &mut t {
                translate_schema(s, side);
            }
            if let Some(o) = doc.as_object_mut() {
                o.insert(TARGETS.into(), Value::Array(t));
            }
            let registry = Registry::new()
                .draft(Draft::Draft4)
                .add(&uri, doc.clone())
                .and_then(|b| b.prepare())
                .map_err(|e| err(format!("cannot index its schemas: {e}")))?;
            docs.insert(side, Arc::new(doc));
            registries.insert(side, registry);
        }
        Ok(Spec {
            file: file.to_string(),
            uri,
            swagger2,
            docs,
            registries,
            operations,
            validators: Mutex::new(HashMap::new()),
        })
    }

    pub fn is_swagger2(&self) -> bool {
        self.swagger2
    }

    /// The translated document for one side (for the undeclared-field walk).
    pub fn doc(&self, side: Side) -> &Value {
        &self.docs[&side]
    }

    /// The translated schema of a target.
    pub fn target(&self, side: Side, n: usize) -> &Value {
        &self.docs[&side][TARGETS][n]
    }

    /// The validator of one target schema, compiled the first time it is asked for.
    pub fn validator(&self, side: Side, n: usize) -> Result<Arc<Validator>, ContractError> {
        let mut cache = super::lock(&self.validators);
        if let Some(v) = cache.get(&(side, n)) {
            return Ok(v.clone());
        }
        let schema = json!({ "$ref": format!("{}#/{TARGETS}/{n}", self.uri) });
        let v = jsonschema::options()
            .with_draft(Draft::Draft4)
            .with_registry(&self.registries[&side])
            .should_validate_formats(true)
            .build(&schema)
            .map_err(|e| ContractError::Spec {
                file: self.file.clone(),
                message: format!("a schema does not compile: {e}"),
            })?;
        let v = Arc::new(v);
        cache.insert((side, n), v.clone());
        Ok(v)
    }
}

/// Builds the operation list; every schema an operation uses is copied into `targets`.
fn index(doc: &Value, swagger2: bool, targets: &mut Vec<Value>) -> Result<Vec<Operation>, String> {
    let mut ops = vec![];
    let Some(paths) = doc.get("paths").and_then(Value::as_object) else {
        return Err("no `paths`".into());
    };
    for (template, item) in paths {
        let item_at = format!("/paths/{}", escape(template));
        let (item, item_at) = deref(doc, item, item_at)?;
        let shared = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let op_at = format!("{item_at}/{method}");
            let mut params: Vec<Param> = vec![];
            let mut body = None;
            let own = op
                .get("parameters")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            // Operation parameters override path-level ones of the same name and place.
            let mut all: Vec<(Value, String)> = vec![];
            for (i, p) in shared.iter().enumerate() {
                all.push((p.clone(), format!("{item_at}/parameters/{i}")));
            }
            for (i, p) in own.iter().enumerate() {
                all.push((p.clone(), format!("{op_at}/parameters/{i}")));
            }
            let mut resolved: Vec<(Value, String)> = vec![];
            for (p, at) in &all {
                let (p, at) = deref(doc, p, at.clone())?;
                let key = (p.get("name").cloned(), p.get("in").cloned());
                resolved.retain(|(q, _)| (q.get("name").cloned(), q.get("in").cloned()) != key);
                resolved.push((p.clone(), at));
            }
            for (p, _at) in resolved {
                let name = p
                    .get("name")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let location = p
                    .get("in")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let required = p.get("required").and_then(Value::as_bool).unwrap_or(false);
                if location == "body" {
                    let schema = p.get("schema").cloned().unwrap_or(json!({}));
                    targets.push(schema);
                    body = Some(Body {
                        schema: targets.len() - 1,
                        required,
                    });
                    continue;
                }
                let (schema, comma) = if swagger2 {
                    let mut s = Map::new();
                    for k in [
                        "type",
                        "format",
                        "items",
                        "enum",
                        "minimum",
                        "maximum",
                        "exclusiveMinimum",
                        "exclusiveMaximum",
                        "minLength",
                        "maxLength",
                        "pattern",
                        "minItems",
                        "maxItems",
                        "uniqueItems",
                        "multipleOf",
                    ] {
                        if let Some(v) = p.get(k) {
                            s.insert(k.into(), v.clone());
                        }
                    }
                    let multi = p.get("collectionFormat").and_then(Value::as_str) == Some("multi");
                    (Value::Object(s), !multi)
                } else {
                    let schema = p
                        .get("schema")
                        .or_else(|| {
                            p.get("content")
                                .and_then(Value::as_object)
                                .and_then(|c| c.values().next())
                                .and_then(|m| m.get("schema"))
                        })
                        .cloned()
                        .unwrap_or(json!({}));
                    let style_form =
                        p.get("style").and_then(Value::as_str).unwrap_or("form") == "form";
                    let explode = p
                        .get("explode")
                        .and_then(Value::as_bool)
                        .unwrap_or(style_form);
                    // BigCommerce writes `x:in` lists comma-separated without saying
                    // `explode: false` on every one; a repeated key is read the same way.
                    (
                        schema,
                        !explode || name.ends_with(":in") || name.ends_with(":not_in"),
                    )
                };
                targets.push(schema);
                params.push(Param {
                    name,
                    location,
                    required,
                    schema: targets.len() - 1,
                    comma_separated: comma,
                });
            }
            if let Some(rb) = op.get("requestBody") {
                let (rb, _) = deref(doc, rb, format!("{op_at}/requestBody"))?;
                if let Some(schema) = json_schema_of(rb) {
                    targets.push(schema.clone());
                    body = Some(Body {
                        schema: targets.len() - 1,
                        required: rb.get("required").and_then(Value::as_bool).unwrap_or(false),
                    });
                }
            }
            let mut responses = BTreeMap::new();
            for (status, r) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                let (r, _) = deref(doc, r, format!("{op_at}/responses/{}", escape(status)))?;
                let schema = if swagger2 {
                    r.get("schema")
                } else {
                    json_schema_of(r)
                };
                let target = schema.map(|s| {
                    targets.push(s.clone());
                    targets.len() - 1
                });
                let status = if status.eq_ignore_ascii_case("default") {
                    "default".to_string()
                } else {
                    status.to_ascii_uppercase()
                };
                responses.insert(status, target);
            }
            ops.push(Operation {
                method: method.to_string(),
                template: template.clone(),
                segments: segments(template),
                params,
                body,
                responses,
            });
        }
    }
    Ok(ops)
}

/// The schema of an OpenAPI 3 request body or response with a JSON media type.
fn json_schema_of(node: &Value) -> Option<&Value> {
    let content = node.get("content")?.as_object()?;
    content
        .iter()
        .find(|(mt, _)| mt.contains("json"))
        .or_else(|| content.iter().find(|(mt, _)| mt.as_str() == "*/*"))
        .and_then(|(_, m)| m.get("schema"))
}

/// Translates every schema of the document in place (components, definitions, and the
/// schemas inside parameters, bodies and responses).
fn translate_doc(doc: &mut Value, side: Side, swagger2: bool) {
    if swagger2 {
        if let Some(defs) = doc.get_mut("definitions").and_then(Value::as_object_mut) {
            for s in defs.values_mut() {
                translate_schema(s, side);
            }
        }
    } else if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for s in schemas.values_mut() {
            translate_schema(s, side);
        }
    }
    for key in ["paths", "components", "parameters", "responses"] {
        if let Some(v) = doc.get_mut(key) {
            translate_schema_positions(v, side, key == "components");
        }
    }
}

/// Finds `schema` members outside schemas (parameters, media types, responses) and translates
/// them; `skip_schemas` leaves `components/schemas`, already done, alone.
fn translate_schema_positions(node: &mut Value, side: Side, skip_schemas: bool) {
    match node {
        Value::Object(o) => {
            for (k, v) in o.iter_mut() {
                if k == "schema" && v.is_object() {
                    translate_schema(v, side);
                } else if skip_schemas && k == "schemas" {
                    continue;
                } else if k != "example" && k != "examples" {
                    translate_schema_positions(v, side, false);
                }
            }
        }
        Value::Array(a) => {
            for v in a {
                translate_schema_positions(v, side, false);
            }
        }
        _ => {}
    }
}

fn truthy(o: &Map<String, Value>, k: &str) -> bool {
    o.get(k).and_then(Value::as_bool).unwrap_or(false)
}

/// OpenAPI schema object → JSON Schema draft 4, recursively.
pub fn translate_schema(node: &mut Value, side: Side) {
    let Some(o) = node.as_object_mut() else {
        return;
    };
    if o.contains_key("$ref") {
        return;
    }
    for k in ["properties", "patternProperties"] {
        if let Some(props) = o.get_mut(k).and_then(Value::as_object_mut) {
            for v in props.values_mut() {
                translate_schema(v, side);
            }
        }
    }
    for k in ["items", "additionalProperties", "not"] {
        if let Some(v) = o.get_mut(k) {
            match v {
                Value::Array(a) => a.iter_mut().for_each(|s| translate_schema(s, side)),
                v => translate_schema(v, side),
            }
        }
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        if let Some(a) = o.get_mut(k).and_then(Value::as_array_mut) {
            a.iter_mut().for_each(|s| translate_schema(s, side));
        }
    }
    // A property the other side owns is never required of this one.
    let skip = match side {
        Side::Request => "readOnly",
        Side::Reply => "writeOnly",
    };
    let owned_elsewhere: Vec<String> = o
        .get("properties")
        .and_then(Value::as_object)
        .map(|p| {
            p.iter()
                .filter(|(_, s)| s.as_object().is_some_and(|s| truthy(s, skip)))
                .map(|(k, _)| k.clone())
                .collect()
        })
        .unwrap_or_default();
    match o.get_mut("required") {
        Some(Value::Array(req)) => req.retain(|r| {
            r.as_str()
                .is_none_or(|r| !owned_elsewhere.iter().any(|x| x == r))
        }),
        Some(_) => {
            o.remove("required");
        }
        None => {}
    }
    if o.get("type").and_then(Value::as_str) == Some("file") {
        o.remove("type");
    }
    if truthy(o, "nullable") || truthy(o, "x-nullable") {
        o.remove("nullable");
        o.remove("x-nullable");
        if let Some(Value::Array(e)) = o.get_mut("enum") {
            if !e.contains(&Value::Null) {
                e.push(Value::Null);
            }
        }
        match o.get("type").cloned() {
            Some(Value::String(t)) => {
                o.insert("type".into(), json!([t, "null"]));
            }
            Some(_) => {}
            None => {
                let inner = Value::Object(std::mem::take(o));
                o.insert("anyOf".into(), json!([{ "type": "null" }, inner]));
            }
        }
    }
}

/// The property names a schema declares at this level (following `$ref` and `allOf`, and
/// taking every `anyOf`/`oneOf` branch), their schemas, and whether other names are allowed.
pub struct Declared<'a> {
    pub properties: BTreeMap<&'a str, Vec<&'a Value>>,
    pub open: bool,
    pub extra: Vec<&'a Value>,
    pub items: Vec<&'a Value>,
    pub any_properties_declared: bool,
}

pub fn declared<'a>(doc: &'a Value, schema: &'a Value) -> Declared<'a> {
    let mut d = Declared {
        properties: BTreeMap::new(),
        open: false,
        extra: vec![],
        items: vec![],
        any_properties_declared: false,
    };
    collect(doc, schema, &mut d, 0);
    d
}

fn collect<'a>(doc: &'a Value, schema: &'a Value, d: &mut Declared<'a>, depth: u32) {
    if depth > 48 {
        d.open = true;
        return;
    }
    let schema = match deref(doc, schema, String::new()) {
        Ok((s, _)) => s,
        Err(_) => {
            d.open = true;
            return;
        }
    };
    let Some(o) = schema.as_object() else {
        // `true`/`false` schemas, or garbage: nothing to say about names.
        d.open = true;
        return;
    };
    if let Some(props) = o.get("properties").and_then(Value::as_object) {
        d.any_properties_declared = true;
        for (k, v) in props {
            d.properties.entry(k.as_str()).or_default().push(v);
        }
    }
    match o.get("additionalProperties") {
        Some(Value::Bool(true)) => d.open = true,
        Some(v @ Value::Object(_)) => {
            d.open = true;
            d.extra.push(v);
        }
        _ => {}
    }
    if o.contains_key("patternProperties") {
        d.open = true;
    }
    if let Some(i) = o.get("items") {
        d.items.push(i);
    }
    for k in ["allOf", "anyOf", "oneOf"] {
        for s in o.get(k).and_then(Value::as_array).into_iter().flatten() {
            collect(doc, s, d, depth + 1);
        }
    }
}
