//! Category mapping (Pre-migration): maps the source's category paths, and its option names,
//! onto the target's categories — a taxonomy list the user gives (`[embeddings] taxonomy`, one
//! path per line like "Women > Knitwear"; `attribute: Size` lines list attribute names) or the
//! categories a live target store already has. Similarity comes from an embedding model when a
//! server is configured, from a lexical measure otherwise; a path whose best candidate scores
//! below `min_confidence` becomes an intervention (the top three candidates, or keep the source
//! path as it is). An LLM, when configured, may add a suggestion to each such question; it never
//! decides.

use crate::agents::analysis::Analysis;
use crate::embed::{self, Embedder, Side};
use crate::event::{AgentKind, Level};
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{phase_key, Ctx, Halt};
use crate::store::{now_rfc3339, T};
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;
use storeshift_connectors::model::{Entity, Record};
use storeshift_connectors::EndpointKind;

/// The mapping is part of the SEO agent's pre-migration work (it shapes the target's URLs).
const AGENT: AgentKind = AgentKind::SeoPreservation;
pub const STEP: &str = "premigration/category_mapping";
pub const KEEP: &str = "keep";
const PHASE: &str = "category_mapping";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Candidate {
    pub path: Vec<String>,
    pub score: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappedPath {
    pub source: Vec<String>,
    /// Best candidates, best first (at most three).
    pub candidates: Vec<Candidate>,
    /// The mapping taken without a question (confidence at or above the threshold).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<Vec<String>>,
    pub confidence: f32,
    /// The intervention asking an operator, when confidence was too low.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub intervention: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MappedName {
    pub source: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    pub confidence: f32,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryMapping {
    /// "embeddings (model)", "lexical fallback (why)" or "none (why)".
    pub method: String,
    pub lexical_fallback: bool,
    /// What the paths were mapped onto.
    pub onto: String,
    pub min_confidence: f32,
    pub categories: Vec<MappedPath>,
    #[serde(default)]
    pub attributes: Vec<MappedName>,
}

/// What the source paths are mapped onto.
#[derive(Debug, Default)]
pub struct Taxonomy {
    pub paths: Vec<Vec<String>>,
    pub attributes: Vec<String>,
}

/// Parses a taxonomy list: one path per line ("Women > Knitwear"), `#` comments, blank lines,
/// `attribute: Name` lines. A line with an empty level is an error naming file and line.
pub fn parse_taxonomy(text: &str, file: &Path) -> Result<Taxonomy, String> {
    let mut t = Taxonomy::default();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix("attribute:") {
            let name = name.trim();
            if name.is_empty() {
                return Err(format!(
                    "{}:{}:1: `attribute:` needs a name (attribute: Size)",
                    file.display(),
                    i + 1
                ));
            }
            t.attributes.push(name.to_string());
            continue;
        }
        let path: Vec<String> = line.split('>').map(|s| s.trim().to_string()).collect();
        if let Some(pos) = path.iter().position(String::is_empty) {
            let col = line
                .split('>')
                .take(pos)
                .map(|s| s.chars().count() + 1)
                .sum::<usize>()
                + 1;
            return Err(format!(
                "{}:{}:{col}: empty category level in {line:?}; write one path per line like \"Women > Knitwear\"",
                file.display(),
                i + 1
            ));
        }
        if !t.paths.contains(&path) {
            t.paths.push(path);
        }
    }
    Ok(t)
}

/// Paths that are no other path's parent: where products actually sit.
pub fn leaves(all: &[Vec<String>]) -> Vec<Vec<String>> {
    all.iter()
        .filter(|p| !all.iter().any(|q| q.len() > p.len() && q.starts_with(p)))
        .cloned()
        .collect()
}

/// How paths are written for the embedding model: levels joined by commas measured better
/// than " > " with multilingual-e5-small.
fn embed_text(p: &[String]) -> String {
    p.join(", ")
}

/// Scores every source against every target: rows = sources.
pub async fn similarities(
    embedder: Option<&Embedder>,
    sources: &[Vec<String>],
    targets: &[Vec<String>],
) -> (Vec<Vec<f32>>, Option<String>) {
    if let Some(e) = embedder {
        let s: Vec<String> = sources.iter().map(|p| embed_text(p)).collect();
        let t: Vec<String> = targets.iter().map(|p| embed_text(p)).collect();
        // Both sides as queries: matching short labels is a symmetric task for e5. The second
        // side is not asked for once the first failed: a dead server costs one round of retries.
        let both = match e.embed(&s, Side::Query).await {
            Ok(sv) => e.embed(&t, Side::Query).await.map(|tv| (sv, tv)),
            Err(why) => Err(why),
        };
        return match both {
            Ok((sv, tv)) => {
                let m = sv
                    .iter()
                    .map(|a| tv.iter().map(|b| embed::cosine(a, b)).collect())
                    .collect();
                (m, None)
            }
            Err(why) => (lexical_matrix(sources, targets), Some(why)),
        };
    }
    (lexical_matrix(sources, targets), None)
}

fn lexical_matrix(sources: &[Vec<String>], targets: &[Vec<String>]) -> Vec<Vec<f32>> {
    sources
        .iter()
        .map(|a| targets.iter().map(|b| embed::lexical_path(a, b)).collect())
        .collect()
}

/// Best three candidates of one row, best first; an exact match (after folding) scores 1.
pub fn top3(source: &[String], row: &[f32], targets: &[Vec<String>]) -> Vec<Candidate> {
    let folded = embed::fold(&source.join(" "));
    let mut c: Vec<Candidate> = row
        .iter()
        .zip(targets)
        .map(|(s, t)| Candidate {
            path: t.clone(),
            score: if embed::fold(&t.join(" ")) == folded {
                1.0
            } else {
                s.clamp(0.0, 1.0)
            },
        })
        .collect();
    c.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.path.cmp(&b.path))
    });
    c.truncate(3);
    c
}

pub async fn run(ctx: Ctx) -> Result<(), Halt> {
    if ctx.load_phase::<CategoryMapping>(PHASE).is_some() {
        return Ok(());
    }
    let analysis: Analysis = ctx.load_phase("analysis").unwrap_or_default();
    let all: Vec<Vec<String>> = analysis.categories.iter().cloned().collect();
    let sources = leaves(&all);
    let emb_cfg = ctx.cfg.embeddings.clone();
    let min_confidence = emb_cfg.as_ref().map(|e| e.min_confidence).unwrap_or(0.80);

    let (taxonomy, onto) = match target_taxonomy(&ctx).await? {
        Some(t) => t,
        None => {
            let m = CategoryMapping {
                method: "none (no taxonomy file and no readable target categories)".into(),
                onto: "nothing: category paths move as they are".into(),
                min_confidence,
                ..Default::default()
            };
            ctx.save_phase(PHASE, &m)?;
            return Ok(());
        }
    };
    if sources.is_empty() || taxonomy.paths.is_empty() {
        let m = CategoryMapping {
            method: "none (nothing to map)".into(),
            onto,
            min_confidence,
            ..Default::default()
        };
        ctx.save_phase(PHASE, &m)?;
        return Ok(());
    }
    ctx.status(
        AGENT,
        "running",
        format!("mapping {} category paths onto {onto}", sources.len()),
        0,
        sources.len() as u64,
    )?;

    let timeout = Duration::from_secs(ctx.cfg.llm.as_ref().map(|l| l.timeout_secs).unwrap_or(60));
    let embedder = match emb_cfg.as_ref().map(|c| Embedder::new(c, timeout)) {
        Some(Ok(e)) => e,
        Some(Err(why)) => {
            ctx.log(AGENT, Level::Warn, format!("embeddings: {why}"))?;
            None
        }
        None => None,
    };
    let (matrix, failed) = similarities(embedder.as_ref(), &sources, &taxonomy.paths).await;
    let (method, lexical_fallback) = match (&embedder, &failed) {
        (Some(e), None) => (format!("embeddings ({})", e.model()), false),
        (Some(_), Some(why)) => {
            ctx.log(
                AGENT,
                Level::Warn,
                format!("embeddings failed ({why}); mapping with the lexical fallback"),
            )?;
            (
                format!("lexical fallback (the embedding server failed: {why})"),
                true,
            )
        }
        (None, _) => (
            "lexical fallback (no embedding server configured)".to_string(),
            true,
        ),
    };

    let mut categories = vec![];
    for (src, row) in sources.iter().zip(&matrix) {
        let candidates = top3(src, row, &taxonomy.paths);
        let confidence = candidates.first().map(|c| c.score).unwrap_or(0.0);
        let target = (confidence >= min_confidence).then(|| candidates[0].path.clone());
        categories.push(MappedPath {
            source: src.clone(),
            candidates,
            target,
            confidence,
            intervention: None,
            suggestion: None,
        });
    }

    let attributes = if taxonomy.attributes.is_empty() {
        vec![]
    } else {
        let names: Vec<Vec<String>> = analysis
            .option_names
            .iter()
            .map(|n| vec![n.clone()])
            .collect();
        let targets: Vec<Vec<String>> = taxonomy
            .attributes
            .iter()
            .map(|n| vec![n.clone()])
            .collect();
        let (m, _) = similarities(
            if failed.is_none() {
                embedder.as_ref()
            } else {
                None
            },
            &names,
            &targets,
        )
        .await;
        names
            .iter()
            .zip(&m)
            .map(|(n, row)| {
                let best = top3(n, row, &targets);
                let confidence = best.first().map(|c| c.score).unwrap_or(0.0);
                MappedName {
                    source: n[0].clone(),
                    target: (confidence >= min_confidence).then(|| best[0].path[0].clone()),
                    confidence,
                }
            })
            .collect()
    };

    suggest(&ctx, &mut categories).await?;

    let mut mapping = CategoryMapping {
        method,
        lexical_fallback,
        onto,
        min_confidence,
        categories,
        attributes,
    };
    let mut step = ctx.step();
    let mut asked = 0u64;
    for m in mapping.categories.iter_mut().filter(|m| m.target.is_none()) {
        let item = m.source.join(" > ");
        let id = Intervention::make_id(ctx.run, STEP, &item);
        m.intervention = Some(id.clone());
        let mut options: Vec<InterventionOption> = m
            .candidates
            .iter()
            .enumerate()
            .map(|(i, c)| InterventionOption {
                key: format!("candidate_{}", i + 1),
                label: format!("Map to {} (similarity {:.2})", c.path.join(" > "), c.score),
                consequence: format!(
                    "Products in {item} go to {} on the target.",
                    c.path.join(" > ")
                ),
            })
            .collect();
        options.push(InterventionOption {
            key: KEEP.into(),
            label: "Keep the source category as is".into(),
            consequence: format!("The target gets the category {item} as the source has it."),
        });
        let iv = Intervention {
            id,
            run: ctx.run,
            step: STEP.into(),
            item: item.clone(),
            title: format!(
                "Map category {item} (best similarity {:.2} < {:.2})",
                m.confidence, min_confidence
            ),
            problem: format!(
                "No target category is similar enough to {item} ({}).{}",
                mapping.method,
                m.suggestion
                    .as_ref()
                    .map(|s| format!(" LLM suggestion (not a decision): {s}"))
                    .unwrap_or_default()
            ),
            records: vec![],
            options,
            // Nothing is renamed without a person: keeping the path is the safe default.
            recommended: KEEP.into(),
            raised_at: now_rfc3339(),
            detail: None,
            decision: None,
        };
        if ctx.raise(&mut step, iv)? {
            asked += 1;
        }
    }
    let mapped = mapping
        .categories
        .iter()
        .filter(|m| m.target.is_some())
        .count();
    step.put_json(T::Phases, phase_key(ctx.run, PHASE), &mapping);
    step.agent_status(
        AGENT,
        "running",
        format!(
            "category mapping: {mapped} of {} paths mapped onto {} by {}; {asked} need a decision",
            mapping.categories.len(),
            mapping.onto,
            mapping.method
        ),
        mapped as u64,
        mapping.categories.len() as u64,
    );
    ctx.commit(step)
}

/// The taxonomy file, or the categories a live target already has.
async fn target_taxonomy(ctx: &Ctx) -> Result<Option<(Taxonomy, String)>, Halt> {
    if let Some(file) = ctx.cfg.embeddings.as_ref().and_then(|e| e.taxonomy.clone()) {
        let path = if file.is_absolute() {
            file
        } else {
            ctx.cfg.base_dir.join(file)
        };
        let text = std::fs::read_to_string(&path).map_err(|e| {
            Halt::Failed(format!(
                "cannot read the taxonomy file {} ([embeddings] taxonomy): {e}",
                path.display()
            ))
        })?;
        let t = parse_taxonomy(&text, &path).map_err(Halt::Failed)?;
        let onto = format!("the taxonomy {} ({} paths)", path.display(), t.paths.len());
        return Ok(Some((t, onto)));
    }
    if ctx.cfg.target.kind != EndpointKind::Api {
        return Ok(None);
    }
    let mut src =
        match storeshift_connectors::open_source(&ctx.target_reader_spec(), &ctx.cfg.base_dir) {
            Ok(s) => s,
            Err(e) => {
                ctx.log(
                    AGENT,
                    Level::Warn,
                    format!("cannot read the target's categories ({e}); no mapping"),
                )?;
                return Ok(None);
            }
        };
    let read = read_target_categories(ctx, src.as_mut()).await;
    // The target's API spent this on the run's behalf: the report and the verification
    // budget count it with the load's.
    if let Some(stats) = src.api_stats() {
        let mut step = ctx.step();
        crate::api_use::Tracker::default().record(ctx, &mut step, None, Some(stats));
        ctx.commit(step)?;
    }
    let Some(t) = read? else {
        return Ok(None);
    };
    let onto = format!("the target store's {} categories", t.paths.len());
    Ok(Some((t, onto)))
}

/// Every category path a live target has, read page by page (`None` when it has none or
/// cannot be read: the mapping then proposes without it).
async fn read_target_categories(
    ctx: &Ctx,
    src: &mut dyn storeshift_connectors::Source,
) -> Result<Option<Taxonomy>, Halt> {
    if !src.entities().contains(&Entity::Categories) {
        return Ok(None);
    }
    let mut t = Taxonomy::default();
    let mut cursor = None;
    loop {
        ctx.safe_point().await?;
        let page = match src
            .read_page(Entity::Categories, cursor.as_ref(), 500)
            .await
        {
            Ok(p) => p,
            Err(e) => {
                ctx.log(
                    AGENT,
                    Level::Warn,
                    format!("reading the target's categories failed ({e}); no mapping"),
                )?;
                return Ok(None);
            }
        };
        for r in page.records {
            if let Record::Category(c) = r {
                if !c.path.is_empty() && !t.paths.contains(&c.path) {
                    t.paths.push(c.path);
                }
            }
        }
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    if t.paths.is_empty() {
        return Ok(None);
    }
    Ok(Some(t))
}

/// With an LLM, one suggestion per low-confidence path, shown in its question. Never decides.
async fn suggest(ctx: &Ctx, categories: &mut [MappedPath]) -> Result<(), Halt> {
    let low: Vec<&MappedPath> = categories.iter().filter(|m| m.target.is_none()).collect();
    if ctx.cfg.llm.is_none() || low.is_empty() {
        return Ok(());
    }
    let questions: Vec<serde_json::Value> = low
        .iter()
        .map(|m| {
            json!({
                "source": m.source.join(" > "),
                "candidates": m.candidates.iter().map(|c| c.path.join(" > ")).collect::<Vec<_>>(),
            })
        })
        .collect();
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["suggestions"],
        "properties": {"suggestions": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["source", "target", "reason"],
            "properties": {
                "source": {"type": "string"},
                "target": {"type": "string"},
                "reason": {"type": "string"}
            }
        }}}
    });
    let system =
        "You help migrate an online store. For each source category, pick the best target \
                  category among its candidates, or \"keep\" when none fits. Give a short reason.";
    let user = serde_json::to_string(&questions).unwrap_or_default();
    let Some(answer) = crate::llm::ask_json(
        ctx,
        AGENT,
        "category mapping suggestions",
        system,
        &user,
        &schema,
    )
    .await?
    else {
        return Ok(());
    };
    let suggestions = answer
        .get("suggestions")
        .and_then(|s| s.as_array())
        .cloned()
        .unwrap_or_default();
    for s in suggestions {
        let (Some(source), Some(target)) = (
            s.get("source").and_then(|v| v.as_str()),
            s.get("target").and_then(|v| v.as_str()),
        ) else {
            continue;
        };
        let reason = s.get("reason").and_then(|v| v.as_str()).unwrap_or("");
        if let Some(m) = categories
            .iter_mut()
            .find(|m| m.target.is_none() && m.source.join(" > ") == source)
        {
            m.suggestion = Some(if reason.is_empty() {
                target.to_string()
            } else {
                format!("{target} — {reason}")
            });
        }
    }
    Ok(())
}

/// The mapping in force: source path → target path, operator decisions applied (a path kept
/// as it is, or still undecided, is left out).
pub fn resolved(ctx: &Ctx) -> BTreeMap<Vec<String>, Vec<String>> {
    resolved_at(ctx, ctx.run)
}

/// The mapping run `run` decided (a sync cycle keeps the one of the migration it follows).
pub fn resolved_at(ctx: &Ctx, run: u32) -> BTreeMap<Vec<String>, Vec<String>> {
    let Some(m) = ctx
        .store
        .get_json::<CategoryMapping>(
            crate::store::T::Phases,
            crate::runtime::phase_key(run, PHASE),
        )
        .ok()
        .flatten()
    else {
        return BTreeMap::new();
    };
    resolve(&m, &ctx.store.interventions().unwrap_or_default())
}

fn resolve(m: &CategoryMapping, ivs: &[Intervention]) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut out = BTreeMap::new();
    for p in &m.categories {
        if let Some(t) = &p.target {
            out.insert(p.source.clone(), t.clone());
            continue;
        }
        let Some(id) = &p.intervention else { continue };
        let Some(choice) = ivs
            .iter()
            .find(|i| &i.id == id)
            .and_then(|i| i.decision.as_ref())
        else {
            continue;
        };
        let idx = choice
            .option
            .strip_prefix("candidate_")
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(c) = idx.and_then(|i| p.candidates.get(i.wrapping_sub(1))) {
            out.insert(p.source.clone(), c.path.clone());
        }
    }
    out
}

/// Lines for the report's "Category mapping" section (empty when nothing was mapped).
pub fn report_lines(ctx: &Ctx) -> Vec<String> {
    let Some(m) = ctx.load_phase::<CategoryMapping>(PHASE) else {
        return vec![];
    };
    if m.categories.is_empty() && m.attributes.is_empty() {
        // Only worth a line when the user asked for a mapping.
        return if ctx.cfg.embeddings.is_some() {
            vec![format!("Nothing mapped: {}.", m.method)]
        } else {
            vec![]
        };
    }
    let ivs = ctx.store.interventions().unwrap_or_default();
    let chosen = resolve(&m, &ivs);
    let mut lines = vec![format!(
        "Category mapping onto {} by {}; below similarity {:.2} an operator decided.",
        m.onto, m.method, m.min_confidence
    )];
    for p in &m.categories {
        let src = p.source.join(" > ");
        let line = match (&p.target, chosen.get(&p.source)) {
            (Some(t), _) => format!("{src} → {} (similarity {:.2})", t.join(" > "), p.confidence),
            (None, Some(t)) => format!(
                "{src} → {} (operator's choice; best similarity {:.2})",
                t.join(" > "),
                p.confidence
            ),
            (None, None) => {
                let decided = p
                    .intervention
                    .as_ref()
                    .and_then(|id| ivs.iter().find(|i| &i.id == id))
                    .is_some_and(|i| i.decision.is_some());
                format!(
                    "{src} → kept as it is ({}; best candidate {} at {:.2})",
                    if decided {
                        "operator's choice"
                    } else {
                        "awaiting a decision"
                    },
                    p.candidates
                        .first()
                        .map(|c| c.path.join(" > "))
                        .unwrap_or_default(),
                    p.confidence
                )
            }
        };
        lines.push(line);
    }
    for a in &m.attributes {
        lines.push(match &a.target {
            Some(t) => format!(
                "attribute {} → {t} (similarity {:.2})",
                a.source, a.confidence
            ),
            None => format!(
                "attribute {} kept as it is (best similarity {:.2})",
                a.source, a.confidence
            ),
        });
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn taxonomy_lines_and_errors() {
        let t = parse_taxonomy(
            "# comment\n\nWomen > Knitwear\nMen>Shoes\nattribute: Size\nWomen > Knitwear\n",
            Path::new("tax.txt"),
        )
        .unwrap();
        assert_eq!(
            t.paths,
            vec![
                vec!["Women".to_string(), "Knitwear".into()],
                vec!["Men".into(), "Shoes".into()]
            ]
        );
        assert_eq!(t.attributes, vec!["Size".to_string()]);
        let err =
            parse_taxonomy("Women > Knitwear\nMen >  > Shoes\n", Path::new("tax.txt")).unwrap_err();
        assert!(err.starts_with("tax.txt:2:"), "{err}");
        assert!(parse_taxonomy("attribute:\n", Path::new("t"))
            .unwrap_err()
            .starts_with("t:1:"));
    }

    #[test]
    fn only_leaves_are_mapped() {
        let p = |s: &[&str]| s.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        let all = vec![p(&["A"]), p(&["A", "B"]), p(&["A", "C"]), p(&["D"])];
        assert_eq!(
            leaves(&all),
            vec![p(&["A", "B"]), p(&["A", "C"]), p(&["D"])]
        );
    }
}
