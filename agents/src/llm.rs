//! Access to an OpenAI-compatible chat server, for narrative, suggestions and drafts. Nothing
//! depends on it: every caller has a rule-based answer and uses it whenever this returns `None`.
//!
//! Every question and its answer (or the decision to fall back to rules) is journaled in the
//! state database, keyed by a hash of (model, purpose, messages, schema), and flushed BEFORE the
//! caller sees it. A resumed run finds the journaled answer and never asks again, so it never
//! gets a different answer.
//!
//! The request and response bodies are async-openai's types (the documented chat-completions
//! format). The transport is the workspace's reqwest with rustls rather than async-openai's own
//! client: async-openai 0.43 brings a second HTTP stack (reqwest 0.13) and its client drops the
//! response headers of a failed call, so a 429's `Retry-After` could not be honoured.

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

/// Attempts per answer format for rate limits and server errors.
const MAX_ATTEMPTS: u32 = 4;
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
    http: reqwest::Client,
    key: Option<String>,
    /// Set when the key variable is named but not set (reported once, by name only).
    missing_key_var: Option<String>,
}

impl Llm {
    pub fn new(cfg: &LlmConfig) -> Result<Llm, String> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(cfg.timeout_secs.max(1)))
            .connect_timeout(Duration::from_secs(cfg.timeout_secs.clamp(1, 10)))
            .build()
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

    /// Sends one question in one answer format, retrying rate limits (honouring Retry-After)
    /// and server errors with backoff. Counts every request made in `requests`.
    async fn ask_in(
        &self,
        body: &CreateChatCompletionRequest,
        schema: &Value,
        requests: &mut u32,
    ) -> Outcome {
        let mut malformed_once = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            *requests += 1;
            let mut req = self.http.post(self.endpoint()).json(body);
            if let Some(k) = &self.key {
                req = req.bearer_auth(k);
            }
            let resp = match req.send().await {
                Ok(r) => r,
                Err(e) if e.is_timeout() => {
                    return Outcome::GiveUp(format!(
                        "no answer within {} s (timeout_secs)",
                        self.cfg.timeout_secs
                    ))
                }
                Err(e) => {
                    return Outcome::GiveUp(format!("cannot reach the server: {}", plain(&e)))
                }
            };
            let status = resp.status();
            if status.as_u16() == 429 {
                let wait = retry_after(resp.headers()).unwrap_or(backoff(attempt));
                if attempt >= MAX_ATTEMPTS {
                    return Outcome::GiveUp(format!("rate limited {attempt} times (429)"));
                }
                if wait > MAX_RETRY_AFTER {
                    return Outcome::GiveUp(format!(
                        "rate limited (429) with Retry-After {} s",
                        wait.as_secs()
                    ));
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            if status.is_server_error() {
                if attempt >= MAX_ATTEMPTS {
                    return Outcome::GiveUp(format!("server error {status} {attempt} times"));
                }
                tokio::time::sleep(backoff(attempt)).await;
                continue;
            }
            if status.as_u16() == 401 || status.as_u16() == 403 {
                let var = self.cfg.api_key_env.as_deref().unwrap_or("api_key_env");
                return Outcome::GiveUp(format!(
                    "the server refused the credentials ({status}); check the variable {var}"
                ));
            }
            let text = match resp.text().await {
                Ok(t) => t,
                Err(e) if e.is_timeout() => {
                    return Outcome::GiveUp(format!(
                        "no answer within {} s (timeout_secs)",
                        self.cfg.timeout_secs
                    ))
                }
                Err(e) => {
                    return Outcome::GiveUp(format!("reading the answer failed: {}", plain(&e)))
                }
            };
            if status.is_client_error() {
                return Outcome::FormatRejected(format!("{status}: {}", snippet(&text)));
            }
            match parse_answer(&text, schema) {
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

/// The content of the first choice, parsed as a JSON object with the schema's required keys.
fn parse_answer(body: &str, schema: &Value) -> Result<Value, String> {
    let resp: Value = serde_json::from_str(body)
        .map_err(|e| format!("the response is not JSON ({e}): {}", snippet(body)))?;
    let content = resp
        .pointer("/choices/0/message/content")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            format!(
                "the response has no choices[0].message.content: {}",
                snippet(body)
            )
        })?;
    let trimmed = strip_fences(content);
    let v: Value = serde_json::from_str(trimmed)
        .map_err(|e| format!("the answer is not JSON ({e}): {}", snippet(content)))?;
    if !v.is_object() {
        return Err(format!(
            "the answer is not a JSON object: {}",
            snippet(content)
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

/// reqwest errors name the URL; keep only the reason (URLs may carry tokens in query strings).
fn plain(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<server>");
    }
    s
}

/// Seconds or an HTTP date, per RFC 9110.
fn retry_after(h: &reqwest::header::HeaderMap) -> Option<Duration> {
    let v = h.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(secs) = v.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let when = chrono::DateTime::parse_from_rfc2822(v).ok()?;
    let secs = (when.with_timezone(&chrono::Utc) - chrono::Utc::now())
        .num_milliseconds()
        .max(0);
    Some(Duration::from_millis(secs as u64))
}

/// Exponential backoff with jitter: about 0.5 s, 1 s, 2 s.
fn backoff(attempt: u32) -> Duration {
    let base = 250u64 << attempt.min(6);
    Duration::from_millis(base / 2 + jitter(base / 2))
}

fn jitter(max: u64) -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as u64)
        .unwrap_or(0);
    if max == 0 {
        0
    } else {
        nanos % max
    }
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
        let wrap = |c: &str| json!({"choices": [{"message": {"content": c}}]}).to_string();
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
        assert!(parse_answer("<html>", &schema).is_err());
        assert!(parse_answer(&wrap("[1]"), &schema).is_err());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(3)));
        let later = (chrono::Utc::now() + chrono::Duration::seconds(30)).to_rfc2822();
        h.insert(reqwest::header::RETRY_AFTER, later.parse().unwrap());
        let d = retry_after(&h).unwrap();
        assert!(
            d <= Duration::from_secs(30) && d >= Duration::from_secs(25),
            "{d:?}"
        );
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
    }
}
