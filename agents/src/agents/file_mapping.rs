//! File mapping (Assessment, before anything is read): a source file whose layout storeshift
//! does not know (and that the config's `mapping` does not cover) gets a proposed column
//! mapping, and becomes an intervention whose detail is that proposal: each column with sample
//! values, the field proposed, the confidence and the reason. The operator accepts it, edits
//! it (a column's field, or "keep as attribute"; the console's column editor or `storeshift
//! decide ... edited --mapping FILE.toml`), or leaves the file out.
//!
//! The proposal comes from the rules in `storeshift_connectors::files::mapping::propose`; an
//! embedding server (`[embeddings]`) and an LLM (`[llm]`, journaled like every LLM answer) add
//! hints when they are configured. The proposals are saved as the step's phase before any
//! question is raised, and the decision (the mapping in force) is journaled with the
//! intervention, so a resumed run reads every file exactly as decided and asks nothing twice.

use crate::config::{EmbeddingConfig, InterventionPolicy, LlmConfig};
use crate::embed::{self, Embedder, Side};
use crate::event::{AgentKind, Level};
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{Ctx, Halt};
use crate::store::now_rfc3339;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::Duration;
use storeshift_connectors::files::mapping::open::{
    as_written, candidates, mappings_of, native_entity, section_for,
};
use storeshift_connectors::files::mapping::propose::{propose, Hint, Sampled};
use storeshift_connectors::files::mapping::{ColumnMap, Decided, Field, FileMapping, Target};
use storeshift_connectors::files::table::TableFile;
use storeshift_connectors::files::woocommerce::l10n;
use storeshift_connectors::model::{Entity, Platform};
use storeshift_connectors::EndpointKind;

const AGENT: AgentKind = AgentKind::DataAnalysis;
pub const STEP: &str = "assessment/file_mapping";
const PHASE: &str = "file_mappings";
/// Read the file with the proposed mapping.
pub const ACCEPT: &str = "accept";
/// Read it with the mapping given with the decision.
pub const EDITED: &str = "edited";
/// Leave the file out.
pub const SKIP: &str = "skip";

/// One column of a proposal, as the console shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProposedColumn {
    pub column: String,
    /// The target as a mapping file writes it (`product.title`, `option`, `attribute`, ...).
    pub target: String,
    pub confidence: f32,
    pub reason: String,
    #[serde(default)]
    pub samples: Vec<String>,
}

/// A file's proposed mapping: the intervention's detail and the step's saved state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileProposal {
    /// The file as the run reads it.
    pub file: PathBuf,
    pub name: String,
    pub entity: Entity,
    pub layout: Platform,
    /// Why this entity and layout.
    pub why: String,
    /// Rows looked at.
    pub rows: usize,
    pub columns: Vec<ProposedColumn>,
    /// Why the proposal cannot be read as it is (no column for the title, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// How it was proposed: rules, plus embeddings and an LLM when they answered.
    pub method: String,
    pub min_confidence: f32,
    pub intervention: String,
}

impl FileProposal {
    /// The proposal read from an intervention's detail.
    pub fn from_detail(v: &Value) -> Option<FileProposal> {
        serde_json::from_value(v.clone()).ok()
    }

    /// The mapping it proposes, with `edits` (column → target key) applied.
    pub fn mapping_with(&self, edits: &[(String, String)]) -> Result<FileMapping, String> {
        let mut columns = vec![];
        for c in &self.columns {
            let key = edits
                .iter()
                .find(|(col, _)| *col == c.column)
                .map(|(_, k)| k.as_str())
                .unwrap_or(&c.target);
            let mut m = ColumnMap::new(
                c.column.clone(),
                Target::parse(key).map_err(|e| format!("column \"{}\": {e}", c.column))?,
            );
            m.confidence = Some(c.confidence);
            m.reason = Some(c.reason.clone());
            m.samples = c.samples.clone();
            columns.push(m);
        }
        Ok(FileMapping {
            file: Some(self.name.clone()),
            entity: self.entity,
            layout: self.layout,
            columns,
        })
    }

    pub fn mapping(&self) -> Result<FileMapping, String> {
        self.mapping_with(&[])
    }

    /// The columns whose confidence is under `min`.
    pub fn unsure(&self, min: f32) -> Vec<&ProposedColumn> {
        self.columns.iter().filter(|c| c.confidence < min).collect()
    }
}

/// What an operator may map a column of `entity` to, in the order the console offers them.
pub fn choices(entity: Entity) -> Vec<String> {
    let mut v: Vec<String> = Field::ALL
        .iter()
        .filter(|f| f.fits(entity))
        .map(|f| f.key().to_string())
        .collect();
    if entity == Entity::Products {
        v.push("option".into());
    }
    v.push("attribute".into());
    v.push("ignore".into());
    v
}

/// A label for a target key: "product name (product.title)".
pub fn describe_target(key: &str) -> String {
    Target::parse(key)
        .map(|t| t.describe())
        .unwrap_or_else(|_| key.to_string())
}

/// The decision value for an edited mapping, from a mapping file with one `[[file]]`.
pub fn value_from_file(path: &Path) -> Result<Value, String> {
    let files =
        storeshift_connectors::files::mapping::file::read(path).map_err(|e| e.to_string())?;
    let [m] = files.as_slice() else {
        return Err(format!(
            "{} holds {} [[file]] tables; give the edited mapping of this one file",
            path.display(),
            files.len()
        ));
    };
    let name = m.file.clone().unwrap_or_default();
    serde_json::to_value(m.to_decided(&name)).map_err(|e| e.to_string())
}

/// The decision value for a proposal edited column by column.
pub fn edited_value(p: &FileProposal, edits: &[(String, String)]) -> Result<Value, String> {
    let m = p.mapping_with(edits)?;
    serde_json::to_value(m.to_decided(&p.name)).map_err(|e| e.to_string())
}

/// Checks a decision on a file-mapping intervention before it is recorded: `edited` needs the
/// mapping, and the mapping must be for the file's columns and read as a mapping.
pub fn check_decision(
    iv: &Intervention,
    option: &str,
    value: Option<&Value>,
) -> Result<(), String> {
    if iv.step != STEP {
        return Ok(());
    }
    let Some(p) = iv.detail.as_ref().and_then(FileProposal::from_detail) else {
        return Ok(());
    };
    match (option, value) {
        (EDITED, None) => Err(format!(
            "option {EDITED} takes the edited mapping: storeshift decide WS {} {EDITED} --mapping FILE.toml \
             (write one with storeshift inspect --write-mapping FILE.toml {})",
            iv.id,
            p.file.display()
        )),
        (EDITED, Some(v)) => {
            let d: Decided = serde_json::from_value(v.clone())
                .map_err(|e| format!("the edited mapping is not readable: {e}"))?;
            let m = FileMapping::from_decided(&d)?;
            let header: Vec<String> = p.columns.iter().map(|c| c.column.clone()).collect();
            m.resolve(&header, "the edited mapping")
                .map(|_| ())
                .map_err(|e| format!("{}: {e}", p.name))
        }
        (ACCEPT, _) => match &p.problem {
            Some(problem) => Err(format!(
                "the proposal for {} cannot be read as it is ({problem}); decide {EDITED} with a corrected \
                 mapping, or {SKIP}",
                p.name
            )),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// The mappings decided in this run, each for its file.
pub fn decided(ctx: &Ctx) -> Vec<FileMapping> {
    let Some(proposals) = ctx.load_phase::<Vec<FileProposal>>(PHASE) else {
        return vec![];
    };
    let ivs = ctx.store.interventions().unwrap_or_default();
    proposals
        .iter()
        .filter_map(|p| {
            let d = ivs
                .iter()
                .find(|i| i.id == p.intervention)
                .and_then(|i| i.decision.as_ref())?;
            match d.option.as_str() {
                ACCEPT => p.mapping().ok(),
                EDITED => d
                    .value
                    .as_ref()
                    .and_then(|v| serde_json::from_value::<Decided>(v.clone()).ok())
                    .and_then(|d| FileMapping::from_decided(&d).ok())
                    .map(|mut m| {
                        m.file = Some(p.name.clone());
                        m
                    }),
                _ => None,
            }
        })
        .collect()
}

/// Raises the file-mapping interventions (once per run) and waits for their decisions.
pub async fn settle(ctx: &Ctx) -> Result<(), Halt> {
    if ctx.cfg.source.kind != EndpointKind::Files {
        return Ok(());
    }
    let proposals = match ctx.load_phase::<Vec<FileProposal>>(PHASE) {
        Some(p) => p,
        None => {
            let p = propose_all(ctx).await?;
            let mut step = ctx.step();
            step.put_json(
                crate::store::T::Phases,
                crate::runtime::phase_key(ctx.run, PHASE),
                &p,
            );
            for proposal in &p {
                ctx.raise(&mut step, intervention(ctx, proposal))?;
            }
            ctx.commit(step)?;
            p
        }
    };
    if proposals.is_empty() {
        return Ok(());
    }
    if ctx.policy == InterventionPolicy::Recommended {
        // Unattended, a proposal is taken only when every column is sure enough.
        let min = ctx.cfg.run.mapping_min_confidence;
        let ivs = ctx.store.interventions().unwrap_or_default();
        for p in &proposals {
            let pending = ivs.iter().any(|i| i.id == p.intervention && i.is_pending());
            let unsure = p.unsure(min);
            if pending && p.problem.is_none() && !unsure.is_empty() {
                ctx.log(
                    AGENT,
                    Level::Warn,
                    format!(
                        "{}: columns {} are mapped with a confidence under {min:.2}; decide intervention {} \
                         (storeshift decide WS {} accept, or edited --mapping FILE.toml)",
                        p.name,
                        unsure
                            .iter()
                            .map(|c| format!("\"{}\" ({:.2})", c.column, c.confidence))
                            .collect::<Vec<_>>()
                            .join(", "),
                        p.intervention,
                        p.intervention
                    ),
                )?;
                return Err(Halt::NeedsOperator);
            }
        }
    }
    ctx.await_decisions(STEP).await
}

fn opt(key: &str, label: &str, consequence: String) -> InterventionOption {
    InterventionOption {
        key: key.into(),
        label: label.into(),
        consequence,
    }
}

fn intervention(ctx: &Ctx, p: &FileProposal) -> Intervention {
    let count =
        |pred: &dyn Fn(&ProposedColumn) -> bool| p.columns.iter().filter(|c| pred(c)).count();
    let fields = count(&|c| Field::parse(&c.target).is_some());
    let options = count(&|c| c.target.starts_with("option"));
    let kept = count(&|c| c.target == "attribute");
    let ignored = count(&|c| c.target == "ignore");
    let lowest = p
        .columns
        .iter()
        .min_by(|a, b| a.confidence.total_cmp(&b.confidence))
        .map(|c| format!("; lowest confidence {:.2} (\"{}\")", c.confidence, c.column))
        .unwrap_or_default();
    let problem = format!(
        "{} is not an export file storeshift knows. Proposed by {}: {}. {fields} of {} columns go to \
         fields, {options} are options, {kept} are kept as attributes, {ignored} are left out{lowest}.{}",
        p.name,
        p.method,
        p.why,
        p.columns.len(),
        p.problem
            .as_ref()
            .map(|e| format!(" As proposed it cannot be read: {e}."))
            .unwrap_or_default()
    );
    Intervention {
        id: p.intervention.clone(),
        run: ctx.run,
        step: STEP.into(),
        item: p.name.clone(),
        title: format!(
            "Map the columns of {} ({} as {} {})",
            p.name,
            p.entity,
            p.layout,
            if p.problem.is_some() { "— incomplete" } else { "rows" }
        ),
        problem,
        records: vec![],
        options: vec![
            opt(
                ACCEPT,
                "Accept the proposed mapping",
                format!(
                    "{} is read as a {} {} file with the columns mapped as shown; what is kept as an attribute \
                     or left out is listed in the report.",
                    p.name, p.layout, p.entity
                ),
            ),
            opt(
                EDITED,
                "Use an edited mapping",
                "The file is read with the mapping given with the decision (the console's column editor, or \
                 storeshift decide ... edited --mapping FILE.toml)."
                    .to_string(),
            ),
            opt(
                SKIP,
                "Leave this file out",
                format!("Nothing in {} is migrated; the report says so.", p.name),
            ),
        ],
        recommended: if p.problem.is_some() { SKIP } else { ACCEPT }.into(),
        raised_at: now_rfc3339(),
        detail: serde_json::to_value(p).ok(),
        decision: None,
    }
}

/// Proposes a mapping for every source file nothing else reads.
async fn propose_all(ctx: &Ctx) -> Result<Vec<FileProposal>, Halt> {
    let spec = &ctx.cfg.source;
    let base = &ctx.cfg.base_dir;
    let configured = mappings_of(spec, base, &[])
        .map_err(|e| Halt::Failed(e.to_string()))?
        .into_iter()
        .map(|(m, _)| m)
        .collect::<Vec<_>>();
    let encoding = spec.encoding.as_deref();
    let mut out = vec![];
    for path in candidates(spec, base) {
        let Ok(header) =
            as_written(|| TableFile::open(&path, encoding).map(|t| t.header().names().to_vec()))
        else {
            continue;
        };
        let native = native_entity(spec.platform, &path, encoding).is_some();
        let localized =
            !native && spec.platform == Platform::WooCommerce && l10n::translate(&header).is_some();
        if native || localized || section_for(&configured, &path, &header, native).is_some() {
            continue;
        }
        let Ok(sample) = Sampled::of(&path, encoding) else {
            continue;
        };
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        ctx.status(
            AGENT,
            "running",
            format!("proposing a column mapping for {name}"),
            0,
            0,
        )?;
        let rules = propose(&sample, Some(&name), &[]);
        let (hints, mut method) = hints_for(ctx, &sample, rules.mapping.entity).await?;
        let p = if hints.is_empty() {
            rules
        } else {
            propose(&sample, Some(&name), &hints)
        };
        if method.is_empty() {
            method = "rules".into();
        }
        let problem = p.mapping.resolve(&header, "the proposal").err();
        let columns = p
            .mapping
            .columns
            .iter()
            .map(|c| ProposedColumn {
                column: c.column.clone(),
                target: c.target.key(),
                confidence: c.confidence.unwrap_or(1.0),
                reason: c.reason.clone().unwrap_or_default(),
                samples: c.samples.clone(),
            })
            .collect();
        out.push(FileProposal {
            intervention: Intervention::make_id(ctx.run, STEP, &name),
            file: path.clone(),
            name,
            entity: p.mapping.entity,
            layout: p.mapping.layout,
            why: p.why.clone(),
            rows: p.rows,
            columns,
            problem,
            method,
            min_confidence: p.mapping.min_confidence(),
        });
    }
    Ok(out)
}

/// Hints from the configured embedding server and LLM (journaled), and how they were got.
async fn hints_for(ctx: &Ctx, s: &Sampled, entity: Entity) -> Result<(Vec<Hint>, String), Halt> {
    let mut hints = vec![];
    let mut method = vec!["rules".to_string()];
    let timeout = Duration::from_secs(ctx.cfg.llm.as_ref().map(|l| l.timeout_secs).unwrap_or(60));
    if let Some(cfg) = &ctx.cfg.embeddings {
        match embedding_hints(cfg, timeout, s, entity).await {
            Ok((h, model)) => {
                hints.extend(h);
                method.push(format!("embeddings ({model})"));
            }
            Err(why) => ctx.log(
                AGENT,
                Level::Warn,
                format!("column mapping without embeddings: {why}"),
            )?,
        }
    }
    if let Some(llm) = &ctx.cfg.llm {
        let (system, user, schema) = llm_question(s, entity);
        if let Some(answer) = crate::llm::ask_json(
            ctx,
            AGENT,
            "column mapping suggestions",
            &system,
            &user,
            &schema,
        )
        .await?
        {
            hints.extend(llm_hints(s, &answer, &llm.model));
            method.push(format!("LLM suggestions ({})", llm.model));
        }
    }
    Ok((hints, method.join(" + ")))
}

/// How a column is shown to the embedding model: its name and a few values.
fn column_text(name: &str, samples: &[String]) -> String {
    if samples.is_empty() {
        name.to_string()
    } else {
        format!("{name}: {}", samples.join(", "))
    }
}

/// Hints from an embedding model: each column's name and values against each field's name.
/// e5-family models score related short labels from about 0.88 up, unrelated ones around 0.80.
pub async fn embedding_hints(
    cfg: &EmbeddingConfig,
    timeout: Duration,
    s: &Sampled,
    entity: Entity,
) -> Result<(Vec<Hint>, String), String> {
    let Some(e) = Embedder::new(cfg, timeout)? else {
        return Err("no embedding server configured".into());
    };
    let fields: Vec<Field> = Field::ALL
        .iter()
        .copied()
        .filter(|f| f.fits(entity))
        .collect();
    let labels: Vec<String> = fields
        .iter()
        .map(|f| format!("{} of a {}", f.label(), singular(entity)))
        .collect();
    let cols: Vec<String> = s
        .header
        .iter()
        .zip(&s.columns)
        .map(|(h, o)| column_text(h, &o.samples(3)))
        .collect();
    let cv = e.embed(&cols, Side::Query).await?;
    let fv = e.embed(&labels, Side::Query).await?;
    let floor = cfg.min_confidence.min(0.95);
    let mut hints = vec![];
    for (i, c) in cv.iter().enumerate() {
        let best = fv
            .iter()
            .enumerate()
            .map(|(k, f)| (embed::cosine(c, f), k))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((sim, k)) = best {
            if sim >= floor {
                hints.push(Hint {
                    column: i,
                    target: Target::Field(fields[k]),
                    score: (0.6 + (sim - floor) * 3.0).clamp(0.0, 0.9),
                    reason: format!(
                        "embedding similarity {sim:.2} to \"{}\" ({})",
                        fields[k].label(),
                        e.model()
                    ),
                });
            }
        }
    }
    Ok((hints, e.model().to_string()))
}

fn singular(e: Entity) -> &'static str {
    match e {
        Entity::Products => "product",
        Entity::Customers => "customer",
        Entity::Orders => "order",
        _ => "record",
    }
}

/// The LLM question for a file's columns: system prompt, user message, answer schema.
pub fn llm_question(s: &Sampled, entity: Entity) -> (String, String, Value) {
    let fields: Vec<Value> = Field::ALL
        .iter()
        .filter(|f| f.fits(entity))
        .map(|f| json!({"field": f.key(), "meaning": f.label()}))
        .collect();
    let columns: Vec<Value> = s
        .header
        .iter()
        .zip(&s.columns)
        .map(|(h, o)| json!({"column": h, "samples": o.samples(3)}))
        .collect();
    let system = format!(
        "You map the columns of an online store's {} export file onto canonical fields. For each column \
         answer the field it holds, or \"none\" when no field fits, with a short reason. Use only the \
         fields listed.",
        singular(entity)
    );
    let user =
        serde_json::to_string(&json!({"fields": fields, "columns": columns})).unwrap_or_default();
    let schema = json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["columns"],
        "properties": {"columns": {"type": "array", "items": {
            "type": "object",
            "additionalProperties": false,
            "required": ["column", "field", "reason"],
            "properties": {
                "column": {"type": "string"},
                "field": {"type": "string"},
                "reason": {"type": "string"}
            }
        }}}
    });
    (system, user, schema)
}

/// Hints from an LLM's answer to [`llm_question`]; unknown columns and fields are dropped.
pub fn llm_hints(s: &Sampled, answer: &Value, model: &str) -> Vec<Hint> {
    let mut out = vec![];
    for item in answer
        .get("columns")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let (Some(col), Some(field)) = (
            item.get("column").and_then(Value::as_str),
            item.get("field").and_then(Value::as_str),
        ) else {
            continue;
        };
        let Some(i) = s.header.iter().position(|h| h == col) else {
            continue;
        };
        let Some(f) = Field::parse(field) else {
            continue;
        };
        let reason = item.get("reason").and_then(Value::as_str).unwrap_or("");
        out.push(Hint {
            column: i,
            target: Target::Field(f),
            score: 0.7,
            reason: format!("LLM ({model}): {reason}"),
        });
    }
    out
}

/// Hints for `inspect` (no run, so nothing is journaled): embeddings and the LLM of a config,
/// and notes on what answered.
pub async fn hints_without_run(
    embeddings: Option<&EmbeddingConfig>,
    llm: Option<&LlmConfig>,
    s: &Sampled,
    entity: Entity,
) -> (Vec<Hint>, Vec<String>) {
    let mut hints = vec![];
    let mut notes = vec![];
    let timeout = Duration::from_secs(llm.map(|l| l.timeout_secs).unwrap_or(60));
    if let Some(cfg) = embeddings {
        match embedding_hints(cfg, timeout, s, entity).await {
            Ok((h, model)) => {
                notes.push(format!("embeddings ({model}): {} hint(s)", h.len()));
                hints.extend(h);
            }
            Err(e) => notes.push(format!("embeddings not used: {e}")),
        }
    }
    if let Some(cfg) = llm {
        match crate::llm::Llm::new(cfg) {
            Ok(client) => {
                let (system, user, schema) = llm_question(s, entity);
                let (answer, _, failure, _, _) = client.ask(&system, &user, &schema).await;
                match answer {
                    Some(a) => {
                        let h = llm_hints(s, &a, &cfg.model);
                        notes.push(format!("LLM ({}): {} suggestion(s)", cfg.model, h.len()));
                        hints.extend(h);
                    }
                    None => notes.push(format!(
                        "LLM not used: {}",
                        failure.unwrap_or_else(|| "no answer".into())
                    )),
                }
            }
            Err(e) => notes.push(format!("LLM not used: {e}")),
        }
    }
    (hints, notes)
}

/// Lines for the report's "Column mappings" section.
pub fn report_lines(ctx: &Ctx) -> Vec<String> {
    let Some(proposals) = ctx.load_phase::<Vec<FileProposal>>(PHASE) else {
        return vec![];
    };
    let ivs = ctx.store.interventions().unwrap_or_default();
    let mut lines = vec![];
    for p in proposals {
        let decision = ivs
            .iter()
            .find(|i| i.id == p.intervention)
            .and_then(|i| i.decision.as_ref());
        let how = match decision.map(|d| d.option.as_str()) {
            Some(ACCEPT) => format!("read as proposed ({})", p.method),
            Some(EDITED) => "read with the operator's edited mapping".to_string(),
            Some(SKIP) => "left out by decision".to_string(),
            _ => "awaiting a decision".to_string(),
        };
        let who = decision
            .map(|d| format!(" — {} at {}", d.by.describe(), d.at))
            .unwrap_or_default();
        lines.push(format!(
            "{}: {} as a {} {} file, {how}{who}",
            p.name, p.entity, p.layout, p.entity
        ));
    }
    lines
}
