//! Variable values checked against the types the operation declares, as Shopify coerces them
//! before running anything: input object fields must exist and required ones be given, enums
//! take only their values, built-in scalars only their JSON kinds, `@oneOf` inputs exactly one
//! field. Custom scalars (Decimal, DateTime, URL, JSON, ...) take any JSON value here: their
//! formats are the resolvers' business. Errors carry Shopify's wording and `problems` paths.

use apollo_compiler::ast::Type;
use apollo_compiler::executable::Operation;
use apollo_compiler::schema::ExtendedType;
use apollo_compiler::Schema;
use serde_json::{json, Value};

struct Problem {
    path: Vec<Value>,
    explanation: String,
}

/// Every problem of `variables` for `op`, as Shopify's `INVALID_VARIABLE` errors.
pub fn check(schema: &Schema, op: &Operation, variables: &Value) -> Vec<Value> {
    let empty = serde_json::Map::new();
    let given = variables.as_object().unwrap_or(&empty);
    let mut errors = vec![];
    for def in &op.variables {
        let name = def.name.as_str();
        let ty: &Type = &def.ty;
        let value = given.get(name);
        let mut problems = vec![];
        match value {
            None if def.default_value.is_none() && ty.is_non_null() => problems.push(Problem {
                path: vec![],
                explanation: "Expected value to not be null".into(),
            }),
            None => {}
            Some(v) => coerce(schema, ty, v, &mut vec![], &mut problems),
        }
        if problems.is_empty() {
            continue;
        }
        let first = &problems[0];
        let at = if first.path.is_empty() {
            String::new()
        } else {
            let dotted: Vec<String> = first
                .path
                .iter()
                .map(|p| match p {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect();
            format!(" for {}", dotted.join("."))
        };
        errors.push(json!({
            "message": format!("Variable ${name} of type {ty} was provided invalid value{at} ({})", first.explanation),
            "extensions": {
                "code": "INVALID_VARIABLE",
                "value": value.cloned().unwrap_or(Value::Null),
                "problems": problems.iter().map(|p| json!({ "path": p.path, "explanation": p.explanation })).collect::<Vec<_>>(),
            }
        }));
    }
    errors
}

/// Input values nest at most this deep in any real request; deeper is refused, not recursed.
const MAX_DEPTH: usize = 64;

fn coerce(schema: &Schema, ty: &Type, v: &Value, path: &mut Vec<Value>, out: &mut Vec<Problem>) {
    let mut problem = |path: &Vec<Value>, explanation: String| {
        out.push(Problem {
            path: path.clone(),
            explanation,
        })
    };
    if path.len() > MAX_DEPTH {
        problem(path, "Value nests too deeply".into());
        return;
    }
    if v.is_null() {
        if ty.is_non_null() {
            problem(path, "Expected value to not be null".into());
        }
        return;
    }
    let name = match ty {
        Type::List(inner) | Type::NonNullList(inner) => {
            // A single value where a list is expected is a list of one (GraphQL's coercion).
            match v.as_array() {
                Some(items) => {
                    for (i, item) in items.iter().enumerate() {
                        path.push(json!(i));
                        coerce(schema, inner, item, path, out);
                        path.pop();
                    }
                }
                None => coerce(schema, inner, v, path, out),
            }
            return;
        }
        Type::Named(n) | Type::NonNullNamed(n) => n,
    };
    match schema.types.get(name) {
        Some(ExtendedType::Scalar(_)) => {
            let ok = match name.as_str() {
                "Int" => v.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                "Float" => v.is_number(),
                "String" => v.is_string(),
                "Boolean" => v.is_boolean(),
                "ID" => v.is_string() || v.is_i64() || v.is_u64(),
                _ => true,
            };
            if !ok {
                problem(path, format!("Could not coerce value {v} to {name}"));
            }
        }
        Some(ExtendedType::Enum(e)) => {
            let ok = v.as_str().is_some_and(|s| e.values.contains_key(s));
            if !ok {
                let values: Vec<&str> = e.values.keys().map(|k| k.as_str()).collect();
                problem(
                    path,
                    format!("Expected {v} to be one of: {}", values.join(", ")),
                );
            }
        }
        Some(ExtendedType::InputObject(io)) => {
            let Some(obj) = v.as_object() else {
                problem(path, format!("Expected {v} to be a key-value object."));
                return;
            };
            for k in obj.keys() {
                if !io.fields.contains_key(k.as_str()) {
                    path.push(json!(k));
                    problem(path, format!("Field is not defined on {name}"));
                    path.pop();
                }
            }
            for (field, def) in &io.fields {
                path.push(json!(field.as_str()));
                match obj.get(field.as_str()) {
                    Some(fv) => coerce(schema, &def.ty, fv, path, out),
                    None if def.ty.is_non_null() && def.default_value.is_none() => {
                        out.push(Problem {
                            path: path.clone(),
                            explanation: "Expected value to not be null".into(),
                        })
                    }
                    None => {}
                }
                path.pop();
            }
            if io.directives.has("oneOf") {
                let set = obj.values().filter(|x| !x.is_null()).count();
                if set != 1 || obj.len() != 1 {
                    out.push(Problem {
                        path: path.clone(),
                        explanation: format!(
                            "'{name}' requires exactly one argument, but {} were provided.",
                            obj.len()
                        ),
                    });
                }
            }
        }
        _ => problem(path, format!("{name} is not an input type")),
    }
}
