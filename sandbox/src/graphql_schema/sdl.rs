//! An introspection result (`{"data": {"__schema": ...}}`, as Shopify publishes its Admin API
//! schemas) written out as SDL, the form apollo-compiler reads. Descriptions and deprecations
//! are left out: validation does not need them and the SDL stays a third of the size.

use serde::Deserialize;
use std::fmt::Write;

#[derive(Deserialize)]
struct Envelope {
    data: Option<Data>,
    #[serde(rename = "__schema")]
    schema: Option<IntroSchema>,
}

#[derive(Deserialize)]
struct Data {
    #[serde(rename = "__schema")]
    schema: IntroSchema,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntroSchema {
    query_type: Option<Named>,
    mutation_type: Option<Named>,
    subscription_type: Option<Named>,
    types: Vec<IntroType>,
    #[serde(default)]
    directives: Vec<IntroDirective>,
}

#[derive(Deserialize)]
struct Named {
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntroType {
    kind: String,
    name: String,
    #[serde(default)]
    fields: Option<Vec<IntroField>>,
    #[serde(default)]
    input_fields: Option<Vec<IntroInput>>,
    #[serde(default)]
    interfaces: Option<Vec<Named>>,
    #[serde(default)]
    enum_values: Option<Vec<Named>>,
    #[serde(default)]
    possible_types: Option<Vec<Named>>,
    #[serde(default)]
    is_one_of: Option<bool>,
}

#[derive(Deserialize)]
struct IntroField {
    name: String,
    #[serde(default)]
    args: Vec<IntroInput>,
    #[serde(rename = "type")]
    ty: TypeRef,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntroInput {
    name: String,
    #[serde(rename = "type")]
    ty: TypeRef,
    default_value: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct IntroDirective {
    name: String,
    #[serde(default)]
    is_repeatable: bool,
    locations: Vec<String>,
    #[serde(default)]
    args: Vec<IntroInput>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TypeRef {
    kind: String,
    name: Option<String>,
    of_type: Option<Box<TypeRef>>,
}

/// Wrapping types nest at most this deep (`[[X!]!]!` is 5): a deeper one is a broken file.
const MAX_TYPE_DEPTH: usize = 16;

fn type_ref(t: &TypeRef, depth: usize) -> Result<String, String> {
    if depth > MAX_TYPE_DEPTH {
        return Err("a type reference nests deeper than any schema does".into());
    }
    let inner = |t: &TypeRef| -> Result<String, String> {
        let of = t
            .of_type
            .as_deref()
            .ok_or_else(|| format!("a {} type reference has no ofType", t.kind))?;
        type_ref(of, depth + 1)
    };
    match t.kind.as_str() {
        "NON_NULL" => Ok(format!("{}!", inner(t)?)),
        "LIST" => Ok(format!("[{}]", inner(t)?)),
        _ => t
            .name
            .clone()
            .ok_or_else(|| format!("a {} type reference has no name", t.kind)),
    }
}

/// Built into every GraphQL schema (and into apollo-compiler): never written out again.
const BUILT_IN_SCALARS: &[&str] = &["String", "Int", "Float", "Boolean", "ID"];
const BUILT_IN_DIRECTIVES: &[&str] = &["skip", "include", "deprecated", "specifiedBy"];

fn args(out: &mut String, args: &[IntroInput]) -> Result<(), String> {
    if args.is_empty() {
        return Ok(());
    }
    out.push('(');
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        input_value(out, a)?;
    }
    out.push(')');
    Ok(())
}

fn input_value(out: &mut String, a: &IntroInput) -> Result<(), String> {
    let _ = write!(out, "{}: {}", a.name, type_ref(&a.ty, 0)?);
    if let Some(d) = &a.default_value {
        let _ = write!(out, " = {d}");
    }
    Ok(())
}

/// The SDL of an introspection result (the JSON text of a `__schema` query).
pub fn introspection_to_sdl(json: &[u8]) -> Result<String, String> {
    let env: Envelope =
        serde_json::from_slice(json).map_err(|e| format!("not an introspection result: {e}"))?;
    let schema = env
        .data
        .map(|d| d.schema)
        .or(env.schema)
        .ok_or("not an introspection result: no data.__schema")?;
    let mut out = String::with_capacity(json.len() / 3);
    out.push_str("schema {\n");
    let query = schema
        .query_type
        .as_ref()
        .ok_or("the introspection result names no query type")?;
    let _ = writeln!(out, "  query: {}", query.name);
    if let Some(m) = &schema.mutation_type {
        let _ = writeln!(out, "  mutation: {}", m.name);
    }
    if let Some(s) = &schema.subscription_type {
        let _ = writeln!(out, "  subscription: {}", s.name);
    }
    out.push_str("}\n");
    let mut one_of_used = false;
    for t in &schema.types {
        if t.name.starts_with("__") || BUILT_IN_SCALARS.contains(&t.name.as_str()) {
            continue;
        }
        let what = |k: &str| format!("type {} ({k}) has no {k}", t.name);
        match t.kind.as_str() {
            "SCALAR" => {
                let _ = writeln!(out, "scalar {}", t.name);
            }
            "OBJECT" | "INTERFACE" => {
                let kw = if t.kind == "OBJECT" {
                    "type"
                } else {
                    "interface"
                };
                let _ = write!(out, "{kw} {}", t.name);
                let ifaces: Vec<&str> = t
                    .interfaces
                    .iter()
                    .flatten()
                    .map(|i| i.name.as_str())
                    .collect();
                if !ifaces.is_empty() {
                    let _ = write!(out, " implements {}", ifaces.join(" & "));
                }
                out.push_str(" {\n");
                for f in t.fields.as_ref().ok_or_else(|| what("fields"))? {
                    let _ = write!(out, "  {}", f.name);
                    args(&mut out, &f.args)?;
                    let _ = writeln!(out, ": {}", type_ref(&f.ty, 0)?);
                }
                out.push_str("}\n");
            }
            "UNION" => {
                let members: Vec<&str> = t
                    .possible_types
                    .as_ref()
                    .ok_or_else(|| what("possibleTypes"))?
                    .iter()
                    .map(|p| p.name.as_str())
                    .collect();
                let _ = writeln!(out, "union {} = {}", t.name, members.join(" | "));
            }
            "ENUM" => {
                let _ = writeln!(out, "enum {} {{", t.name);
                for v in t.enum_values.as_ref().ok_or_else(|| what("enumValues"))? {
                    let _ = writeln!(out, "  {}", v.name);
                }
                out.push_str("}\n");
            }
            "INPUT_OBJECT" => {
                let one_of = t.is_one_of == Some(true);
                one_of_used |= one_of;
                let _ = writeln!(
                    out,
                    "input {}{} {{",
                    t.name,
                    if one_of { " @oneOf" } else { "" }
                );
                for f in t.input_fields.as_ref().ok_or_else(|| what("inputFields"))? {
                    out.push_str("  ");
                    input_value(&mut out, f)?;
                    out.push('\n');
                }
                out.push_str("}\n");
            }
            other => return Err(format!("type {} has an unknown kind {other}", t.name)),
        }
    }
    let mut one_of_defined = false;
    for d in &schema.directives {
        if BUILT_IN_DIRECTIVES.contains(&d.name.as_str()) {
            continue;
        }
        one_of_defined |= d.name == "oneOf";
        let _ = write!(out, "directive @{}", d.name);
        args(&mut out, &d.args)?;
        let _ = writeln!(
            out,
            "{} on {}",
            if d.is_repeatable { " repeatable" } else { "" },
            d.locations.join(" | ")
        );
    }
    if one_of_used && !one_of_defined {
        out.push_str("directive @oneOf on INPUT_OBJECT\n");
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_types_defaults_one_of_and_interfaces_are_written_out() {
        let json = serde_json::json!({ "data": { "__schema": {
            "queryType": { "name": "Q" }, "mutationType": null, "subscriptionType": null,
            "directives": [],
            "types": [
                { "kind": "OBJECT", "name": "Q", "interfaces": [{ "name": "Node" }], "fields": [
                    { "name": "id", "args": [], "type": { "kind": "NON_NULL", "name": null, "ofType": { "kind": "SCALAR", "name": "ID", "ofType": null } } },
                    { "name": "items", "args": [{ "name": "first", "type": { "kind": "SCALAR", "name": "Int", "ofType": null }, "defaultValue": "10" }],
                      "type": { "kind": "LIST", "name": null, "ofType": { "kind": "NON_NULL", "name": null, "ofType": { "kind": "SCALAR", "name": "String", "ofType": null } } } }
                ] },
                { "kind": "INTERFACE", "name": "Node", "interfaces": [], "fields": [
                    { "name": "id", "args": [], "type": { "kind": "NON_NULL", "name": null, "ofType": { "kind": "SCALAR", "name": "ID", "ofType": null } } }
                ] },
                { "kind": "INPUT_OBJECT", "name": "Pick", "isOneOf": true, "inputFields": [
                    { "name": "a", "type": { "kind": "SCALAR", "name": "String", "ofType": null }, "defaultValue": null }
                ] },
                { "kind": "SCALAR", "name": "String" }
            ]
        } } });
        let sdl = introspection_to_sdl(json.to_string().as_bytes()).expect("sdl");
        assert!(
            sdl.contains(
                "type Q implements Node {\n  id: ID!\n  items(first: Int = 10): [String!]\n}"
            ),
            "{sdl}"
        );
        assert!(sdl.contains("input Pick @oneOf {\n  a: String\n}"), "{sdl}");
        assert!(sdl.contains("directive @oneOf on INPUT_OBJECT"), "{sdl}");
        assert!(!sdl.contains("scalar String"), "{sdl}");
    }

    #[test]
    fn a_file_that_is_not_an_introspection_result_says_so() {
        let err = introspection_to_sdl(b"{\"data\": {}}").unwrap_err();
        assert!(err.contains("not an introspection result"), "{err}");
        let err = introspection_to_sdl(b"[1,").unwrap_err();
        assert!(err.contains("not an introspection result"), "{err}");
    }
}
