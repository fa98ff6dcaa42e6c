//! Mappings end to end: files read through a mapping give the records the same data in a
//! known layout gives.

use super::open::as_written;
use super::propose::{propose, Sampled};
use super::*;
use crate::files::testkit;
use crate::model::{Customer, Record};
use crate::spec::EndpointSpec;
use crate::synth::{SynthSpec, SynthStore};
use proptest::prelude::*;
use std::path::{Path, PathBuf};

/// Reads every record of `entity` from a files source, page by page.
fn read_all(spec: &EndpointSpec, entity: Entity) -> crate::connector::Result<Vec<Record>> {
    testkit::rt().block_on(async {
        let mut src = crate::files::open_source(spec, Path::new("/"))?;
        let mut out = vec![];
        let mut cursor = None;
        loop {
            let page = src.read_page(entity, cursor.as_ref(), 7).await?;
            out.extend(page.records);
            match page.next {
                Some(c) => cursor = Some(c),
                None => return Ok(out),
            }
        }
    })
}

fn spec_for(
    platform: Platform,
    file: &Path,
    entity: Entity,
    mapping: Option<&Path>,
) -> EndpointSpec {
    let mut spec = EndpointSpec::files(platform, PathBuf::new());
    spec.path = None;
    spec.files.insert(entity, file.to_path_buf());
    spec.mapping = mapping.map(Path::to_path_buf);
    spec
}

/// Rewrites a CSV with its columns in `order` (indexes into the original) under `names`.
fn rewrite(from: &Path, to: &Path, order: &[usize], names: &[String]) {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(from)
        .unwrap();
    let mut w = csv::Writer::from_path(to).unwrap();
    let mut first = true;
    for rec in r.records() {
        let rec = rec.unwrap();
        if first {
            w.write_record(names).unwrap();
            first = false;
            continue;
        }
        let row: Vec<&str> = order.iter().map(|&i| rec.get(i).unwrap_or("")).collect();
        w.write_record(&row).unwrap();
    }
    w.flush().unwrap();
}

fn header_of(path: &Path) -> Vec<String> {
    as_written(|| {
        crate::files::table::TableFile::open(path, None)
            .unwrap()
            .header()
            .names()
            .to_vec()
    })
}

/// A known export of each kind, written by storeshift's own writers.
fn known_export(kind: usize, dir: &Path) -> (Platform, Entity, PathBuf) {
    let store = SynthStore::new(SynthSpec {
        products: 12,
        customers: 9,
        orders: 6,
        pages: 1,
        seed: 7,
        planted_problems: false,
        ..SynthSpec::demo()
    });
    match kind {
        0 => {
            store.write_dir(dir).unwrap();
            (
                Platform::WooCommerce,
                Entity::Products,
                dir.join("products.csv"),
            )
        }
        1 => {
            store.write_dir(dir).unwrap();
            (
                Platform::WooCommerce,
                Entity::Customers,
                dir.join("customers.csv"),
            )
        }
        2 => {
            let records: Vec<Record> = testkit::catalog(3, 8)
                .into_iter()
                .map(Record::Product)
                .collect();
            testkit::write(Platform::Shopify, dir, Entity::Products, &records);
            (
                Platform::Shopify,
                Entity::Products,
                dir.join("products.csv"),
            )
        }
        3 => {
            let records: Vec<Record> = store
                .customers()
                .map(|c| Customer {
                    addresses: c.addresses.into_iter().take(1).collect(),
                    ..c
                })
                .map(Record::Customer)
                .collect();
            testkit::write(Platform::Shopify, dir, Entity::Customers, &records);
            (
                Platform::Shopify,
                Entity::Customers,
                dir.join("customers.csv"),
            )
        }
        _ => {
            let records: Vec<Record> = store.orders().map(|o| Record::Order(Box::new(o))).collect();
            testkit::write(Platform::Shopify, dir, Entity::Orders, &records);
            (Platform::Shopify, Entity::Orders, dir.join("orders.csv"))
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    /// Any known export, its columns renamed and shuffled, read through a mapping that names
    /// each column's place in the layout, gives exactly the records of the original.
    #[test]
    fn renamed_and_shuffled_columns_read_as_the_original(
        kind in 0usize..5,
        seed in any::<u64>(),
        suffix in "[a-zà-ü ]{0,6}",
    ) {
        let dir = tempfile::tempdir().unwrap();
        let (platform, entity, original) = known_export(kind, dir.path());
        let header = header_of(&original);
        let mut order: Vec<usize> = (0..header.len()).collect();
        let mut rng = seed;
        for i in (1..order.len()).rev() {
            rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            order.swap(i, (rng >> 33) as usize % (i + 1));
        }
        let names: Vec<String> = order.iter().map(|i| format!("c{i}{suffix}")).collect();
        let renamed = dir.path().join("renamed.csv");
        rewrite(&original, &renamed, &order, &names);
        let mapping = FileMapping {
            file: Some("renamed.csv".into()),
            entity,
            layout: platform,
            columns: order
                .iter()
                .zip(&names)
                .map(|(&i, n)| ColumnMap::new(n.clone(), Target::Column(header[i].clone())))
                .collect(),
        };
        let mfile = dir.path().join("mapping.toml");
        std::fs::write(&mfile, file::render(&[mapping])).unwrap();
        let want = read_all(&spec_for(platform, &original, entity, None), entity).unwrap();
        let got = read_all(&spec_for(platform, &renamed, entity, Some(&mfile)), entity).unwrap();
        prop_assert!(!want.is_empty());
        prop_assert_eq!(got, want);
    }
}

#[test]
fn a_handmade_sheet_reads_through_its_proposal() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("liste.csv");
    std::fs::write(
        &sheet,
        "Ürün Adı;Stok Kodu;Satış Fiyatı;Stok;Renk;Beden;Açıklama\n\
         Kazak;KZ-S;199,90;3;Kırmızı;S;<p>Yün</p>\n\
         Kazak;KZ-M;199,90;0;Kırmızı;M;\n\
         Kazak;KZ-MB;189,90;2;Mavi;M;\n\
         Gömlek;GM-1;299,90;5;Mavi;L;<p>Pamuk</p>\n",
    )
    .unwrap();
    let p = propose(&Sampled::of(&sheet, None).unwrap(), Some("liste.csv"), &[]);
    assert_eq!(p.mapping.entity, Entity::Products);
    let mfile = dir.path().join("m.toml");
    std::fs::write(&mfile, file::render(std::slice::from_ref(&p.mapping))).unwrap();
    let mut spec = EndpointSpec::files(Platform::WooCommerce, dir.path());
    spec.mapping = Some(mfile);
    let records = read_all(&spec, Entity::Products).unwrap();
    let products = testkit::products(&records);
    assert_eq!(products.len(), 2, "{records:#?}");
    let kazak = products.iter().find(|p| p.title == "Kazak").unwrap();
    assert_eq!(kazak.variants.len(), 3);
    assert_eq!(
        kazak
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        vec!["Renk", "Beden"]
    );
    assert_eq!(kazak.variants[1].sku.as_deref(), Some("KZ-M"));
    assert_eq!(kazak.variants[1].inventory, Some(0));
    assert_eq!(
        kazak.variants[0]
            .price
            .as_ref()
            .map(|m| m.amount.to_string()),
        Some("199.90".to_string())
    );
}

#[test]
fn unmapped_and_ignored_columns_are_reported_never_dropped_silently() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("p.csv");
    std::fs::write(&sheet, "title,sku,supplier,internal\nTee,T1,Acme,x\n").unwrap();
    let mapping = FileMapping {
        file: Some("p.csv".into()),
        entity: Entity::Products,
        layout: Platform::WooCommerce,
        columns: vec![
            ColumnMap::new("title", Target::Field(Field::ProductTitle)),
            ColumnMap::new("sku", Target::Field(Field::VariantSku)),
            ColumnMap::new("internal", Target::Ignore),
        ],
    };
    let mfile = dir.path().join("m.toml");
    std::fs::write(&mfile, file::render(&[mapping])).unwrap();
    let spec = spec_for(
        Platform::WooCommerce,
        &sheet,
        Entity::Products,
        Some(&mfile),
    );
    let (records, findings) = testkit::rt().block_on(async {
        let mut src = crate::files::open_source(&spec, Path::new("/")).unwrap();
        let page = src.read_page(Entity::Products, None, 10).await.unwrap();
        (page.records, page.findings)
    });
    let p = testkit::products(&records)[0].clone();
    // "supplier" is not in the mapping: kept as an attribute, and said so.
    assert_eq!(
        p.attributes.get("meta:supplier").map(String::as_str),
        Some("Acme")
    );
    assert!(findings.iter().any(|f| f.code == "mapped_column_kept"
        && f.location.as_ref().and_then(|l| l.column.as_deref()) == Some("supplier")));
    assert!(findings.iter().any(|f| f.code == "mapped_column_not_read"
        && f.location.as_ref().and_then(|l| l.column.as_deref()) == Some("internal")));
    assert!(!p.attributes.values().any(|v| v == "x"));
}

#[test]
fn a_mapping_for_another_header_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let sheet = dir.path().join("p.csv");
    std::fs::write(&sheet, "title,sku\nTee,T1\n").unwrap();
    let mapping = FileMapping {
        file: Some("p.csv".into()),
        entity: Entity::Products,
        layout: Platform::WooCommerce,
        columns: vec![
            ColumnMap::new("title", Target::Field(Field::ProductTitle)),
            ColumnMap::new("price", Target::Field(Field::VariantPrice)),
        ],
    };
    let mfile = dir.path().join("m.toml");
    std::fs::write(&mfile, file::render(&[mapping])).unwrap();
    let spec = spec_for(
        Platform::WooCommerce,
        &sheet,
        Entity::Products,
        Some(&mfile),
    );
    let err = read_all(&spec, Entity::Products).unwrap_err().to_string();
    assert!(err.contains("p.csv") && err.contains("\"price\""), "{err}");

    let twice = FileMapping {
        file: Some("p.csv".into()),
        entity: Entity::Products,
        layout: Platform::WooCommerce,
        columns: vec![
            ColumnMap::new("title", Target::Field(Field::ProductTitle)),
            ColumnMap::new("sku", Target::Field(Field::ProductTitle)),
        ],
    };
    std::fs::write(&mfile, file::render(&[twice])).unwrap();
    let err = read_all(&spec, Entity::Products).unwrap_err().to_string();
    assert!(err.contains("both become \"Name\""), "{err}");
}

#[test]
fn decided_mappings_round_trip_through_their_journal_form() {
    let m = FileMapping {
        file: Some("x.csv".into()),
        entity: Entity::Orders,
        layout: Platform::Shopify,
        columns: vec![
            ColumnMap::new("No", Target::Field(Field::OrderNumber)),
            ColumnMap::new("Renk", Target::Option(Some("Color".into()))),
            ColumnMap::new("z", Target::Column("Tags".into())),
        ],
    };
    let d = m.to_decided("x.csv");
    let json = serde_json::to_string(&d).unwrap();
    let back: Decided = serde_json::from_str(&json).unwrap();
    let again = FileMapping::from_decided(&back).unwrap();
    assert_eq!(again.header(), m.header());
    assert_eq!(
        again
            .columns
            .iter()
            .map(|c| c.target.clone())
            .collect::<Vec<_>>(),
        m.columns
            .iter()
            .map(|c| c.target.clone())
            .collect::<Vec<_>>()
    );
}

#[test]
fn targets_parse_and_print_back() {
    for t in [
        "product.title",
        "option",
        "option:Size",
        "attribute",
        "ignore",
        "column:Is featured?",
    ] {
        assert_eq!(Target::parse(t).unwrap().key(), t);
    }
    assert!(Target::parse("produkt.title")
        .unwrap_err()
        .contains("product.title"));
    assert!(Target::parse("column:").is_err());
}

#[test]
fn weight_units_come_from_the_column_name() {
    use crate::model::WeightUnit;
    assert_eq!(weight_unit_of("Weight (g)"), Some(WeightUnit::G));
    assert_eq!(weight_unit_of("Gewicht in Gramm"), Some(WeightUnit::G));
    assert_eq!(weight_unit_of("agirlik_kg"), Some(WeightUnit::Kg));
    assert_eq!(weight_unit_of("Weight (lbs)"), Some(WeightUnit::Lb));
    assert_eq!(weight_unit_of("Weight"), None);
}
