//! `storeshift inspect` and `storeshift convert`: thin front ends over
//! `storeshift_connectors::files::convert`.

use crate::cli::{ConvertArgs, InspectArgs};
use crate::run::exit;
use anyhow::{anyhow, Result};
use storeshift_agents::agents::file_mapping;
use storeshift_agents::MigrationConfig;
use storeshift_connectors::files::convert::{self, ConvertOptions, InspectOptions};
use storeshift_connectors::files::mapping::file as mapping_file;
use storeshift_connectors::files::mapping::propose::propose;
use storeshift_connectors::files::mapping::{ColumnMap, FileMapping};
use storeshift_connectors::model::Platform;

fn platform(name: &str) -> Result<Platform> {
    Platform::parse(name).ok_or_else(|| {
        anyhow!(
            "unknown platform \"{name}\"; use shopify, woocommerce, magento, bigcommerce, ikas, \
             medusa or vendure"
        )
    })
}

pub async fn inspect(args: &InspectArgs) -> Result<i32> {
    let opts = InspectOptions {
        encoding: args.encoding.clone(),
        mapping: args.mapping.clone(),
    };
    let mut found = convert::inspect_with(&args.files, &opts).await;
    let servers = match &args.config {
        Some(c) => Some(MigrationConfig::load(c)?),
        None => None,
    };
    let mut failed = false;
    let mut proposals = vec![];
    for ins in found.iter_mut() {
        println!("{}", ins.path.display());
        if let (Some(cfg), Some(p), Some(sample)) = (&servers, &ins.proposal, &ins.sampled) {
            // The configured embedding server and LLM add their suggestions to the rules'.
            let (hints, notes) = file_mapping::hints_without_run(
                cfg.embeddings.as_ref(),
                cfg.llm.as_ref(),
                sample,
                p.mapping.entity,
            )
            .await;
            for n in notes {
                println!("  {n}");
            }
            if !hints.is_empty() {
                let name = p.mapping.file.clone();
                let again = propose(sample, name.as_deref(), &hints);
                ins.proposal_read = Some(
                    convert::read_mapped(&ins.path, &again.mapping, opts.encoding.as_deref())
                        .await
                        .map_err(|e| e.to_string()),
                );
                ins.proposal = Some(again);
            }
        }
        let delimiter = if ins.delimiter == '\t' {
            "\\t".to_string()
        } else {
            ins.delimiter.to_string()
        };
        match (&ins.detected, &ins.error, &ins.proposal) {
            (_, _, Some(p)) => {
                println!(
                    "  not an export storeshift knows [{} encoding, '{delimiter}' delimiter]: proposed column mapping",
                    ins.encoding
                );
                println!("  {} ({} rows looked at)", p.why, p.rows);
                print_columns(&p.mapping);
                match &ins.proposal_read {
                    Some(Ok((n, findings))) => {
                        println!(
                            "  read through this mapping: {n} {} record(s), {} finding(s)",
                            p.mapping.entity,
                            findings.len()
                        );
                        print_findings(findings, args.max_findings);
                    }
                    Some(Err(e)) => println!("  as proposed it cannot be read: {e}"),
                    None => {}
                }
                proposals.push(p.mapping.clone());
            }
            (Some(d), None, None) => {
                let how = match (&ins.mapped, ins.locale) {
                    (Some(layout), _) => {
                        format!(" read through the mapping as a {}", layout.describe())
                    }
                    (None, Some(locale)) => format!(" (column names in {locale})"),
                    _ => String::new(),
                };
                println!(
                    "  {} {}{how} — {} record(s), {} finding(s) [{}, '{delimiter}' delimiter]",
                    d.platform,
                    d.entity,
                    ins.records,
                    ins.findings.len(),
                    ins.encoding_detail,
                );
                print_findings(&ins.findings, args.max_findings);
            }
            (d, Some(e), None) => {
                failed = true;
                if let Some(d) = d {
                    println!("  {} {}", d.platform, d.entity);
                }
                println!("  error: {e}");
            }
            (None, None, None) => println!("  not recognised"),
        }
    }
    if let Some(out) = &args.write_mapping {
        if proposals.is_empty() {
            println!(
                "no file needs a column mapping; {} not written",
                out.display()
            );
        } else {
            std::fs::write(out, mapping_file::render(&proposals))
                .map_err(|e| anyhow!("cannot write {}: {e}", out.display()))?;
            println!(
                "wrote the proposed mapping of {} file(s) to {}: check it, then run storeshift convert \
                 --mapping {} (or set `mapping` in [source])",
                proposals.len(),
                out.display(),
                out.display()
            );
        }
    } else if !proposals.is_empty() {
        println!("(write the proposal with --write-mapping FILE.toml, edit it, then convert --mapping FILE.toml)");
    }
    Ok(if failed { exit::FAILED } else { exit::DONE })
}

/// The proposal's columns as a table: column, sample values, field, confidence, reason.
fn print_columns(m: &FileMapping) {
    let width = |f: &dyn Fn(&ColumnMap) -> String, cap: usize| {
        m.columns
            .iter()
            .map(|c| f(c).chars().count())
            .max()
            .unwrap_or(0)
            .clamp(6, cap)
    };
    let samples = |c: &ColumnMap| c.samples.join(" | ");
    let cw = width(&|c| c.column.clone(), 28);
    let sw = width(&samples, 34);
    let tw = width(&|c| c.target.key(), 26);
    let cut = |s: String, w: usize| -> String {
        if s.chars().count() <= w {
            format!("{s:<w$}")
        } else {
            let mut t: String = s.chars().take(w - 1).collect();
            t.push('…');
            t
        }
    };
    println!(
        "  {}  {}  {}  conf  reason",
        cut("column".into(), cw),
        cut("sample values".into(), sw),
        cut("field".into(), tw)
    );
    for c in &m.columns {
        println!(
            "  {}  {}  {}  {:.2}  {}",
            cut(c.column.clone(), cw),
            cut(samples(c), sw),
            cut(c.target.key(), tw),
            c.confidence.unwrap_or(1.0),
            c.reason.clone().unwrap_or_default()
        );
    }
}

fn print_findings(findings: &[storeshift_connectors::Finding], max: Option<usize>) {
    let shown = max.unwrap_or(20);
    for f in findings.iter().take(shown) {
        println!("  - {f}");
    }
    if findings.len() > shown {
        println!(
            "  … and {} more (--max-findings to see them)",
            findings.len() - shown
        );
    }
}

pub async fn convert(args: &ConvertArgs) -> Result<i32> {
    let from = platform(&args.from)?;
    let to = platform(&args.to)?;
    let opts = ConvertOptions {
        currency: args.currency.clone(),
        encoding: args.encoding.clone(),
        timezone: args.timezone.clone(),
        media_url: args.media_url.clone(),
        skip_readback: args.skip_readback,
        customers_without_email: args.customers_without_email.clone(),
        mapping: args.mapping.clone(),
    };
    let Some((out_dir, files)) = args.paths.split_last() else {
        return Err(anyhow!(
            "name the export files and then the output directory"
        ));
    };
    if files.is_empty() {
        return Err(anyhow!(
            "name at least one export file before the output directory {}",
            out_dir.display()
        ));
    }
    let report = convert::convert(from, files, to, out_dir, &opts).await?;
    for (entity, (read, written, refused)) in &report.counts {
        println!("{entity}: {read} read, {written} written, {refused} not written");
    }
    let n = &report.no_email;
    if n.total() > 0 {
        println!(
            "customers without an email: {} left out, {} given an address, {} written to {} for the store owner",
            n.skipped,
            n.addressed.len(),
            n.to_owner,
            storeshift_connectors::no_email::OWNER_FILE
        );
    }
    let carried = if report.read_back {
        format!(
            "{} field(s) not carried by design; {} record(s) with values that really differ",
            report.not_carried.len(),
            report.lossy.len()
        )
    } else {
        "output not read back (--skip-readback)".to_string()
    };
    println!(
        "{} redirect(s); {carried}; {} source finding(s)",
        report.redirects.len(),
        report.source_findings.len()
    );
    println!("report: {}", out_dir.join("convert-report.md").display());
    Ok(exit::DONE)
}
