//! SEO Preservation agent. Pre-migration: the URL plan (which source URL patterns become which
//! target patterns). Post-migration: reads the redirects back from where they were written,
//! validates them (no chains, no loops, nothing pointing at a URL the target will not have,
//! every source URL accounted for) and writes them for nginx, Apache and as a plain CSV.

use crate::derived::{fallback_url, redirect_for, WITH_URLS};
use crate::event::AgentKind;
use crate::runtime::{Ctx, Halt};
use crate::store::{entity_prefix, IdMapEntry, T};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;
use storeshift_connectors::model::{Entity, Record, Redirect};
use storeshift_connectors::platform;
use storeshift_connectors::{EndpointKind, EndpointSpec, Finding, Severity};

const AGENT: AgentKind = AgentKind::SeoPreservation;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UrlPlan {
    /// entity → (source pattern, target pattern)
    pub patterns: BTreeMap<Entity, (String, String)>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RedirectValidation {
    /// Source URLs of records touched by this run.
    pub source_urls: u64,
    pub redirects: u64,
    /// URLs that stay the same on the target: nothing to redirect.
    pub unchanged: u64,
    /// Left-out records, redirected to the catalog root.
    pub fallbacks: u64,
    pub chains: Vec<String>,
    pub loops: Vec<String>,
    /// Redirects whose destination the target will not have.
    pub dangling: Vec<String>,
    /// Source URLs with neither a redirect nor an unchanged URL.
    pub unaccounted: Vec<String>,
    /// Where the redirects were read back from.
    pub checked_from: String,
    pub files: Vec<String>,
}

impl RedirectValidation {
    pub fn accounted_pct(&self) -> f64 {
        if self.source_urls == 0 {
            100.0
        } else {
            100.0 * (self.source_urls - self.unaccounted.len() as u64) as f64
                / self.source_urls as f64
        }
    }
    pub fn is_clean(&self) -> bool {
        self.chains.is_empty()
            && self.loops.is_empty()
            && self.dangling.is_empty()
            && self.unaccounted.is_empty()
    }
}

pub async fn prepare(ctx: Ctx) -> Result<(), Halt> {
    ctx.status(AGENT, "running", "building the URL plan", 0, 1)?;
    let (s, t) = (ctx.cfg.source.platform, ctx.cfg.target.platform);
    let mut plan = UrlPlan::default();
    for e in WITH_URLS {
        let parents = if e == Entity::Categories {
            vec!["{parent}".to_string()]
        } else {
            vec![]
        };
        plan.patterns.insert(
            e,
            (
                platform::url_path(s, e, "{slug}", &parents),
                platform::url_path(t, e, "{handle}", &[]),
            ),
        );
    }
    let lines: Vec<String> = plan
        .patterns
        .iter()
        .map(|(e, (a, b))| format!("{e}: {a} → {b}"))
        .collect();
    let mut step = ctx.step();
    step.put_json(
        T::Phases,
        crate::runtime::phase_key(ctx.run, "url_plan"),
        &plan,
    );
    step.agent_status(
        AGENT,
        "waiting",
        format!("URL plan: {}", lines.join("; ")),
        1,
        1,
    );
    ctx.commit(step)
}

pub async fn validate(ctx: Ctx) -> Result<(), Halt> {
    if ctx
        .load_phase::<RedirectValidation>("redirect_validation")
        .is_some()
    {
        return Ok(());
    }
    ctx.status(AGENT, "running", "validating redirects", 0, 1)?;
    let target = ctx.cfg.target.platform;
    // What the target will have: every moved record's URL, plus the catalog root.
    let mut target_urls: HashSet<String> = HashSet::new();
    target_urls.insert(fallback_url(target).to_string());
    let mut expected: Vec<(String, Option<Redirect>)> = vec![];
    let mut v = RedirectValidation::default();
    for entity in WITH_URLS {
        for item in ctx.store.tree(T::IdMap).scan_prefix(entity_prefix(entity)) {
            let (_, val) = item.map_err(|e| Halt::Failed(e.to_string()))?;
            let Ok(entry) = serde_json::from_slice::<IdMapEntry>(&val) else {
                continue;
            };
            if let Some(h) = entry
                .handle
                .as_deref()
                .filter(|_| !entry.target_id.is_empty())
            {
                target_urls.insert(platform::url_path(target, entity, h, &[]));
            }
            if entry.last_run != ctx.run {
                continue;
            }
            if let Some(url) = entry.source_url.clone() {
                v.source_urls += 1;
                if entry.target_id.is_empty() {
                    v.fallbacks += 1;
                }
                expected.push((url, redirect_for(target, entity, &entry)));
            }
        }
    }
    // Read the redirects back from where they went.
    let (written, from) = read_back(&ctx).await;
    v.checked_from = from;
    let written =
        written.unwrap_or_else(|| expected.iter().filter_map(|(_, r)| r.clone()).collect());
    let by_from: HashMap<&str, &str> = written
        .iter()
        .map(|r| (r.from.as_str(), r.to.as_str()))
        .collect();
    v.redirects = written.len() as u64;
    for r in &written {
        if r.from == r.to {
            v.loops.push(r.from.clone());
        } else if by_from.contains_key(r.to.as_str()) {
            v.chains.push(format!(
                "{} → {} → {}",
                r.from,
                r.to,
                by_from[r.to.as_str()]
            ));
        }
        if !target_urls.contains(&r.to) {
            v.dangling.push(format!("{} → {}", r.from, r.to));
        }
    }
    for (url, redirect) in &expected {
        match redirect {
            None => v.unchanged += 1,
            Some(_) if by_from.contains_key(url.as_str()) => {}
            Some(_) => v.unaccounted.push(url.clone()),
        }
    }
    v.files = write_formats(&ctx, &written)?;
    for list in [
        &mut v.chains,
        &mut v.loops,
        &mut v.dangling,
        &mut v.unaccounted,
    ] {
        list.truncate(200);
    }
    let mut step = ctx.step();
    step.put_json(
        T::Phases,
        crate::runtime::phase_key(ctx.run, "redirect_validation"),
        &v,
    );
    let summary = format!(
        "{} source URLs: {} redirects, {} unchanged, {:.1}% accounted for; {} chains, {} loops, {} dangling",
        v.source_urls,
        v.redirects,
        v.unchanged,
        v.accounted_pct(),
        v.chains.len(),
        v.loops.len(),
        v.dangling.len()
    );
    if !v.is_clean() {
        let f = Finding::new(Severity::Warning, "redirect_problems", summary.clone());
        step.finding(AGENT, f);
    }
    step.agent_status(AGENT, "done", summary, 1, 1);
    ctx.commit(step)
}

/// Reads the redirects back from the target (its import files, or its API). `None` when the
/// target keeps no redirects that can be read back.
async fn read_back(ctx: &Ctx) -> (Option<Vec<Redirect>>, String) {
    let spec = match ctx.cfg.target.kind {
        EndpointKind::Files => {
            let mut s = EndpointSpec::files(ctx.cfg.target.platform, ctx.output_dir());
            s.currency = ctx.cfg.target.currency.clone();
            s
        }
        EndpointKind::Api => ctx.target_reader_spec(),
    };
    let mut source = match storeshift_connectors::open_source(&spec, &ctx.cfg.base_dir) {
        Ok(s) => s,
        Err(e) => {
            return (
                None,
                format!("the redirect map (the target cannot be read back: {e})"),
            )
        }
    };
    if !source.entities().contains(&Entity::Redirects) {
        return (
            None,
            "the redirect map (the target has no readable redirects)".into(),
        );
    }
    let mut out = vec![];
    let mut cursor = None;
    loop {
        match source
            .read_page(Entity::Redirects, cursor.as_ref(), 5000)
            .await
        {
            Ok(page) => {
                out.extend(page.records.into_iter().filter_map(|r| match r {
                    Record::Redirect(r) => Some(r),
                    _ => None,
                }));
                match page.next {
                    Some(n) => cursor = Some(n),
                    None => break,
                }
            }
            Err(e) => {
                return (
                    None,
                    format!("the redirect map (reading the target's redirects failed: {e})"),
                )
            }
        }
    }
    (Some(out), source.describe())
}

/// nginx map, Apache rules and a plain CSV next to the target's own redirect import.
fn write_formats(ctx: &Ctx, redirects: &[Redirect]) -> Result<Vec<String>, Halt> {
    let dir = ctx.output_dir().join("redirects");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Halt::Failed(format!("cannot create {}: {e}", dir.display())))?;
    let mut nginx = String::from("# nginx: include inside http {}, then in server {}: if ($storeshift_redirect) { return 301 $storeshift_redirect; }\nmap $request_uri $storeshift_redirect {\n    default \"\";\n");
    let mut apache =
        String::from("# Apache (.htaccess or vhost): permanent redirects from the old store\n");
    let mut csv = String::from("from,to,status\n");
    for r in redirects {
        let _ = writeln!(
            nginx,
            "    {} {};",
            nginx_quote(&r.from),
            nginx_quote(&r.to)
        );
        let _ = writeln!(
            apache,
            "Redirect 301 {} {}",
            apache_quote(&r.from),
            apache_quote(&r.to)
        );
        let _ = writeln!(csv, "{},{},301", csv_field(&r.from), csv_field(&r.to));
    }
    nginx.push_str("}\n");
    let mut files = vec![];
    for (name, body) in [
        ("nginx.map.conf", nginx),
        ("apache.conf", apache),
        ("redirects.csv", csv),
    ] {
        let p = dir.join(name);
        std::fs::write(&p, body)
            .map_err(|e| Halt::Failed(format!("cannot write {}: {e}", p.display())))?;
        files.push(p.display().to_string());
    }
    Ok(files)
}

fn nginx_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn apache_quote(s: &str) -> String {
    if s.contains(' ') || s.contains('"') {
        format!("\"{}\"", s.replace('"', "%22"))
    } else {
        s.to_string()
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}
