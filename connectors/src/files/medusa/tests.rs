use crate::files::testkit::{catalog, has_finding, products, read, write};
use crate::model::*;
use proptest::prelude::*;
use std::path::PathBuf;

fn real(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real/medusa")
        .join(name)
}

fn amount(m: &Option<Money>) -> String {
    m.as_ref()
        .map(|m| format!("{} {}", m.amount.normalize(), m.currency))
        .unwrap_or_default()
}

#[test]
fn real_exports_read_the_same_with_either_delimiter_and_column_order() {
    let (comma, f) = read(
        Platform::Medusa,
        &real("exported-products-comma.csv"),
        Entity::Products,
        1,
    )
    .unwrap();
    let ps = products(&comma);
    assert_eq!(ps.len(), 2, "{f:?}");
    let base = ps[0];
    assert_eq!(base.handle, "base-product");
    assert_eq!(base.title, "Base product");
    assert_eq!(base.body_html, "test-product-description\ntest line 2");
    assert_eq!(base.status, ProductStatus::Draft);
    assert_eq!(base.source.id, "prod_01J44RRJZ3M5F63NY82434RNM5");
    assert_eq!(base.tags, ["123", "456"]);
    let srcs: Vec<&str> = base.images.iter().map(|i| i.src.as_str()).collect();
    assert_eq!(srcs, ["test-image.png", "test-image-2.png"]);
    let names: Vec<&str> = base.options.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["size", "color"]);
    assert_eq!(base.options[0].values, ["large", "small"]);
    assert_eq!(base.variants.len(), 2);
    assert_eq!(base.variants[0].option_values, ["large", "green"]);
    assert_eq!(amount(&base.variants[0].price), "100 USD");
    assert_eq!(amount(&base.variants[1].price), "200 USD");
    assert_eq!(
        base.attributes
            .get("medusa.price.1.EUR")
            .map(String::as_str),
        Some("45")
    );
    assert_eq!(
        base.attributes
            .get("medusa.price.2.DKK")
            .map(String::as_str),
        Some("50")
    );
    assert_eq!(
        base.attributes.get("medusa.type_id").map(String::as_str),
        Some("ptyp_01J44RRJYAFEBZ2EY1KE1JM3XD")
    );
    assert_eq!(
        base.variants[0].source_id.as_deref(),
        Some("variant_01J44RRJZW1T9KQB6XG7Q6K61F")
    );
    assert!(base.variants.iter().all(|v| v.inventory.is_none()));
    assert_eq!(ps[1].status, ProductStatus::Draft, "proposed is not live");
    assert_eq!(ps[1].tags, ["new-tag"]);
    assert!(f.iter().any(|x| x.code == "prices_kept_as_attributes"));
    assert!(f.iter().any(|x| x.code == "no_stock_levels"));

    let strip = |rs: &[Record]| -> Vec<(String, String, Vec<Variant>, Vec<String>)> {
        products(rs)
            .into_iter()
            .map(|p| {
                let mut vs = p.variants.clone();
                for v in &mut vs {
                    v.source_id = None;
                }
                (p.handle.clone(), p.body_html.clone(), vs, p.tags.clone())
            })
            .collect()
    };
    for other in [
        "exported-products-semicolon.csv",
        "exported-products-semicolon-2.csv",
    ] {
        let (semi, f) = read(Platform::Medusa, &real(other), Entity::Products, 7).unwrap();
        assert_eq!(strip(&semi), strip(&comma), "{other}: {f:?}");
    }
}

#[test]
fn real_import_templates_read_with_hand_counts() {
    // The admin's current template: a mug and sweatpants in four sizes, prices in major units.
    let (recs, f) = read(
        Platform::Medusa,
        &real("product-import-template.csv"),
        Entity::Products,
        10,
    )
    .unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 2, "{f:?}");
    assert_eq!(ps[0].handle, "coffee-mug-v3");
    assert_eq!(ps[0].variants.len(), 1);
    assert_eq!(amount(&ps[0].variants[0].price), "12 USD");
    assert_eq!(
        ps[0]
            .attributes
            .get("medusa.price.1.EUR")
            .map(String::as_str),
        Some("10")
    );
    assert_eq!(ps[1].variants.len(), 4);
    assert_eq!(ps[1].options[0].values, ["S", "M", "L", "XL"]);
    assert_eq!(amount(&ps[1].variants[3].price), "33.5 USD");
    assert_eq!(ps[1].images.len(), 2);
    let w = ps[1].variants[0].weight.unwrap();
    assert_eq!((w.value.to_string(), w.unit), ("400".into(), WeightUnit::G));
    assert_eq!(ps[1].status, ProductStatus::Active);

    // The earlier, semicolon separated template in the 1.x layout: stock is there.
    let (recs, _) = read(
        Platform::Medusa,
        &real("product-import-template-semicolon.csv"),
        Entity::Products,
        10,
    )
    .unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[1].variants.len(), 4);
    assert_eq!(ps[1].variants[0].inventory, Some(100));
    assert_eq!(ps[1].variants[0].option_values, ["S"]);
    assert_eq!(ps[1].images.len(), 2);

    // Medusa's own 1.x fixture: rows grouped by product id, tags as one list, a region price.
    let (recs, _) = read(
        Platform::Medusa,
        &real("v1-template.csv"),
        Entity::Products,
        2,
    )
    .unwrap();
    let ps = products(&recs);
    let handles: Vec<&str> = ps.iter().map(|p| p.handle.as_str()).collect();
    assert_eq!(
        handles,
        [
            "test-product-product-1",
            "test-product-product-1-1",
            "test-product-product-2"
        ]
    );
    assert_eq!(ps[2].variants.len(), 3);
    assert_eq!(ps[0].tags, ["123_1"]);
    assert_eq!(ps[2].product_type.as_deref(), Some("test-type"));
    assert_eq!(
        ps[0]
            .attributes
            .get("medusa.price.1.Test region [USD]")
            .map(String::as_str),
        Some("1.00")
    );
    assert_eq!(amount(&ps[0].variants[0].price), "1.1 USD");

    let (recs, _) = read(
        Platform::Medusa,
        &real("product-with-categories.csv"),
        Entity::Products,
        10,
    )
    .unwrap();
    let p = products(&recs)[0];
    assert_eq!(
        p.attributes.get("medusa.category_ids").map(String::as_str),
        Some("pcat_01J44RRKGS2N86A8V37ZJD877K")
    );
    let (recs, _) = read(
        Platform::Medusa,
        &real("prices-with-region.csv"),
        Entity::Products,
        10,
    )
    .unwrap();
    let p = products(&recs)[0];
    assert_eq!(amount(&p.variants[0].price), "100 USD");
    assert_eq!(
        p.attributes
            .get("medusa.price.1.Test Region [USD]")
            .map(String::as_str),
        Some("45")
    );
}

#[test]
fn bad_input_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.csv");
    std::fs::write(&p, "Product Handle,Variant Sku\nmug,M1\n").unwrap();
    let err = read(Platform::Medusa, &p, Entity::Products, 10)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("p.csv:1") && err.contains("Product Title"),
        "{err}"
    );

    std::fs::write(
        &p,
        "Product Handle;Product Title;Variant Sku;Variant Price USD;Variant Option 1 Name;Variant Option 1 Value;Product Status\n\
         mug;Mug;M1;abc;Size;;live\n\
         ;;M2;3;;;\n\
         mug;Mug;M3;4;Size;L;published;extra\n",
    )
    .unwrap();
    let (recs, f) = read(Platform::Medusa, &p, Entity::Products, 10).unwrap();
    assert_eq!(products(&recs).len(), 1);
    assert_eq!(products(&recs)[0].variants.len(), 2);
    assert!(
        has_finding(&f, "bad_number", 2, Some("Variant Price USD")),
        "{f:#?}"
    );
    assert!(has_finding(
        &f,
        "missing_option_value",
        2,
        Some("Variant Option 1 Value")
    ));
    assert!(has_finding(&f, "unknown_status", 2, Some("Product Status")));
    assert!(has_finding(&f, "missing_handle", 3, Some("Product Handle")));
    assert!(has_finding(&f, "ragged_row", 4, None));
}

#[test]
fn the_writer_uses_the_template_layout_medusa_imports() {
    let mut cat = catalog(3, 4);
    cat[0]
        .attributes
        .insert("medusa.collection_id".into(), "pcol_1".into());
    cat[0].attributes.insert("material".into(), "Wool".into());
    let recs: Vec<Record> = cat.into_iter().map(Record::Product).collect();
    let dir = tempfile::tempdir().unwrap();
    assert!(write(Platform::Medusa, dir.path(), Entity::Products, &recs).is_empty());
    let text = std::fs::read_to_string(dir.path().join("products.csv")).unwrap();
    let header = text.lines().next().unwrap();
    // Every column is one Medusa's importer knows, with the template's names.
    for must in [
        "Product Handle",
        "Variant SKU",
        "Variant Price USD",
        "Variant Option 1 Name",
        "Product Image 1 Url",
        "Product Metadata",
    ] {
        assert!(header.split(',').any(|c| c == must), "{must}: {header}");
    }
    let (back, f) = read(
        Platform::Medusa,
        &dir.path().join("products.csv"),
        Entity::Products,
        3,
    )
    .unwrap();
    assert!(
        f.iter()
            .all(|x| x.severity == crate::finding::Severity::Info),
        "{f:?}"
    );
    let b = products(&back);
    assert_eq!(b.len(), 4);
    assert_eq!(
        b[0].attributes.get("material").map(String::as_str),
        Some("Wool")
    );
    assert_eq!(
        b[0].attributes
            .get("medusa.collection_id")
            .map(String::as_str),
        Some("pcol_1")
    );
    for (sent, got) in recs.iter().zip(&b) {
        let Record::Product(sent) = sent else {
            unreachable!()
        };
        assert_eq!(sent.title, got.title);
        assert_eq!(sent.options, got.options);
        assert_eq!(
            sent.variants
                .iter()
                .map(|v| (
                    v.sku.clone(),
                    amount(&v.price),
                    v.option_values.clone(),
                    v.barcode.clone()
                ))
                .collect::<Vec<_>>(),
            got.variants
                .iter()
                .map(|v| (
                    v.sku.clone(),
                    amount(&v.price),
                    v.option_values.clone(),
                    v.barcode.clone()
                ))
                .collect::<Vec<_>>()
        );
    }
    // A price in another currency than the file's price column is refused, not mislabelled.
    let mut euro = catalog(4, 1).remove(0);
    for v in &mut euro.variants {
        v.price = Some(Money::new(rust_decimal::Decimal::ONE, "EUR"));
    }
    let refused = write(
        Platform::Medusa,
        dir.path(),
        Entity::Products,
        &[Record::Product(euro)],
    );
    assert!(refused[0].contains("--currency EUR"), "{refused:?}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn written_files_read_back_to_the_same_records(seed in any::<u64>(), n in 1usize..6) {
        let dir = tempfile::tempdir().unwrap();
        let recs: Vec<Record> = catalog(seed, n).into_iter().map(Record::Product).collect();
        prop_assert!(write(Platform::Medusa, dir.path(), Entity::Products, &recs).is_empty());
        let (first, _) = read(Platform::Medusa, &dir.path().join("products.csv"), Entity::Products, 3).unwrap();
        prop_assert_eq!(first.len(), n);
        let again = tempfile::tempdir().unwrap();
        prop_assert!(write(Platform::Medusa, again.path(), Entity::Products, &first).is_empty());
        let (second, _) = read(Platform::Medusa, &again.path().join("products.csv"), Entity::Products, 7).unwrap();
        prop_assert_eq!(&first, &second);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1500), semi in any::<bool>()) {
        let header = "Product Id,Product Handle,Product Title,Product Status,Product Image 1,Product Tag 1,Product Metadata,Variant Sku,Variant Price USD,Variant Price [EU] EUR,Variant Option 1 Name,Variant Option 1 Value,Variant Manage Inventory,Variant Inventory Quantity\n";
        let header = if semi { header.replace(',', ";") } else { header.to_string() };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let mut bytes = header.into_bytes();
        bytes.extend_from_slice(&body);
        std::fs::write(&p, &bytes).unwrap();
        let _ = read(Platform::Medusa, &p, Entity::Products, 3);
    }
}
