//! apollo-compiler's diagnostics reworded the way Shopify (graphql-ruby) words them, with the
//! `extensions.code` it sends, so a client sees in the sandbox what the real API would answer.
//! A diagnostic without a known wording keeps apollo-compiler's message.

use serde_json::{json, Value};

/// The text between the `n`-th pair of backticks.
fn ticked(msg: &str, n: usize) -> Option<&str> {
    msg.split('`').nth(2 * n + 1)
}

/// `Type.field` or `Type.field(arg:)` into its parts.
fn coordinate(c: &str) -> (&str, &str, Option<&str>) {
    let (ty, rest) = c.split_once('.').unwrap_or((c, ""));
    match rest.split_once('(') {
        Some((field, arg)) => (ty, field, Some(arg.trim_end_matches(":)"))),
        None => (ty, rest, None),
    }
}

/// One error in Shopify's shape: message, locations, extensions.code (and what graphql-ruby
/// adds for the kind).
pub fn shopify_error(apollo: &str, line: Option<(usize, usize)>, operation: &str) -> Value {
    let (message, code, mut extra) = reword(apollo, operation);
    let mut e = json!({ "message": message, "extensions": { "code": code } });
    if let Some((l, c)) = line {
        e["locations"] = json!([{ "line": l, "column": c }]);
    }
    if let (Some(ext), Some(more)) = (e["extensions"].as_object_mut(), extra.as_object_mut()) {
        ext.append(more);
    }
    e
}

fn reword(m: &str, op: &str) -> (String, &'static str, Value) {
    let t = |n| ticked(m, n).unwrap_or("");
    if m.starts_with("type `") && m.contains("` does not have a field `") {
        let (ty, field) = (t(0), t(1));
        return (
            format!("Field '{field}' doesn't exist on type '{ty}'"),
            "undefinedField",
            json!({ "typeName": ty, "fieldName": field }),
        );
    }
    if m.starts_with("the argument `") && m.contains("` is not supported by `") {
        let (arg, (ty, field, _)) = (t(0), coordinate(t(1)));
        let (kind, name) = if field.is_empty() {
            ("InputObject", ty)
        } else {
            ("Field", field)
        };
        return (
            format!("{kind} '{name}' doesn't accept argument '{arg}'"),
            "argumentNotAccepted",
            json!({ "name": name, "typeName": kind, "argumentName": arg }),
        );
    }
    if m.starts_with("field `") && m.contains("` does not exist on `") {
        let (field, ty) = (t(0), t(1));
        return (
            format!("InputObject '{ty}' doesn't accept argument '{field}'"),
            "argumentNotAccepted",
            json!({ "name": ty, "typeName": "InputObject", "argumentName": field }),
        );
    }
    if m.starts_with("the required argument `") {
        let (_, field, arg) = coordinate(t(0));
        let arg = arg.unwrap_or("");
        return (
            format!("Field '{field}' is missing required arguments: {arg}"),
            "missingRequiredArguments",
            json!({ "className": "Field", "name": field, "arguments": arg }),
        );
    }
    if m.starts_with("the required field `") {
        let (ty, field, _) = coordinate(t(0));
        return (
            format!("Argument '{field}' on InputObject '{ty}' is required"),
            "missingRequiredInputObjectAttribute",
            json!({ "argumentName": field, "inputObjectType": ty }),
        );
    }
    if m.starts_with("variable `$") && m.ends_with("` is not defined") {
        let name = t(0).trim_start_matches('$');
        return (
            format!("Variable ${name} is used by {op} but not declared"),
            "variableNotDefined",
            json!({ "variableName": name }),
        );
    }
    if m.starts_with("unused variable: `$") {
        let name = t(0).trim_start_matches('$');
        return (
            format!("Variable ${name} is declared by {op} but not used"),
            "variableNotUsed",
            json!({ "variableName": name }),
        );
    }
    if m.starts_with("variable `$") && m.contains("` cannot be used for argument `") {
        let (var, var_ty, arg, arg_ty) = (t(0).trim_start_matches('$'), t(1), t(2), t(3));
        let kind = if var_ty.trim_end_matches('!') == arg_ty.trim_end_matches('!') {
            "Nullability"
        } else {
            "Type"
        };
        return (
            format!("{kind} mismatch on variable ${var} and argument {arg} ({var_ty} / {arg_ty})"),
            "variableMismatch",
            json!({ "variableName": var, "typeName": var_ty, "argumentName": arg, "errorMessage": format!("{kind} mismatch") }),
        );
    }
    if m.starts_with("fragment `") && m.ends_with("` must be used in an operation") {
        return (
            format!("Fragment {} was defined, but not used", t(0)),
            "useAndDefineFragment",
            json!({ "fragmentName": t(0) }),
        );
    }
    if m.starts_with("cannot find fragment `") {
        return (
            format!("Fragment {} was used, but not defined", t(0)),
            "useAndDefineFragment",
            json!({ "fragmentName": t(0) }),
        );
    }
    if m.contains("with type condition `") && m.contains("` cannot be applied to `") {
        let cond = m
            .split("type condition `")
            .nth(1)
            .and_then(|r| r.split('`').next())
            .unwrap_or("");
        let on = m
            .rsplit("cannot be applied to `")
            .next()
            .and_then(|r| r.split('`').next())
            .unwrap_or("");
        let name = m
            .strip_prefix("fragment `")
            .and_then(|r| r.split('`').next())
            .unwrap_or("Inline fragment");
        return (
            format!("Fragment {name} on {cond} can't be spread inside {on}"),
            "fragmentSpreadTypeMismatch",
            json!({ "fragmentName": name, "typeName": cond, "parentName": on }),
        );
    }
    if m.starts_with("interface, union and object types must have a subselection set") {
        return (
            "Field must have selections (an object, interface or union field has no selections)"
                .into(),
            "selectionMismatch",
            json!({}),
        );
    }
    if m.starts_with("field selection of scalar type `")
        || m.starts_with("field selection of enum type `")
    {
        return (
            format!(
                "Selections can't be made on scalars (field returns {} but has selections)",
                t(0)
            ),
            "selectionMismatch",
            json!({}),
        );
    }
    if m.starts_with("expected value of type ") || m.starts_with("value `") {
        return (
            format!("Argument has an invalid value: {m}"),
            "argumentLiteralsIncompatible",
            json!({}),
        );
    }
    if m.starts_with("syntax error") || m.starts_with("expected") {
        return (format!("Parse error: {m}"), "parseError", json!({}));
    }
    (m.to_string(), "validationError", json!({}))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apollo_wordings_become_shopifys() {
        let e = shopify_error(
            "type `Product` does not have a field `colour`",
            Some((1, 9)),
            "anonymous query",
        );
        assert_eq!(
            e["message"],
            "Field 'colour' doesn't exist on type 'Product'"
        );
        assert_eq!(e["extensions"]["code"], "undefinedField");
        assert_eq!(e["locations"][0]["column"], 9);
        let e = shopify_error(
            "the required argument `Mutation.productSet(input:)` is not provided",
            None,
            "anonymous mutation",
        );
        assert_eq!(
            e["message"],
            "Field 'productSet' is missing required arguments: input"
        );
        let e = shopify_error(
            "variable `$first` of type `String` cannot be used for argument `first` of type `Int`",
            None,
            "anonymous query",
        );
        assert_eq!(
            e["message"],
            "Type mismatch on variable $first and argument first (String / Int)"
        );
        let e = shopify_error("variable `$id` is not defined", None, "mutation call");
        assert_eq!(
            e["message"],
            "Variable $id is used by mutation call but not declared"
        );
        let e = shopify_error("something new", None, "anonymous query");
        assert_eq!(e["message"], "something new");
    }
}
