//! Customers without an email in a run whose target needs one: the assessment raises one
//! intervention for all of them; the transform applies the decision record by record; what
//! became of each is counted with the batch that moved it, and those left for the store owner
//! are kept in the state with their batch, so the owner's CSV can be written again, whole and
//! the same, however often the run stopped on the way.

use crate::intervention::Intervention;
use crate::runtime::{Ctx, Halt};
use crate::store::T;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use storeshift_connectors::model::Customer;
use storeshift_connectors::no_email;

/// The assessment finding (and intervention) for customers without an email.
pub const CODE: &str = "customer_without_email";

/// The intervention's step: decisions are looked up by it.
pub fn step() -> String {
    format!("assessment/{CODE}")
}

/// Options of the intervention, by key.
pub const OWNER_FILE: &str = "owner_file";
pub const SKIP: &str = "skip";
pub const DOMAIN: &str = "domain";

/// What became of one customer, as counted in the customers' checkpoint (`outcomes`).
#[derive(Debug, Clone, PartialEq)]
pub enum Done {
    /// Left out and listed in the report (by this label).
    Skipped(String),
    /// Given this address on the operator's domain.
    Addressed(String),
    /// Left out and kept for the store owner's file.
    ToOwner(Box<Customer>),
}

impl Done {
    /// The key counted in [`crate::store::EntityCheckpoint::outcomes`].
    pub fn outcome(&self) -> &'static str {
        match self {
            Done::Skipped(_) => OUTCOME_SKIPPED,
            Done::Addressed(_) => OUTCOME_ADDRESSED,
            Done::ToOwner(_) => OUTCOME_OWNER,
        }
    }
}

pub const OUTCOME_SKIPPED: &str = "without_email_skipped";
pub const OUTCOME_ADDRESSED: &str = "without_email_address_created";
pub const OUTCOME_OWNER: &str = "without_email_owner_file";

fn owner_prefix(run: u32) -> Vec<u8> {
    format!("{run:08}/no_email/").into_bytes()
}

fn skipped_prefix(run: u32) -> Vec<u8> {
    format!("{run:08}/no_email_skipped/").into_bytes()
}

/// Where a customer kept for the store owner's file waits in the state.
pub fn owner_key(run: u32, source_id: &str) -> Vec<u8> {
    let mut k = owner_prefix(run);
    k.extend_from_slice(source_id.as_bytes());
    k
}

/// Where the label of a customer left out is kept for the report's list.
pub fn skipped_key(run: u32, source_id: &str) -> Vec<u8> {
    let mut k = skipped_prefix(run);
    k.extend_from_slice(source_id.as_bytes());
    k
}

/// Customers listed by name in the report when they were left out.
const LISTED: usize = 200;

/// What became of a run's customers without an email, for the report.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// The option decided (`owner_file`, `skip`, `domain`).
    pub decision: Option<String>,
    pub domain: Option<String>,
    pub skipped: u64,
    /// The first of those left out, by label (name or phone) and source id.
    pub skipped_listed: Vec<String>,
    pub addressed: u64,
    pub owner_file: u64,
    /// Where the store owner's file is, when there is one.
    pub owner_path: Option<String>,
}

impl Summary {
    pub fn total(&self) -> u64 {
        self.skipped + self.addressed + self.owner_file
    }
}

/// The run's customers without an email, from the customers' checkpoint and the decision;
/// `None` when there were none the target needed an email for.
pub fn summary(ctx: &Ctx) -> Option<Summary> {
    let cp = ctx.checkpoint(storeshift_connectors::model::Entity::Customers);
    let n = |k: &str| cp.outcomes.get(k).copied().unwrap_or(0);
    let mut s = Summary {
        skipped: n(OUTCOME_SKIPPED),
        addressed: n(OUTCOME_ADDRESSED),
        owner_file: n(OUTCOME_OWNER),
        ..Summary::default()
    };
    if s.total() == 0 {
        return None;
    }
    s.decision = ctx.decisions().get(&step()).cloned();
    s.domain = ctx.decision_notes().get(&step()).cloned();
    s.skipped_listed = ctx
        .store
        .scan_json::<String>(T::Phases, skipped_prefix(ctx.run))
        .unwrap_or_default()
        .into_iter()
        .take(LISTED)
        .map(|(k, label)| {
            let id = String::from_utf8_lossy(&k[skipped_prefix(ctx.run).len()..]).into_owned();
            format!("{label} (source {id})")
        })
        .collect();
    let path = ctx.output_dir().join(no_email::OWNER_FILE);
    if s.owner_file > 0 && path.is_file() {
        s.owner_path = Some(path.display().to_string());
    }
    Some(s)
}

/// Checks a decision's note where the option needs one; gives the note as it will be used.
pub fn check_decision(
    iv: &Intervention,
    option: &str,
    note: Option<String>,
) -> Result<Option<String>, String> {
    if iv.step != step() || option != DOMAIN {
        return Ok(note);
    }
    match note.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(domain) => no_email::valid_domain(domain).map(Some),
        None => Err(format!(
            "option {DOMAIN} needs the domain the addresses are made on: `storeshift decide WS {} \
             {DOMAIN}:shop.example` (or `--note shop.example`; in the console, type it as the note)",
            iv.id
        )),
    }
}

/// Writes the store owner's CSV of the customers this run left for them, from the state (the
/// same file whether the run went through at once or was stopped and resumed); `None` when
/// there were none.
pub fn write_owner_file(ctx: &Ctx) -> Result<Option<PathBuf>, Halt> {
    let kept: Vec<(Vec<u8>, Customer)> = ctx
        .store
        .scan_json(T::Phases, owner_prefix(ctx.run))
        .map_err(|e| Halt::Failed(format!("reading the customers without an email: {e}")))?;
    if kept.is_empty() {
        return Ok(None);
    }
    let target = ctx.cfg.target.platform;
    let mut bytes = no_email::owner_header();
    for (_, c) in &kept {
        no_email::owner_row(
            c,
            &format!(
                "no email, and {target} needs one: ask the customer for an email, then import them"
            ),
            &mut bytes,
        );
    }
    let dir = ctx.output_dir();
    let path = dir.join(no_email::OWNER_FILE);
    std::fs::create_dir_all(&dir)
        .and_then(|_| std::fs::write(&path, bytes))
        .map_err(|e| Halt::Failed(format!("cannot write {}: {e}", path.display())))?;
    Ok(Some(path))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::intervention::{Actor, InterventionOption};
    use crate::store::Store;

    fn intervention() -> Intervention {
        let opt = |k: &str| InterventionOption {
            key: k.into(),
            label: k.into(),
            consequence: String::new(),
        };
        Intervention {
            id: Intervention::make_id(1, &step(), CODE),
            run: 1,
            step: step(),
            item: CODE.into(),
            title: "customers without an email".into(),
            problem: String::new(),
            records: vec![],
            options: vec![opt(OWNER_FILE), opt(SKIP), opt(DOMAIN)],
            recommended: OWNER_FILE.into(),
            raised_at: String::new(),
            decision: None,
            detail: None,
        }
    }

    #[test]
    fn the_domain_option_takes_its_domain_as_the_note_or_after_a_colon() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s")).unwrap();
        let iv = intervention();
        let mut step = crate::store::Step::new(1);
        step.put_json(T::Interventions, &iv.id, &iv);
        store.commit(step).unwrap();
        let by = Actor::current("cli");
        let decide = |option: &str, note: Option<&str>| {
            crate::runtime::record_decision(
                &store,
                1,
                &iv.id,
                option,
                note.map(str::to_string),
                by.clone(),
            )
        };
        let err = decide(DOMAIN, None).unwrap_err();
        assert!(err.contains("domain:shop.example"), "{err}");
        let err = decide("domain:", None).unwrap_err();
        assert!(err.contains("domain:shop.example"), "{err}");
        let err = decide(DOMAIN, Some("not a domain")).unwrap_err();
        assert!(err.contains("not a domain"), "{err}");
        let err = decide("drop", None).unwrap_err();
        assert!(err.contains("no option \"drop\""), "{err}");
        let events = decide("domain:Shop.Example", None).unwrap();
        let d = store
            .intervention(&iv.id)
            .unwrap()
            .unwrap()
            .decision
            .unwrap();
        assert_eq!(
            (d.option.as_str(), d.note.as_deref()),
            (DOMAIN, Some("shop.example"))
        );
        // The event log carries the domain, so a recovered state decides the same.
        assert!(events.iter().any(|e| matches!(&e.kind,
            crate::event::EventKind::InterventionDecided { option, .. } if option == "domain:shop.example")));
    }
}
