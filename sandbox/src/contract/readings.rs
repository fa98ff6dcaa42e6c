//! Readings of a platform's document where it is wrong in a way that touches every operation,
//! applied to the document before the harness indexes it. An exception (`exceptions.toml`)
//! switches a check off at one place; a reading instead says what the document means, so the
//! harness still checks that place, against the meaning. Each reading here is argued, with its
//! evidence, in the platform's notes (`sandbox/specs/IDEASOFT-NOTES.md`, by number).

use serde_json::{json, Map, Value};

/// Fields Ideasoft assigns itself, never asked of a client (IDEASOFT-NOTES.md 2 and 3).
const IDEASOFT_SERVER_SET: [&str; 4] = ["id", "hasOption", "hasChildren", "iysStatus"];

/// Where the top-level-only copies of the component schemas go: `components/schemas`, so the
/// harness translates them like every other schema, under a prefix no Ideasoft schema has.
const NESTED: &str = "storeshift-nested-";
/// Copies of bodies a `PUT` sends, without `password` (IDEASOFT-NOTES.md 4).
const PUT: &str = "storeshift-put-";

/// Ideasoft's Admin API document as Ideasoft answers it:
///
/// 1. a `… LIST` operation's 200 reply is an array of the declared schema;
/// 2. server-assigned fields are not required of a request (marked `readOnly`);
/// 3. a field `required` names but `properties` leaves out is a field of the record;
/// 4. `password` is required of a `POST` body only (`writeOnly`, and dropped for `PUT`);
/// 5. `required` binds the top-level object (and each item of a LIST reply) only: a related
///    record is named by `{ "id": N }` or shown as a summary;
/// 6. a 204 reply has no body (its description says so; its `content` is the schema's copy);
/// 7. a `pattern` written as a shape (`yyyy-mm-dd hh:mm:ss`) is read as that shape, and wins
///    over the `format` it contradicts (products' `startUpdatedAt`, IDEASOFT-NOTES.md 16).
pub fn ideasoft(doc: &mut Value) {
    let mut with_password: Vec<String> = vec![];
    if let Some(schemas) = doc
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        let mut added = Map::new();
        for (name, schema) in schemas.iter_mut() {
            let mut nested = schema.clone();
            strip_required(&mut nested);
            retarget(&mut nested);
            added.insert(format!("{NESTED}{name}"), nested);

            if let Some(o) = schema.as_object_mut() {
                for v in o.get_mut("properties").into_iter().flat_map(props_mut) {
                    strip_required(v);
                }
                declare_required(o);
                for field in IDEASOFT_SERVER_SET {
                    mark(o, field, "readOnly");
                }
                mark(o, "password", "writeOnly");
                if required_has(o, "password") {
                    let mut put = Value::Object(o.clone());
                    if let Some(Value::Array(r)) = put.get_mut("required") {
                        r.retain(|x| x != "password");
                    }
                    retarget(&mut put);
                    added.insert(format!("{PUT}{name}"), put);
                    with_password.push(name.clone());
                }
            }
            retarget(schema);
        }
        schemas.extend(added);
    }
    let Some(paths) = doc.get_mut("paths").and_then(Value::as_object_mut) else {
        return;
    };
    for item in paths.values_mut() {
        let Some(item) = item.as_object_mut() else {
            continue;
        };
        for (method, op) in item.iter_mut() {
            let list = op
                .get("summary")
                .and_then(Value::as_str)
                .is_some_and(|s| s.ends_with("LIST"));
            if list {
                if let Some(s) = op.pointer_mut("/responses/200/content/application~1json/schema") {
                    let one = s.take();
                    *s = json!({ "type": "array", "items": one });
                }
            }
            if let Some(r) = op
                .pointer_mut("/responses/204")
                .and_then(Value::as_object_mut)
            {
                r.remove("content");
            }
            if method == "put" {
                if let Some(Value::String(r)) =
                    op.pointer_mut("/requestBody/content/application~1json/schema/$ref")
                {
                    let name = r.trim_start_matches("#/components/schemas/").to_string();
                    if with_password.contains(&name) {
                        *r = format!("#/components/schemas/{PUT}{name}");
                    }
                }
            }
            for p in op
                .get_mut("parameters")
                .and_then(Value::as_array_mut)
                .into_iter()
                .flatten()
            {
                if let Some(s) = p.get_mut("schema").and_then(Value::as_object_mut) {
                    read_shape(s);
                }
            }
        }
    }
}

fn props_mut(v: &mut Value) -> impl Iterator<Item = &mut Value> {
    v.as_object_mut().into_iter().flat_map(|o| o.values_mut())
}

fn required_has(o: &Map<String, Value>, field: &str) -> bool {
    o.get("required")
        .and_then(Value::as_array)
        .is_some_and(|r| r.iter().any(|x| x == field))
}

/// Marks a property the schema requires `readOnly` or `writeOnly`.
fn mark(o: &mut Map<String, Value>, field: &str, how: &str) {
    if !required_has(o, field) {
        return;
    }
    if let Some(p) = o
        .get_mut("properties")
        .and_then(|p| p.get_mut(field))
        .and_then(Value::as_object_mut)
    {
        p.insert(how.into(), Value::Bool(true));
    }
}

/// Gives every name `required` lists a property (any value) when `properties` lacks it.
fn declare_required(o: &mut Map<String, Value>) {
    let names: Vec<String> = o
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    if let Some(props) = o.get_mut("properties").and_then(Value::as_object_mut) {
        for n in names {
            props.entry(n).or_insert_with(|| json!({}));
        }
    }
}

/// Removes `required` everywhere in a schema.
fn strip_required(v: &mut Value) {
    match v {
        Value::Object(o) => {
            o.remove("required");
            for (k, x) in o.iter_mut() {
                if k != "example" && k != "enum" {
                    strip_required(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(strip_required),
        _ => {}
    }
}

/// Points every reference inside a schema at the top-level-only copies.
fn retarget(v: &mut Value) {
    match v {
        Value::Object(o) => {
            if let Some(Value::String(r)) = o.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/components/schemas/") {
                    if !name.starts_with(NESTED) {
                        *r = format!("#/components/schemas/{NESTED}{name}");
                    }
                }
            }
            for (k, x) in o.iter_mut() {
                if k != "example" {
                    retarget(x);
                }
            }
        }
        Value::Array(a) => a.iter_mut().for_each(retarget),
        _ => {}
    }
}

/// `yyyy-mm-dd hh:mm:ss` → `^[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}$`; a
/// `format` that the shape contradicts (`date-time` with a space and no offset) is dropped.
fn read_shape(s: &mut Map<String, Value>) {
    let Some(shape) = s.get("pattern").and_then(Value::as_str).map(str::to_string) else {
        return;
    };
    let is_shape = !shape.is_empty()
        && shape.contains('y')
        && shape
            .chars()
            .all(|c| matches!(c, 'y' | 'm' | 'd' | 'h' | 's' | 'i' | '-' | ':' | ' '));
    if !is_shape {
        return;
    }
    let mut re = String::from("^");
    for c in shape.chars() {
        match c {
            '-' | ':' | ' ' => re.push(c),
            _ => re.push_str("[0-9]"),
        }
    }
    re.push('$');
    let has_time = shape.contains(':');
    s.insert("pattern".into(), Value::String(re));
    let contradicts = match s.get("format").and_then(Value::as_str) {
        Some("date-time") => shape.contains(' '),
        Some("date") => has_time,
        _ => false,
    };
    if contradicts {
        s.remove("format");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_read_as_shapes() {
        let mut s =
            json!({ "type": "string", "format": "date-time", "pattern": "yyyy-mm-dd hh:mm:ss" });
        read_shape(s.as_object_mut().expect("object"));
        assert_eq!(
            s,
            json!({ "type": "string",
                    "pattern": "^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9]$" })
        );
        let mut d = json!({ "type": "string", "format": "date", "pattern": "yyyy-mm-dd" });
        read_shape(d.as_object_mut().expect("object"));
        assert_eq!(d["format"], "date");
        let mut real = json!({ "type": "string", "pattern": "\\d+" });
        read_shape(real.as_object_mut().expect("object"));
        assert_eq!(real["pattern"], "\\d+");
    }
}
