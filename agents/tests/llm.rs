//! The LLM path against a scripted OpenAI-compatible server on loopback: a good structured
//! answer, a malformed one, a 429 with Retry-After, a timeout, and a server that refuses
//! structured output. Each time the caller gets an answer or falls back to rules, a second ask
//! is answered from the journal without a request, and the API key appears nowhere.

mod common;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use storeshift_agents::llm::{ask_json, JournalEntry};
use storeshift_agents::store::T;
use storeshift_agents::AgentKind;

const KEY_VAR: &str = "STORESHIFT_TEST_LLM_KEY";
const KEY: &str = "sk-test-9f3c1a7e-never-log-me";

#[derive(Clone, Debug)]
enum Reply {
    Good(&'static str),
    Malformed,
    RateLimited(u64),
    ServerError,
    Sleep(u64),
    /// 400 for `response_format: json_schema`, a good answer in JSON mode.
    RejectSchema(&'static str),
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    bodies: Mutex<Vec<Value>>,
    auth: Mutex<Vec<String>>,
}

fn completion(content: &str) -> Value {
    json!({
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "test-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    })
}

async fn chat(
    State(s): State<Arc<Script>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Response {
    s.auth.lock().unwrap().push(
        headers
            .get("authorization")
            .and_then(|h| h.to_str().ok())
            .unwrap_or("")
            .to_string(),
    );
    let format = body
        .pointer("/response_format/type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    s.bodies.lock().unwrap().push(body);
    let reply = s
        .replies
        .lock()
        .unwrap()
        .pop_front()
        .unwrap_or(Reply::Malformed);
    match reply {
        Reply::Good(c) => Json(completion(c)).into_response(),
        Reply::Malformed => Json(completion("Sure! Here is the summary: {summary: oops")).into_response(),
        Reply::RateLimited(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", secs.to_string())],
            Json(json!({"error": {"message": "rate limited", "type": "rate_limit_error", "param": null, "code": null}})),
        )
            .into_response(),
        Reply::ServerError => (
            StatusCode::BAD_GATEWAY,
            Json(json!({"error": {"message": "upstream model crashed", "type": "server_error", "param": null, "code": null}})),
        )
            .into_response(),
        Reply::Sleep(secs) => {
            // The server's own behaviour: it answers after the client gave up.
            tokio::time::sleep(Duration::from_secs(secs)).await;
            Json(completion("{\"summary\": \"late\"}")).into_response()
        }
        Reply::RejectSchema(c) if format == "json_schema" => {
            s.replies.lock().unwrap().push_front(Reply::RejectSchema(c));
            (
                StatusCode::BAD_REQUEST,
                Json(json!({"error": {"message": "response_format json_schema is not supported", "type": "invalid_request_error", "param": "response_format", "code": null}})),
            )
                .into_response()
        }
        Reply::RejectSchema(c) => Json(completion(c)).into_response(),
    }
}

struct Server {
    url: String,
    script: Arc<Script>,
}

impl Server {
    async fn start(replies: Vec<Reply>) -> Server {
        let script = Arc::new(Script {
            replies: Mutex::new(replies.into()),
            ..Default::default()
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat))
            .with_state(script.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Server {
            url: format!("http://{addr}/v1"),
            script,
        }
    }
    fn requests(&self) -> usize {
        self.script.bodies.lock().unwrap().len()
    }
}

fn schema() -> Value {
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["summary"],
        "properties": {"summary": {"type": "string"}}
    })
}

struct Case {
    _dir: tempfile::TempDir,
    ctx: storeshift_agents::runtime::Ctx,
    server: Server,
}

async fn case(replies: Vec<Reply>) -> Case {
    std::env::set_var(KEY_VAR, KEY);
    let server = Server::start(replies).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(&format!(
        "[llm]\nbase_url = \"{}\"\nmodel = \"test-model\"\napi_key_env = \"{KEY_VAR}\"\ntimeout_secs = 1\n",
        server.url
    ));
    let ctx = common::ctx(dir.path(), &cfg);
    Case {
        _dir: dir,
        ctx,
        server,
    }
}

async fn ask(c: &Case) -> Option<Value> {
    ask_json(
        &c.ctx,
        AgentKind::DataAnalysis,
        "findings summary",
        "You summarise.",
        "3 duplicate SKUs",
        &schema(),
    )
    .await
    .expect("never halts")
}

fn journal(c: &Case) -> Vec<JournalEntry> {
    c.ctx
        .store
        .scan_json::<JournalEntry>(T::Journal, b"")
        .unwrap()
        .into_iter()
        .map(|(_, v)| v)
        .collect()
}

/// The key never reaches the journal, the event log or its mirror.
fn assert_no_secret(c: &Case) {
    for item in c.ctx.store.tree(T::Journal).iter() {
        let (k, v) = item.unwrap();
        assert!(
            !String::from_utf8_lossy(&k).contains(KEY)
                && !String::from_utf8_lossy(&v).contains(KEY)
        );
    }
    for item in c.ctx.store.tree(T::Events).iter() {
        let (_, v) = item.unwrap();
        assert!(
            !String::from_utf8_lossy(&v).contains(KEY),
            "event holds the key"
        );
    }
    let mirror = std::fs::read_to_string(c.ctx.ws.events_mirror()).unwrap_or_default();
    assert!(!mirror.contains(KEY), "events.jsonl holds the key");
}

/// Asked again with the same inputs: the journal answers, no request reaches the server.
async fn assert_journaled(c: &Case, first: &Option<Value>) {
    let before = c.server.requests();
    assert_eq!(
        &ask(c).await,
        first,
        "the journal must give the same answer"
    );
    assert_eq!(
        c.server.requests(),
        before,
        "a journaled question must not be asked again"
    );
}

fn llm_events(c: &Case) -> Vec<String> {
    common::event_lines(&c.ctx)
        .into_iter()
        .filter(|l| l.contains("LLM"))
        .collect()
}

#[tokio::test]
async fn structured_answer_is_used_and_journaled_with_the_key_sent_but_never_stored() {
    let c = case(vec![Reply::Good("{\"summary\": \"Three SKUs collide.\"}")]).await;
    let a = ask(&c).await;
    assert_eq!(a, Some(json!({"summary": "Three SKUs collide."})));
    assert_eq!(c.server.requests(), 1);
    let body = c.server.script.bodies.lock().unwrap()[0].clone();
    assert_eq!(body["response_format"]["type"], "json_schema");
    assert_eq!(body["response_format"]["json_schema"]["schema"], schema());
    assert_eq!(body["messages"][0]["role"], "system");
    assert_eq!(
        c.server.script.auth.lock().unwrap()[0],
        format!("Bearer {KEY}")
    );
    let j = journal(&c);
    assert_eq!(j.len(), 1);
    assert_eq!(j[0].answer, a);
    assert!(
        llm_events(&c)
            .iter()
            .any(|l| l.contains("answered by test-model (structured output")),
        "{:?}",
        llm_events(&c)
    );
    assert!(common::events(&c.ctx)
        .iter()
        .any(|e| e["emitter"] == "data_analysis"
            && e["message"].as_str().is_some_and(|m| m.contains("LLM"))));
    assert_journaled(&c, &a).await;
    assert_no_secret(&c);
}

#[tokio::test]
async fn malformed_answer_is_retried_once_then_left_to_rules() {
    let c = case(vec![
        Reply::Malformed,
        Reply::Malformed,
        Reply::Good("{\"summary\": \"too late\"}"),
    ])
    .await;
    let a = ask(&c).await;
    assert_eq!(a, None, "two malformed answers: rules");
    assert_eq!(c.server.requests(), 2);
    assert!(
        llm_events(&c).iter().any(|l| l.contains("using rules")),
        "{:?}",
        llm_events(&c)
    );
    // The fallback is journaled too: a resumed run does not ask and get a different answer.
    assert_journaled(&c, &a).await;
    assert_no_secret(&c);

    let c = case(vec![
        Reply::Malformed,
        Reply::Good("{\"summary\": \"second try\"}"),
    ])
    .await;
    assert_eq!(ask(&c).await, Some(json!({"summary": "second try"})));
    assert_eq!(c.server.requests(), 2);
}

#[tokio::test]
async fn rate_limit_waits_for_retry_after_then_answers() {
    let c = case(vec![
        Reply::RateLimited(1),
        Reply::Good("{\"summary\": \"after the wait\"}"),
    ])
    .await;
    let t = Instant::now();
    let a = ask(&c).await;
    assert_eq!(a, Some(json!({"summary": "after the wait"})));
    assert!(
        t.elapsed() >= Duration::from_secs(1),
        "Retry-After: 1 must be honoured ({:?})",
        t.elapsed()
    );
    assert_eq!(c.server.requests(), 2);
    assert_journaled(&c, &a).await;
    assert_no_secret(&c);
}

#[tokio::test]
async fn server_errors_are_retried_by_the_shared_policy_and_long_waits_are_not_waited_for() {
    let c = case(vec![
        Reply::ServerError,
        Reply::ServerError,
        Reply::Good("{\"summary\": \"after two 502s\"}"),
    ])
    .await;
    let a = ask(&c).await;
    assert_eq!(a, Some(json!({"summary": "after two 502s"})));
    assert_eq!(c.server.requests(), 3);
    assert!(
        journal(&c).iter().any(|e| e.requests == 3),
        "every request is counted in the journal: {:?}",
        journal(&c)
    );

    // A Retry-After of ten minutes is not worth stalling the run for: rules at once.
    let c = case(vec![
        Reply::RateLimited(600),
        Reply::Good("{\"summary\": \"never asked\"}"),
    ])
    .await;
    let t = Instant::now();
    assert_eq!(ask(&c).await, None);
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    assert_eq!(c.server.requests(), 1);
    assert!(
        llm_events(&c)
            .iter()
            .any(|l| l.contains("asks to wait 600 s")),
        "{:?}",
        llm_events(&c)
    );
    assert_journaled(&c, &None).await;
}

#[tokio::test]
async fn timeout_falls_back_to_rules_and_the_run_goes_on() {
    let c = case(vec![Reply::Sleep(5)]).await;
    let t = Instant::now();
    let a = ask(&c).await;
    assert_eq!(a, None);
    assert!(
        t.elapsed() < Duration::from_secs(4),
        "the client must give up at timeout_secs ({:?})",
        t.elapsed()
    );
    assert!(
        llm_events(&c)
            .iter()
            .any(|l| l.contains("no answer within 1 s")),
        "{:?}",
        llm_events(&c)
    );
    assert_journaled(&c, &a).await;
    assert_no_secret(&c);
}

#[tokio::test]
async fn server_without_structured_output_gets_json_mode() {
    let c = case(vec![Reply::RejectSchema(
        "{\"summary\": \"from JSON mode\"}",
    )])
    .await;
    let a = ask(&c).await;
    assert_eq!(a, Some(json!({"summary": "from JSON mode"})));
    let bodies = c.server.script.bodies.lock().unwrap().clone();
    assert_eq!(bodies.len(), 2);
    assert_eq!(bodies[0]["response_format"]["type"], "json_schema");
    assert_eq!(bodies[1]["response_format"]["type"], "json_object");
    assert!(
        bodies[1]["messages"][0]["content"]
            .as_str()
            .unwrap()
            .contains("\"summary\""),
        "JSON mode states the schema"
    );
    assert_eq!(
        journal(&c)[0].mode,
        storeshift_agents::llm::AnswerMode::JsonObject
    );
    assert!(llm_events(&c)
        .iter()
        .any(|l| l.contains("does not take structured output")));
    assert_journaled(&c, &a).await;
    assert_no_secret(&c);
}

#[tokio::test]
async fn without_llm_config_nothing_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = common::ctx(dir.path(), &common::config(""));
    let a = ask_json(&ctx, AgentKind::DataAnalysis, "p", "s", "u", &schema())
        .await
        .unwrap();
    assert_eq!(a, None);
    assert_eq!(ctx.store.tree(T::Journal).len(), 0);
}

#[tokio::test]
async fn notices_are_rewritten_in_the_store_voice_only_when_facts_survive() {
    let keeps = "{\"text\": \"Big news from test-store! We now live on Shopify. Same shop, same prices: https://shop.example\"}";
    let drops = "{\"text\": \"Big news! We moved. See you there.\"}";
    let server = Server::start(vec![Reply::Good(keeps), Reply::Good(drops)]).await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = common::config(&format!(
        "[run]\nsource_url = \"https://shop.example\"\n\n[llm]\nbase_url = \"{}\"\nmodel = \"test-model\"\ntimeout_secs = 5\n",
        server.url
    ));
    let ctx = common::ctx(dir.path(), &cfg);
    ctx.save_phase(
        "analysis",
        &storeshift_agents::agents::analysis::Analysis::default(),
    )
    .unwrap();
    storeshift_agents::agents::communication::draft(ctx.clone())
        .await
        .unwrap();
    let d: storeshift_agents::agents::communication::Drafts = ctx.load_phase("drafts").unwrap();
    // Two notices (no customers move): the first rewrite keeps the facts, the second loses the link.
    assert_eq!(server.requests(), 2);
    assert_eq!(d.rewritten.len(), 1, "{d:?}");
    let rewritten = &d.files[&d.rewritten[0]];
    assert!(
        rewritten.starts_with("Big news from test-store!"),
        "{rewritten}"
    );
    let kept: Vec<&String> = d
        .files
        .keys()
        .filter(|k| !d.rewritten.contains(k))
        .collect();
    assert_eq!(kept.len(), 1);
    assert!(
        d.files[kept[0]].contains("https://shop.example"),
        "the template stays when the rewrite drops a fact"
    );
    assert!(common::event_lines(&ctx)
        .iter()
        .any(|l| l.contains("the template text is kept")));
    // The operator still approves: the rewrite is named in the question.
    let iv = ctx
        .store
        .interventions()
        .unwrap()
        .into_iter()
        .find(|i| i.step == "premigration/notices")
        .unwrap();
    assert!(
        iv.problem
            .contains("Rewritten in the store's voice by the LLM"),
        "{}",
        iv.problem
    );
    assert!(iv.decision.is_none());
}
