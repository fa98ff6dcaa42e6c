//! A platform's published GraphQL schema, and executable documents validated against it with
//! apollo-compiler: fields exist on their types, arguments exist and have compatible types,
//! required arguments and input fields are given, variables are declared, used and of
//! compatible types, fragments apply to their types. Request variables are checked too
//! ([`GraphqlSchema::check_variables`]). Errors come back in Shopify's shape and wording, so a
//! sandbox can answer with them as the real API would.
//!
//! Schemas are read from introspection results (Shopify ships one per Admin API version,
//! gzipped, in its `@shopify/dev-mcp` npm package).

mod messages;
mod sdl;
mod variables;

pub use sdl::introspection_to_sdl;

use apollo_compiler::validation::Valid;
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::Value;
use std::io::Read;
use std::sync::Arc;

/// Why a schema file could not be used.
#[derive(Debug)]
pub enum SchemaError {
    /// The file is not gzip, or not JSON, or not an introspection result.
    Unreadable { source: String, why: String },
    /// The SDL it makes is not a valid schema (a broken or truncated file).
    Invalid { source: String, why: String },
}

impl std::fmt::Display for SchemaError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SchemaError::Unreadable { source, why } => {
                write!(f, "{source}: cannot read the schema: {why}")
            }
            SchemaError::Invalid { source, why } => {
                write!(f, "{source}: the schema does not validate: {why}")
            }
        }
    }
}

impl std::error::Error for SchemaError {}

/// A validated document, ready for [`GraphqlSchema::check_variables`].
pub type Document = Arc<Valid<ExecutableDocument>>;

/// One GraphQL schema.
pub struct GraphqlSchema {
    schema: Valid<Schema>,
    source: String,
}

impl std::fmt::Debug for GraphqlSchema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GraphqlSchema({})", self.source)
    }
}

/// Introspection files of real APIs run to tens of megabytes; far beyond that is no schema.
const MAX_SCHEMA_BYTES: u64 = 256 << 20;

impl GraphqlSchema {
    /// From an introspection result; `source` names it in errors.
    pub fn from_introspection(json: &[u8], source: &str) -> Result<Self, SchemaError> {
        let sdl = introspection_to_sdl(json).map_err(|why| SchemaError::Unreadable {
            source: source.into(),
            why,
        })?;
        Self::from_sdl(&sdl, source)
    }

    /// From a gzipped introspection result (`admin_2026-07.json.gz`).
    pub fn from_gzip(bytes: &[u8], source: &str) -> Result<Self, SchemaError> {
        let mut json = Vec::with_capacity(bytes.len() * 12);
        flate2::read::GzDecoder::new(bytes)
            .take(MAX_SCHEMA_BYTES)
            .read_to_end(&mut json)
            .map_err(|e| SchemaError::Unreadable {
                source: source.into(),
                why: format!("not a gzip file ({e})"),
            })?;
        Self::from_introspection(&json, source)
    }

    /// From a file: gzipped (`.gz`) or plain introspection JSON.
    pub fn from_file(path: &std::path::Path) -> Result<Self, SchemaError> {
        let source = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| SchemaError::Unreadable {
            source: source.clone(),
            why: e.to_string(),
        })?;
        if bytes.starts_with(&[0x1f, 0x8b]) {
            Self::from_gzip(&bytes, &source)
        } else {
            Self::from_introspection(&bytes, &source)
        }
    }

    pub fn from_sdl(sdl: &str, source: &str) -> Result<Self, SchemaError> {
        let schema = Schema::parse_and_validate(sdl, source).map_err(|e| SchemaError::Invalid {
            source: source.into(),
            why: e
                .errors
                .iter()
                .take(5)
                .map(|d| d.error.to_string())
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        Ok(GraphqlSchema {
            schema,
            source: source.into(),
        })
    }

    /// Where the schema came from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Validates an executable document; its errors in Shopify's shape and wording.
    pub fn validate(&self, document: &str) -> Result<Document, Vec<Value>> {
        match ExecutableDocument::parse_and_validate(&self.schema, document, "document.graphql") {
            Ok(doc) => Ok(Arc::new(doc)),
            Err(with) => {
                let operation = describe_operation(&with.partial);
                let mut errors: Vec<Value> = with
                    .errors
                    .iter()
                    .map(|d| {
                        let at = d
                            .line_column_range()
                            .map(|r| (r.start.line, r.start.column));
                        messages::shopify_error(&d.error.to_string(), at, &operation)
                    })
                    .collect();
                // apollo-compiler drops an unknown field and then finds its parent's selection
                // empty; Shopify reports the unknown field alone.
                let code = |e: &Value| e["extensions"]["code"].as_str().unwrap_or("").to_string();
                if errors.iter().any(|e| code(e) == "undefinedField") {
                    errors.retain(|e| {
                        !(code(e) == "selectionMismatch"
                            && e["message"]
                                .as_str()
                                .is_some_and(|m| m.starts_with("Field must have selections")))
                    });
                }
                Err(errors)
            }
        }
    }

    /// The request's variables checked against the operation's declarations (the one named
    /// `operation`, or the only one).
    pub fn check_variables(
        &self,
        doc: &Document,
        operation: Option<&str>,
        variables: &Value,
    ) -> Result<(), Vec<Value>> {
        let op = doc.operations.get(operation).map_err(|_| {
            vec![serde_json::json!({
                "message": match operation {
                    Some(n) => format!("No operation named \"{n}\""),
                    None => "An operation name is required".to_string(),
                },
                "extensions": { "code": "missingOperation" }
            })]
        })?;
        let errors = variables::check(&self.schema, op, variables);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors)
        }
    }
}

/// How graphql-ruby names an operation in its messages: `anonymous query`, `mutation call`.
fn describe_operation(doc: &ExecutableDocument) -> String {
    let op = doc
        .operations
        .anonymous
        .as_ref()
        .or_else(|| doc.operations.named.values().next());
    match op {
        Some(op) => {
            let kind = match op.operation_type {
                apollo_compiler::ast::OperationType::Query => "query",
                apollo_compiler::ast::OperationType::Mutation => "mutation",
                apollo_compiler::ast::OperationType::Subscription => "subscription",
            };
            match &op.name {
                Some(n) => format!("{kind} {n}"),
                None => format!("anonymous {kind}"),
            }
        }
        None => "anonymous query".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SDL: &str = "schema { query: Q mutation: M }
        type Q { product(id: ID!): Product products(first: Int, after: String): [Product!]! }
        type Product { id: ID! title: String! variants: [Variant!]! }
        type Variant { sku: String }
        type M { productSet(input: ProductSetInput!, identifier: Pick): Product }
        input ProductSetInput { title: String! status: Status tags: [String!] }
        input Pick @oneOf { id: ID handle: String }
        enum Status { ACTIVE DRAFT }
        directive @oneOf on INPUT_OBJECT";

    fn schema() -> GraphqlSchema {
        GraphqlSchema::from_sdl(SDL, "test").expect("schema")
    }

    #[test]
    fn unknown_fields_wrong_argument_types_and_undeclared_variables_fail() {
        let s = schema();
        assert!(s
            .validate("query($id: ID!) { product(id: $id) { id title variants { sku } } }")
            .is_ok());
        let e = s.validate("{ product(id: \"1\") { colour } }").unwrap_err();
        assert_eq!(
            e[0]["message"],
            "Field 'colour' doesn't exist on type 'Product'"
        );
        let e = s
            .validate("query($n: String) { products(first: $n) { id } }")
            .unwrap_err();
        assert_eq!(e[0]["extensions"]["code"], "variableMismatch", "{e:?}");
        let e = s.validate("{ product(id: $id) { id } }").unwrap_err();
        assert_eq!(e[0]["extensions"]["code"], "variableNotDefined", "{e:?}");
        let e = s.validate("{ product { id } }").unwrap_err();
        assert_eq!(
            e[0]["extensions"]["code"], "missingRequiredArguments",
            "{e:?}"
        );
        let e = s.validate("{ product(id: 1) { id ").unwrap_err();
        assert_eq!(e[0]["extensions"]["code"], "parseError", "{e:?}");
    }

    #[test]
    fn variables_are_coerced_like_shopify_does() {
        let s = schema();
        let doc = s
            .validate("mutation($i: ProductSetInput!, $p: Pick) { productSet(input: $i, identifier: $p) { id } }")
            .expect("valid");
        let ok = json!({ "i": { "title": "T", "status": "ACTIVE", "tags": "one" }, "p": { "handle": "h" } });
        assert!(s.check_variables(&doc, None, &ok).is_ok());
        let e = s
            .check_variables(&doc, None, &json!({ "i": { "title": "T", "colour": 1 } }))
            .unwrap_err();
        assert_eq!(e[0]["message"], "Variable $i of type ProductSetInput! was provided invalid value for colour (Field is not defined on ProductSetInput)");
        let e = s
            .check_variables(&doc, None, &json!({ "i": { "status": "LIVE" } }))
            .unwrap_err();
        assert_eq!(
            e[0]["extensions"]["problems"].as_array().map(Vec::len),
            Some(2),
            "{e:?}"
        );
        let e = s
            .check_variables(
                &doc,
                None,
                &json!({ "i": { "title": "T" }, "p": { "id": "1", "handle": "h" } }),
            )
            .unwrap_err();
        assert!(
            e[0]["message"]
                .as_str()
                .is_some_and(|m| m.contains("exactly one")),
            "{e:?}"
        );
        let e = s.check_variables(&doc, None, &json!({})).unwrap_err();
        assert_eq!(e[0]["message"], "Variable $i of type ProductSetInput! was provided invalid value (Expected value to not be null)");
    }

    #[test]
    fn a_broken_file_is_an_error_naming_it() {
        let e = GraphqlSchema::from_gzip(b"not gzip", "admin_x.json.gz").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("admin_x.json.gz: cannot read the schema"),
            "{e}"
        );
    }
}
