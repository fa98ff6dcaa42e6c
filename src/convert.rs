//! `storeshift inspect` and `storeshift convert`: thin front ends over
//! `storeshift_connectors::files::convert`.

use crate::cli::{ConvertArgs, InspectArgs};
use crate::run::exit;
use anyhow::{anyhow, Result};
use storeshift_connectors::files::convert::{self, ConvertOptions};
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
    let found = convert::inspect(&args.files, args.encoding.as_deref()).await;
    let mut failed = false;
    for ins in &found {
        println!("{}", ins.path.display());
        match (&ins.detected, &ins.error) {
            (Some(d), None) => println!(
                "  {} {} — {} record(s), {} finding(s) [{}, '{}' delimiter]",
                d.platform,
                d.entity,
                ins.records,
                ins.findings.len(),
                ins.encoding_detail,
                if ins.delimiter == '\t' {
                    "\\t".to_string()
                } else {
                    ins.delimiter.to_string()
                }
            ),
            (d, Some(e)) => {
                failed = true;
                if let Some(d) = d {
                    println!("  {} {}", d.platform, d.entity);
                }
                println!("  error: {e}");
            }
            (None, None) => println!("  not recognised"),
        }
        let shown = args.max_findings.unwrap_or(20);
        for f in ins.findings.iter().take(shown) {
            println!("  - {f}");
        }
        if ins.findings.len() > shown {
            println!(
                "  … and {} more (--max-findings to see them)",
                ins.findings.len() - shown
            );
        }
    }
    Ok(if failed { exit::FAILED } else { exit::DONE })
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
