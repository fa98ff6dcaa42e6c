//! Customer Communication agent: drafts the notices a move needs (we have moved; set a new
//! password — passwords cannot move between platforms; where your order history is) from the
//! templates shipped in `assets/templates/`, in English and Turkish, filled with the store's
//! facts. Nothing is sent: the drafts are exported for the merchant once an operator approves.

use crate::agents::analysis::Analysis;
use crate::event::{AgentKind, Level};
use crate::intervention::{Intervention, InterventionOption};
use crate::runtime::{Ctx, Halt};
use crate::store::now_rfc3339;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use storeshift_connectors::model::Entity;

const AGENT: AgentKind = AgentKind::CustomerCommunication;
pub const APPROVE_STEP: &str = "premigration/notices";

/// (name, language, template text)
pub const TEMPLATES: [(&str, &str, &str); 6] = [
    (
        "moved",
        "en",
        include_str!("../../../assets/templates/moved.en.md"),
    ),
    (
        "moved",
        "tr",
        include_str!("../../../assets/templates/moved.tr.md"),
    ),
    (
        "password",
        "en",
        include_str!("../../../assets/templates/password.en.md"),
    ),
    (
        "password",
        "tr",
        include_str!("../../../assets/templates/password.tr.md"),
    ),
    (
        "orders",
        "en",
        include_str!("../../../assets/templates/orders.en.md"),
    ),
    (
        "orders",
        "tr",
        include_str!("../../../assets/templates/orders.tr.md"),
    ),
];

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Drafts {
    /// file name → text
    pub files: BTreeMap<String, String>,
    #[serde(default)]
    pub exported_to: Option<String>,
    /// Files the LLM rewrote in the store's voice (the rest are the filled templates).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rewritten: Vec<String>,
}

/// Fills `{{name}}` placeholders; unknown ones stay visible so a reviewer notices them.
pub fn fill(template: &str, facts: &BTreeMap<&str, String>) -> String {
    let mut out = template.to_string();
    for (k, v) in facts {
        out = out.replace(&format!("{{{{{k}}}}}"), v);
    }
    out
}

pub async fn draft(ctx: Ctx) -> Result<(), Halt> {
    if ctx.load_phase::<Drafts>("drafts").is_some() {
        return Ok(());
    }
    ctx.status(
        AGENT,
        "running",
        "drafting customer notices",
        0,
        TEMPLATES.len() as u64,
    )?;
    let analysis: Analysis = ctx.load_phase("analysis").unwrap_or_default();
    let mut facts: BTreeMap<&str, String> = BTreeMap::new();
    facts.insert("store_name", ctx.cfg.name.clone());
    facts.insert(
        "target_platform",
        ctx.cfg.target.platform.display_name().to_string(),
    );
    facts.insert(
        "source_platform",
        ctx.cfg.source.platform.display_name().to_string(),
    );
    facts.insert(
        "store_url",
        ctx.cfg
            .run
            .source_url
            .clone()
            .unwrap_or_else(|| "https://your-store.example".into())
            .trim_end_matches('/')
            .to_string(),
    );
    facts.insert(
        "customer_count",
        analysis
            .counts
            .get(&Entity::Customers)
            .copied()
            .unwrap_or(0)
            .to_string(),
    );
    facts.insert(
        "order_count",
        analysis
            .counts
            .get(&Entity::Orders)
            .copied()
            .unwrap_or(0)
            .to_string(),
    );
    let mut drafts = Drafts::default();
    let moving_customers = analysis
        .counts
        .get(&Entity::Customers)
        .copied()
        .unwrap_or(0)
        > 0;
    for (name, lang, text) in TEMPLATES {
        if !moving_customers && name != "moved" {
            continue;
        }
        drafts
            .files
            .insert(format!("{name}.{lang}.md"), fill(text, &facts));
    }
    rewrite(&ctx, &mut drafts, &facts).await?;
    let mut step = ctx.step();
    step.put_json(
        crate::store::T::Phases,
        crate::runtime::phase_key(ctx.run, "drafts"),
        &drafts,
    );
    step.agent_status(
        AGENT,
        "waiting",
        format!(
            "{} notices drafted (English, Turkish); awaiting approval",
            drafts.files.len()
        ),
        drafts.files.len() as u64,
        drafts.files.len() as u64,
    );
    let names: Vec<&str> = drafts.files.keys().map(String::as_str).collect();
    let iv = Intervention {
        id: Intervention::make_id(ctx.run, APPROVE_STEP, "notices"),
        run: ctx.run,
        step: APPROVE_STEP.into(),
        item: "notices".into(),
        title: format!("Approve {} customer notice drafts", drafts.files.len()),
        problem: format!(
            "Drafts: {}.{} Nothing is sent by storeshift; approved drafts are exported to the workspace's drafts/ folder for the merchant.",
            names.join(", "),
            if drafts.rewritten.is_empty() {
                String::new()
            } else {
                format!(" Rewritten in the store's voice by the LLM (review them): {}.", drafts.rewritten.join(", "))
            }
        ),
        records: vec![],
        options: vec![
            InterventionOption { key: "approve".into(), label: "Approve and export the drafts".into(), consequence: "The drafts are written to drafts/ for the merchant to send.".into() },
            InterventionOption { key: "discard".into(), label: "Discard the drafts".into(), consequence: "No notices are exported; the migration goes on.".into() },
        ],
        recommended: "approve".into(),
        raised_at: now_rfc3339(),
        detail: None,
        decision: None,
    };
    ctx.raise(&mut step, iv)?;
    ctx.commit(step)
}

/// With an LLM, rewrites each draft in the store's voice. A rewrite that loses a fact the
/// template stated (store name, links, counts) is not used: the filled template stays.
async fn rewrite(
    ctx: &Ctx,
    drafts: &mut Drafts,
    facts: &BTreeMap<&str, String>,
) -> Result<(), Halt> {
    if ctx.cfg.llm.is_none() {
        return Ok(());
    }
    let schema = serde_json::json!({
        "type": "object",
        "additionalProperties": false,
        "required": ["text"],
        "properties": {"text": {"type": "string"}}
    });
    let system = "You rewrite a customer notice of an online store in the store's own voice: warm, \
                  short, plain. Keep the language of the notice, every fact, link and number, and the \
                  Markdown structure. Invent nothing. Answer with the rewritten notice as `text`.";
    let keep: Vec<&String> = ["store_name", "store_url", "target_platform"]
        .iter()
        .filter_map(|k| facts.get(k))
        .collect();
    let names: Vec<String> = drafts.files.keys().cloned().collect();
    for name in names {
        let Some(original) = drafts.files.get(&name).cloned() else {
            continue;
        };
        let user = format!(
            "Store: {}\nNotice ({name}):\n\n{original}",
            facts.get("store_name").cloned().unwrap_or_default()
        );
        let purpose = format!("notice rewrite {name}");
        let Some(answer) =
            crate::llm::ask_json(ctx, AGENT, &purpose, system, &user, &schema).await?
        else {
            continue;
        };
        let Some(text) = answer
            .get("text")
            .and_then(|t| t.as_str())
            .map(str::trim)
            .filter(|t| !t.is_empty())
        else {
            continue;
        };
        let lost: Vec<&str> = keep
            .iter()
            .filter(|f| original.contains(f.as_str()) && !text.contains(f.as_str()))
            .map(|f| f.as_str())
            .collect();
        if !lost.is_empty() {
            ctx.log(
                AGENT,
                Level::Warn,
                format!(
                    "the LLM rewrite of {name} dropped {}; the template text is kept",
                    lost.join(", ")
                ),
            )?;
            continue;
        }
        drafts.files.insert(name.clone(), format!("{text}\n"));
        drafts.rewritten.push(name);
    }
    Ok(())
}

/// Post-migration: exports approved drafts.
pub async fn finalize(ctx: Ctx) -> Result<(), Halt> {
    let Some(mut drafts) = ctx.load_phase::<Drafts>("drafts") else {
        return Ok(());
    };
    if drafts.exported_to.is_some() {
        return Ok(());
    }
    let approved = ctx.decisions().get(APPROVE_STEP).map(String::as_str) == Some("approve");
    if !approved {
        return ctx.status(AGENT, "done", "drafts discarded by the operator", 0, 0);
    }
    let dir = ctx.ws.drafts().join(format!("run-{}", ctx.run));
    std::fs::create_dir_all(&dir)
        .map_err(|e| Halt::Failed(format!("cannot create {}: {e}", dir.display())))?;
    for (name, text) in &drafts.files {
        let p = dir.join(name);
        std::fs::write(&p, text)
            .map_err(|e| Halt::Failed(format!("cannot write {}: {e}", p.display())))?;
    }
    drafts.exported_to = Some(dir.display().to_string());
    ctx.save_phase("drafts", &drafts)?;
    ctx.status(
        AGENT,
        "done",
        format!(
            "{} drafts exported to {}",
            drafts.files.len(),
            dir.display()
        ),
        1,
        1,
    )
}
