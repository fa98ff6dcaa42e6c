//! Access to an OpenAI-compatible chat server, for narrative, suggestions and drafts. Nothing
//! depends on it: every caller has a rule-based answer and uses it whenever this returns `None`.
//!
//! Every question and its answer (or the decision to fall back to rules) is journaled in the
//! state database, keyed by a hash of (model, purpose, messages, schema), and flushed BEFORE the
//! caller sees it. A resumed run finds the journaled answer and never asks again, so it never
//! gets a different answer.
//!
//! The request bodies are async-openai's types (the documented chat-completions format). The
//! transport is the connectors' HTTP layer — the one retry policy of every HTTP caller: backoff
//! with jitter, `Retry-After`, breaker and limiter — rather than async-openai's own client, which
//! brings a second HTTP stack (reqwest 0.13) and drops the response headers of a failed call.

use crate::config::LlmConfig;
use crate::event::{AgentKind, EventKind, Level};
use crate::runtime::{Ctx, Halt};
use crate::store::{now_rfc3339, T};
use async_openai::types::chat::{
    ChatCompletionRequestMessage, ChatCompletionRequestSystemMessage,
    ChatCompletionRequestUserMessage, CreateChatCompletionRequest, ResponseFormat,
    ResponseFormatJsonSchema,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::{Duration, Instant};
use storeshift_connectors::api::http::{HttpClient, HttpConfig, Safety};

/// Retries per request for rate limits, server errors and broken connections.
const MAX_RETRIES: u32 = 3;
/// A Retry-After longer than this is not waited for: the run goes on with rules.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(120);

/// How the answer was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AnswerMode {
    /// Structured output: `response_format` with the JSON schema.
    JsonSchema,
    /// JSON mode (`json_object`), the schema given in the system message.
    JsonObject,
    /// No usable answer: the caller used its rules.
    Rules,
}

/// One journaled question and its answer. Holds no credentials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JournalEntry {
    pub purpose: String,
    pub model: String,
    pub system: String,
    pub user: String,
    pub schema: Value,
    pub mode: AnswerMode,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<Value>,
    /// Why there is no answer, when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
    pub requests: u32,
    pub at: String,
}

/// The journal key of a question: the same inputs always give the same key.
pub fn journal_key(model: &str, purpose: &str, system: &str, user: &str, schema: &Value) -> String {
    let mut h = blake3::Hasher::new();
    for part in [model, purpose, system, user, &schema.to_string()] {
        h.update(&(part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    format!("llm/{}", h.finalize().to_hex())
}

/// What one attempt at a server call came to.
enum Outcome {
    Answer(Value),
    /// The server does not take this answer format (400/422 on response_format).
    FormatRejected(String),
    /// The answer was not the JSON asked for.
    Malformed(String),
    /// Nothing more to try: the run goes on with rules.
    GiveUp(String),
}

/// A chat client for one configured server.
pub struct Llm {
    cfg: LlmConfig,
    http: HttpClient,
    key: Option<String>,
    /// Set when the key variable is named but not set (reported once, by name only).
    missing_key_var: Option<String>,
}

impl Llm {
    pub fn new(cfg: &LlmConfig) -> Result<Llm, String> {
        let http = HttpClient::new(HttpConfig {
            timeout: Duration::from_secs(cfg.timeout_secs.max(1)),
            max_retries: MAX_RETRIES,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_server_wait: MAX_RETRY_AFTER,
            retry_timeouts: false,
            ..HttpConfig::default()
        })
        .map_err(|e| format!("cannot build the LLM HTTP client: {e}"))?;
        let (key, missing_key_var) = match &cfg.api_key_env {
            Some(var) => match std::env::var(var) {
                Ok(v) if !v.trim().is_empty() => (Some(v), None),
                _ => (None, Some(var.clone())),
            },
            None => (None, None),
        };
        Ok(Llm {
            cfg: cfg.clone(),
            http,
            key,
            missing_key_var,
        })
    }

    fn endpoint(&self) -> String {
        format!(
            "{}/chat/completions",
            self.cfg.base_url.trim_end_matches('/')
        )
    }

    fn request(
        &self,
        system: &str,
        user: &str,
        format: ResponseFormat,
    ) -> CreateChatCompletionRequest {
        CreateChatCompletionRequest {
            model: self.cfg.model.clone(),
            messages: vec![
                ChatCompletionRequestMessage::System(ChatCompletionRequestSystemMessage {
                    content: system.into(),
                    name: None,
                }),
                ChatCompletionRequestMessage::User(ChatCompletionRequestUserMessage {
                    content: user.into(),
                    name: None,
                }),
            ],
            response_format: Some(format),
            temperature: Some(0.0),
            ..Default::default()
        }
    }

    /// Sends one question in one answer format through the shared retry policy. Counts every
    /// request made (retries included) in `requests`.
    async fn ask_in(
        &self,
        body: &CreateChatCompletionRequest,
        schema: &Value,
        requests: &mut u32,
    ) -> Outcome {
        let mut malformed_once = false;
        loop {
            let before = self.http.stats().calls;
            // Asking again is harmless: the answer is journaled only once it is usable.
            let sent = self
                .http
                .send("LLM chat completion", Safety::Idempotent, |c| {
                    let req = c.post(self.endpoint()).json(body);
                    match &self.key {
                        Some(k) => req.bearer_auth(k),
                        None => req,
                    }
                })
                .await;
            *requests += (self.http.stats().calls - before) as u32;
            let reply = match sent {
                Ok(r) => r,
                Err(e) => return Outcome::GiveUp(plain(e.message(), &self.cfg.base_url)),
            };
            let status = reply.status;
            if status.as_u16() == 401 || status.as_u16() == 403 {
                let var = self.cfg.api_key_env.as_deref().unwrap_or("api_key_env");
                return Outcome::GiveUp(format!(
                    "the server refused the credentials ({status}); check the variable {var}"
                ));
            }
            if status.is_client_error() {
                return Outcome::FormatRejected(format!(
                    "{status}: {}",
                    snippet(&body_text(&reply.body))
                ));
            }
            match parse_answer(&reply.body, schema) {
                Ok(v) => return Outcome::Answer(v),
                // A malformed answer is asked once more, then left to rules.
                Err(_) if !malformed_once => {
                    malformed_once = true;
                    continue;
                }
                Err(why) => return Outcome::Malformed(why),
            }
        }
    }

    /// Asks for a JSON answer: structured output first, then JSON mode, then `None`.
    /// Returns the answer, the mode that produced it, the failure (if any) and requests made.
    pub(crate) async fn ask(
        &self,
        system: &str,
        user: &str,
        schema: &Value,
    ) -> (Option<Value>, AnswerMode, Option<String>, u32, Vec<String>) {
        let mut requests = 0;
        let mut notes = vec![];
        let structured = self.request(
            system,
            user,
            ResponseFormat::JsonSchema {
                json_schema: ResponseFormatJsonSchema {
                    description: None,
                    name: "answer".into(),
                    schema: schema.clone(),
                    strict: Some(true),
                },
            },
        );
        match self.ask_in(&structured, schema, &mut requests).await {
            Outcome::Answer(v) => return (Some(v), AnswerMode::JsonSchema, None, requests, notes),
            Outcome::GiveUp(why) | Outcome::Malformed(why) => {
                return (None, AnswerMode::Rules, Some(why), requests, notes)
            }
            Outcome::FormatRejected(why) => {
                notes.push(format!(
                    "the server does not take structured output ({why}); using JSON mode"
                ));
            }
        }
        let system_with_schema = format!(
            "{system}\n\nAnswer with one JSON object and nothing else. It must match this JSON schema:\n{schema}"
        );
        let json_mode = self.request(&system_with_schema, user, ResponseFormat::JsonObject);
        match self.ask_in(&json_mode, schema, &mut requests).await {
            Outcome::Answer(v) => (Some(v), AnswerMode::JsonObject, None, requests, notes),
            Outcome::FormatRejected(why) => (
                None,
                AnswerMode::Rules,
                Some(format!(
                    "the server takes neither structured output nor JSON mode ({why})"
                )),
                requests,
                notes,
            ),
            Outcome::GiveUp(why) | Outcome::Malformed(why) => {
                (None, AnswerMode::Rules, Some(why), requests, notes)
            }
        }
    }
}

/// Asks the configured LLM for a JSON object matching `schema`, on behalf of `agent`.
///
/// `None` means "use your rules": no `[llm]` configured, or the server could not give a usable
/// answer (the reason is an event). The answer, or the fallback, is journaled and flushed before
/// it is returned; asking again with the same inputs returns the journaled result without a
/// request. Only a stop request interrupts this (`Err`).
pub async fn ask_json(
    ctx: &Ctx,
    agent: AgentKind,
    purpose: &str,
    system: &str,
    user: &str,
    schema: &Value,
) -> Result<Option<Value>, Halt> {
    let Some(cfg) = ctx.cfg.llm.as_ref() else {
        return Ok(None);
    };
    let key = journal_key(&cfg.model, purpose, system, user, schema);
    if let Ok(Some(entry)) = ctx.store.get_json::<JournalEntry>(T::Journal, &key) {
        return Ok(entry.answer);
    }
    ctx.safe_point().await?;
    let client = match Llm::new(cfg) {
        Ok(c) => c,
        Err(e) => {
            ctx.log(
                agent,
                Level::Warn,
                format!("LLM {purpose}: {e}; using rules"),
            )?;
            return Ok(None);
        }
    };
    let started = Instant::now();
    let (answer, mode, failure, requests, notes) = client.ask(system, user, schema).await;
    let entry = JournalEntry {
        purpose: purpose.to_string(),
        model: cfg.model.clone(),
        system: system.to_string(),
        user: user.to_string(),
        schema: schema.clone(),
        mode,
        answer: answer.clone(),
        failure: failure.clone(),
        requests,
        at: now_rfc3339(),
    };
    let mut step = ctx.step();
    step.put_json(T::Journal, &key, &entry);
    if let Some(var) = &client.missing_key_var {
        step.event(
            Level::Warn,
            Some(agent),
            EventKind::Log {
                message: format!("LLM: the key variable {var} is not set; asked without a key"),
            },
        );
    }
    for n in notes {
        step.event(
            Level::Warn,
            Some(agent),
            EventKind::Log {
                message: format!("LLM {purpose}: {n}"),
            },
        );
    }
    let ms = started.elapsed().as_millis();
    let (level, message) = match &failure {
        None => (
            Level::Info,
            format!(
                "LLM {purpose}: answered by {} ({}, {requests} request{}, {ms} ms)",
                cfg.model,
                match mode {
                    AnswerMode::JsonSchema => "structured output",
                    _ => "JSON mode",
                },
                if requests == 1 { "" } else { "s" }
            ),
        ),
        Some(why) => (
            Level::Warn,
            format!("LLM {purpose}: {why}; using rules ({requests} requests, {ms} ms)"),
        ),
    };
    step.event(level, Some(agent), EventKind::Log { message });
    // Journaled and flushed before anyone acts on it.
    ctx.commit(step)?;
    Ok(answer)
}

/// The reply of the chat-completions endpoint, as far as it is read.
#[derive(Deserialize)]
struct ChatReply {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: ChoiceMessage,
}

#[derive(Deserialize)]
struct ChoiceMessage {
    content: Option<String>,
}

/// The content of the first choice, parsed as a JSON object with the schema's required keys.
fn parse_answer(body: &Value, schema: &Value) -> Result<Value, String> {
    let text = body_text(body);
    let resp: ChatReply = serde_json::from_value(body.clone()).map_err(|e| {
        format!(
            "the response is not a chat completion ({e}): {}",
            snippet(&text)
        )
    })?;
    let content = resp
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .ok_or_else(|| {
            format!(
                "the response has no choices[0].message.content: {}",
                snippet(&text)
            )
        })?;
    let trimmed = strip_fences(&content);
    let v: Value = serde_json::from_str(trimmed)
        .map_err(|e| format!("the answer is not JSON ({e}): {}", snippet(&content)))?;
    if !v.is_object() {
        return Err(format!(
            "the answer is not a JSON object: {}",
            snippet(&content)
        ));
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for k in req.iter().filter_map(Value::as_str) {
            if v.get(k).is_none() {
                return Err(format!("the answer lacks the required field {k:?}"));
            }
        }
    }
    Ok(v)
}

/// A reply body as text for messages (the HTTP layer keeps a non-JSON error body as a string).
fn body_text(body: &Value) -> String {
    match body {
        Value::String(s) => s.clone(),
        v => v.to_string(),
    }
}

/// Some models wrap JSON in a Markdown code fence even in JSON mode.
fn strip_fences(s: &str) -> &str {
    let t = s.trim();
    let Some(rest) = t.strip_prefix("```") else {
        return t;
    };
    let rest = rest.strip_prefix("json").unwrap_or(rest);
    rest.strip_suffix("```").unwrap_or(rest).trim()
}

fn snippet(s: &str) -> String {
    let t: String = s.chars().take(160).collect();
    if t.len() < s.len() {
        format!("{t}…")
    } else {
        t
    }
}

/// Error messages may name the server's URL; keep only the reason (URLs may carry tokens in
/// query strings).
fn plain(message: &str, base_url: &str) -> String {
    message.replace(base_url.trim_end_matches('/'), "<server>")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn journal_keys_depend_on_every_input() {
        let s = json!({"type": "object"});
        let k = journal_key("m", "p", "sys", "user", &s);
        assert_eq!(k, journal_key("m", "p", "sys", "user", &s));
        assert_ne!(k, journal_key("m2", "p", "sys", "user", &s));
        assert_ne!(k, journal_key("m", "p2", "sys", "user", &s));
        assert_ne!(k, journal_key("m", "p", "sys2", "user", &s));
        assert_ne!(k, journal_key("m", "p", "sys", "user2", &s));
        assert_ne!(
            k,
            journal_key("m", "p", "sys", "user", &json!({"type": "array"}))
        );
        // Boundaries between parts count: ("ab","c") is not ("a","bc").
        assert_ne!(
            journal_key("ab", "c", "", "", &s),
            journal_key("a", "bc", "", "", &s)
        );
    }

    #[test]
    fn answers_are_checked_and_unfenced() {
        let schema = json!({"type": "object", "required": ["summary"]});
        let wrap = |c: &str| json!({"choices": [{"message": {"content": c}}]});
        assert_eq!(
            parse_answer(&wrap("{\"summary\": \"x\"}"), &schema).unwrap()["summary"],
            "x"
        );
        assert_eq!(
            parse_answer(&wrap("```json\n{\"summary\": \"y\"}\n```"), &schema).unwrap()["summary"],
            "y"
        );
        assert!(parse_answer(&wrap("{\"other\": 1}"), &schema).is_err());
        assert!(parse_answer(&wrap("not json"), &schema).is_err());
        assert!(parse_answer(&json!("<html>"), &schema).is_err());
        assert!(parse_answer(&json!({"choices": []}), &schema).is_err());
        assert!(parse_answer(&wrap("[1]"), &schema).is_err());
    }
}
