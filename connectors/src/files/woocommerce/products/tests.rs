use super::*;
use crate::model::Record;
use proptest::prelude::*;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

fn sample_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/data/real/woocommerce/sample_products.csv")
}

fn read_all(path: &Path, limit: usize) -> (Vec<Product>, Vec<Finding>) {
    let table = TableFile::open(path, None).unwrap();
    let mut reader = ProductReader::new(table, "USD").unwrap();
    let mut cursor: Option<Cursor> = None;
    let mut products = vec![];
    let mut findings = vec![];
    loop {
        let page = reader.read_page(cursor.as_ref(), limit).unwrap();
        for r in page.records {
            match r {
                Record::Product(p) => products.push(p),
                other => panic!("not a product: {other:?}"),
            }
        }
        findings.extend(page.findings);
        match page.next {
            Some(n) => cursor = Some(n),
            None => break,
        }
    }
    (products, findings)
}

fn write_file(dir: &Path, products: &[Product], writer: &mut ProductWriter) -> PathBuf {
    let mut out = writer.header();
    for p in products {
        writer
            .encode(&Record::Product(p.clone()), &mut out)
            .unwrap();
    }
    let path = dir.join("products.csv");
    std::fs::write(&path, out).unwrap();
    path
}

fn dec(s: &str) -> Decimal {
    s.parse().unwrap()
}

/// Counted by hand in sample_products.csv: 400 rows, the same 25 rows repeated 16 times.
/// Each block: 12 simple, 2 "simple, downloadable, virtual", 2 variable (V-Neck T-Shirt with 3
/// variations, Hoodie with 4), 1 grouped, 1 external, 7 variation rows.
#[test]
fn reads_the_real_woocommerce_sample() {
    let (products, findings) = read_all(&sample_path(), 7);
    assert_eq!(
        products.len(),
        18,
        "12 + 2 simple, 2 variable, 1 grouped, 1 external"
    );
    let count = |k: ProductKind| products.iter().filter(|p| p.kind == k).count();
    assert_eq!(count(ProductKind::Simple), 14);
    assert_eq!(count(ProductKind::Variable), 2);
    assert_eq!(count(ProductKind::Grouped), 1);
    assert_eq!(count(ProductKind::External), 1);
    let variations: usize = products
        .iter()
        .filter(|p| p.kind == ProductKind::Variable)
        .map(|p| p.variants.len())
        .sum();
    assert_eq!(variations, 7);
    // Rows 27..401 repeat the first block's IDs: each is reported, none is read twice.
    let dups = findings
        .iter()
        .filter(|f| f.code == "duplicate_row")
        .count();
    assert_eq!(dups, 375);
    assert!(findings.iter().all(|f| f.code != "orphan_variation"));

    let hoodie = products.iter().find(|p| p.title == "Hoodie").unwrap();
    assert_eq!(hoodie.source.id, "45");
    assert_eq!(hoodie.source.url_path.as_deref(), Some("/product/hoodie/"));
    assert_eq!(
        hoodie.categories,
        vec![vec!["Clothing".to_string(), "Hoodies".to_string()]]
    );
    let names: Vec<&str> = hoodie.options.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Color", "Logo"]);
    assert_eq!(hoodie.options[0].values, ["Blue", "Green", "Red"]);
    let red = hoodie
        .variants
        .iter()
        .find(|v| v.sku.as_deref() == Some("woo-hoodie-red"))
        .unwrap();
    assert_eq!(red.option_values, ["Red", "No"]);
    assert_eq!(red.price.as_ref().unwrap().amount, dec("42"));
    assert_eq!(red.compare_at_price.as_ref().unwrap().amount, dec("45"));
    // Variations without a weight take the parent's, in the header's unit.
    assert_eq!(
        red.weight,
        Some(Weight {
            value: dec("1.5"),
            unit: WeightUnit::Lb
        })
    );
    assert_eq!(hoodie.images[0].position, 1);
    assert_eq!(
        hoodie.attributes.get("woo:sku").map(String::as_str),
        Some("woo-hoodie")
    );

    // Size is listed on the V-neck but no variation picks one: it is not an option.
    let vneck = products
        .iter()
        .find(|p| p.title == "V-Neck T-Shirt")
        .unwrap();
    assert_eq!(vneck.options.len(), 1);
    assert_eq!(vneck.variants.len(), 3);
    assert_eq!(
        vneck
            .attributes
            .get("woo:attribute:Size")
            .map(String::as_str),
        Some("Large, Medium, Small")
    );

    let album = products.iter().find(|p| p.title == "Album").unwrap();
    assert!(
        !album.variants[0].requires_shipping,
        "virtual products need no shipping"
    );
    assert_eq!(
        album.attributes.get("woo:downloadable").map(String::as_str),
        Some("1")
    );
    let beanie = products.iter().find(|p| p.title == "Beanie").unwrap();
    assert_eq!(beanie.variants[0].price.as_ref().unwrap().amount, dec("18"));
    assert_eq!(
        beanie.variants[0].compare_at_price.as_ref().unwrap().amount,
        dec("20")
    );
    let grouped = products
        .iter()
        .find(|p| p.kind == ProductKind::Grouped)
        .unwrap();
    assert_eq!(
        grouped
            .attributes
            .get("woo:grouped_products")
            .map(String::as_str),
        Some("woo-hoodie-with-logo, woo-tshirt, woo-beanie")
    );
    let ext = products
        .iter()
        .find(|p| p.kind == ProductKind::External)
        .unwrap();
    assert!(ext.attributes.contains_key("woo:external_url"));
    assert_eq!(ext.variants[0].price.as_ref().unwrap().amount, dec("11.05"));
}

#[test]
fn any_page_size_and_any_resume_point_give_the_same_records() {
    let (whole, _) = read_all(&sample_path(), 1000);
    for limit in [1, 2, 5] {
        let (paged, _) = read_all(&sample_path(), limit);
        assert_eq!(paged, whole, "limit {limit}");
    }
    // A fresh reader (as after a crash) resumed from a saved cursor continues identically.
    let table = TableFile::open(&sample_path(), None).unwrap();
    let mut first = ProductReader::new(table, "USD").unwrap();
    let p1 = first.read_page(None, 4).unwrap();
    let cursor = p1.next.clone().unwrap();
    assert!(
        cursor.get("offset").is_some()
            && cursor.get("line").is_some()
            && cursor.get("records").is_some()
    );
    let p2 = first.read_page(Some(&cursor), 4).unwrap();
    let table = TableFile::open(&sample_path(), None).unwrap();
    let mut resumed = ProductReader::new(table, "USD").unwrap();
    let again = resumed.read_page(Some(&cursor), 4).unwrap();
    assert_eq!(p2.records, again.records);
    assert_eq!(p2.next, again.next);
    // Going back (a retried page) reads the same records as the first time.
    let p1_again = first.read_page(None, 4).unwrap();
    assert_eq!(p1_again.records, p1.records);
    let p2_again = first.read_page(Some(&cursor), 4).unwrap();
    assert_eq!(p2_again.records, p2.records);
}

#[test]
fn variations_before_their_parent_and_orphans() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "ID,Type,SKU,Name,Published,Regular price,Parent,Attribute 1 name,Attribute 1 value(s),Weight (kg)\n\
               11,variation,TEE-S,Tee - S,1,10,id:10,Size,S,\n\
               20,variation,GHOST-M,Ghost - M,1,10,ghost,Size,M,\n\
               10,variable,TEE,Tee,1,,,Size,\"S, M\",0.3\n\
               12,variation,TEE-M,Tee - M,1,12.50,TEE,Size,M,0.4\n\
               13,simple,MUG,Mug,0,8.5,,,,\n";
    let path = dir.path().join("p.csv");
    std::fs::write(&path, csv).unwrap();
    let (products, findings) = read_all(&path, 10);
    assert_eq!(products.len(), 2);
    let tee = &products[0];
    assert_eq!(tee.variants.len(), 2);
    assert_eq!(tee.variants[0].option_values, ["S"]);
    assert_eq!(tee.variants[0].weight.unwrap().value, dec("0.3"));
    assert_eq!(tee.variants[1].price.as_ref().unwrap().amount, dec("12.50"));
    assert_eq!(products[1].status, ProductStatus::Draft);
    assert_eq!(
        products[1]
            .attributes
            .get("woo:post_status")
            .map(String::as_str),
        Some("private")
    );
    let orphan = findings
        .iter()
        .find(|f| f.code == "orphan_variation")
        .unwrap();
    let loc = orphan.location.as_ref().unwrap();
    assert_eq!((loc.line, loc.column.as_deref()), (3, Some("Parent")));
    assert!(
        loc.file.ends_with("p.csv") && orphan.message.contains("ghost"),
        "{orphan}"
    );
}

#[test]
fn bad_numbers_and_excel_damage_are_findings_not_failures() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "ID,Type,SKU,Name,Regular price,Stock,GTIN\\, UPC\\, EAN\\, or ISBN\n\
               1,simple,A,Cup,twelve,5,8.69E+12\n\
               2,simple,B,Bowl,3,lots,12345678905\n";
    // The GTIN header contains commas: quote it.
    let csv = csv.replace(
        "GTIN\\, UPC\\, EAN\\, or ISBN",
        "\"GTIN, UPC, EAN, or ISBN\"",
    );
    let path = dir.path().join("p.csv");
    std::fs::write(&path, csv).unwrap();
    let (products, findings) = read_all(&path, 10);
    assert_eq!(products.len(), 2);
    assert!(products[0].variants[0].price.is_none());
    let codes: Vec<(&str, u64)> = findings
        .iter()
        .map(|f| (f.code.as_str(), f.location.as_ref().unwrap().line))
        .collect();
    assert!(codes.contains(&("bad_number", 2)), "{codes:?}");
    assert!(codes.contains(&("excel_damaged_barcode", 2)), "{codes:?}");
    assert!(codes.contains(&("bad_number", 3)), "{codes:?}");
    assert!(codes.contains(&("excel_damaged_barcode", 3)), "{codes:?}");
}

#[test]
fn missing_required_columns_name_the_file_and_the_columns() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    // Nothing tells the products apart: no Name, SKU or ID (Type alone is optional: WooCommerce's
    // importer makes such rows simple products).
    std::fs::write(&path, "Title,Price\nA,B\n").unwrap();
    let table = TableFile::open(&path, None).unwrap();
    let err = ProductReader::new(table, "USD").err().unwrap().to_string();
    assert!(err.contains("x.csv:1") && err.contains("\"Name\""), "{err}");
}

#[test]
fn the_real_sample_survives_write_and_read() {
    let (products, _) = read_all(&sample_path(), 100);
    let dir = tempfile::tempdir().unwrap();
    let mut w = ProductWriter::new(
        true,
        WeightUnit::Lb,
        "in",
        vec!["_wpcom_is_markdown".to_string()],
    );
    let path = write_file(dir.path(), &products, &mut w);
    let (again, findings) = read_all(&path, 100);
    // The sample has no slug column: the written file names the derived slugs explicitly.
    assert_eq!(again, products);
    assert!(
        findings.iter().all(|f| f.severity < Severity::Blocking),
        "{findings:?}"
    );
}

// --- property: read(write(p)) == p for products in the reader's canonical form ---

fn text() -> impl Strategy<Value = String> {
    "[A-Za-zÇçĞğİıÖöŞşÜüß0-9][A-Za-zÇçĞğİıÖöŞşÜüß0-9 ,.&\">-]{0,20}[A-Za-z0-9]"
}

fn word() -> impl Strategy<Value = String> {
    "[A-Za-zÇçĞğİıÖöŞşÜü0-9][A-Za-zÇçĞğİıÖöŞşÜü0-9 -]{0,8}[A-Za-z0-9]"
}

fn money_opt() -> impl Strategy<Value = Option<Money>> {
    proptest::option::of(
        (0i64..100_000, 0u32..3).prop_map(|(n, s)| Money::new(Decimal::new(n, s), "USD")),
    )
}

fn variant_strategy() -> impl Strategy<Value = Variant> {
    (
        proptest::option::of("[A-Z0-9-]{1,12}"),
        proptest::option::of("[0-9]{13}"),
        money_opt(),
        any::<bool>(),
        proptest::option::of((1i64..50_000, 0u32..4).prop_map(|(n, s)| Weight {
            value: Decimal::new(n, s),
            unit: WeightUnit::Kg,
        })),
        proptest::option::of(-5i64..500),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(sku, barcode, price, compare, weight, inventory, backorder, shipping)| Variant {
                source_id: None,
                sku,
                barcode,
                compare_at_price: if compare {
                    price
                        .as_ref()
                        .map(|p| Money::new(p.amount + Decimal::ONE, "USD"))
                } else {
                    None
                },
                price,
                cost: None,
                weight,
                inventory,
                allow_backorder: backorder,
                option_values: vec![],
                image: None,
                requires_shipping: shipping,
                taxable: true,
                price_tiers: Default::default(),
            },
        )
}

fn product_strategy() -> impl Strategy<Value = Product> {
    (
        1u32..1_000_000,
        text(),
        "[a-zçğıöşü0-9][a-zçğıöşü0-9-]{0,30}",
        "(<p>[A-Za-z ,.\n]{0,40}</p>){0,3}",
        proptest::option::of(word()),
        proptest::collection::vec(word(), 0..3),
        any::<bool>(),
        proptest::collection::vec(
            proptest::collection::vec(word().prop_filter("no >", |w| !w.contains('>')), 1..4),
            0..3,
        ),
        proptest::collection::vec(
            "https://demo-store\\.example/wp-content/uploads/[a-z0-9-]{1,12}\\.jpg",
            0..4,
        ),
        (proptest::option::of(text()), proptest::option::of(text())),
        proptest::collection::vec(variant_strategy(), 1..5),
        (1usize..4, any::<bool>(), proptest::option::of(word())),
    )
        .prop_map(
            |(
                id,
                title,
                handle,
                body,
                vendor,
                tags,
                active,
                cats,
                imgs,
                (seo_t, seo_d),
                mut vars,
                (n_opts, variable, material),
            )| {
                let mut images: Vec<Image> = vec![];
                for src in imgs {
                    if !images.iter().any(|i| i.src == src) {
                        images.push(Image {
                            src,
                            alt: None,
                            position: images.len() as u32 + 1,
                        });
                    }
                }
                let mut attributes = BTreeMap::new();
                if let Some(m) = material {
                    attributes.insert(format!("{ATTR}Material"), m);
                }
                attributes.insert("woo:featured".to_string(), "1".to_string());
                let mut options = vec![];
                let kind;
                if variable {
                    kind = ProductKind::Variable;
                    let names = ["Size", "Color", "Fit"];
                    for (k, name) in names.iter().take(n_opts).enumerate() {
                        let values: Vec<String> = (0..vars.len())
                            .map(|i| format!("{name}{}", i + k))
                            .collect();
                        options.push(ProductOption {
                            name: name.to_string(),
                            values,
                        });
                    }
                    for (i, v) in vars.iter_mut().enumerate() {
                        v.source_id = Some((id as u64 * 100 + 1 + i as u64).to_string());
                        v.option_values = options.iter().map(|o| o.values[i].clone()).collect();
                        v.image = images.get(i).map(|im| im.src.clone());
                    }
                    attributes.insert("woo:sku".to_string(), format!("P{id}"));
                } else {
                    kind = ProductKind::Simple;
                    vars.truncate(1);
                    vars[0].source_id = Some((id as u64 * 100).to_string());
                }
                let source_id = (id as u64 * 100).to_string();
                Product {
                    source: SourceRef::with_url(source_id, format!("/product/{handle}/")),
                    handle,
                    title,
                    body_html: body.trim().to_string(),
                    vendor,
                    product_type: None,
                    tags,
                    status: if active {
                        ProductStatus::Active
                    } else {
                        ProductStatus::Draft
                    },
                    kind,
                    categories: cats,
                    options,
                    variants: vars,
                    images,
                    seo: Seo {
                        title: seo_t,
                        description: seo_d,
                    },
                    attributes,
                    created_at: None,
                    translations: Default::default(),
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn write_then_read_is_lossless(products in proptest::collection::vec(product_strategy(), 1..6)) {
        // Ids must be unique in a file, as WooCommerce's are.
        let mut seen = HashSet::new();
        let products: Vec<Product> = products.into_iter().filter(|p| seen.insert(p.source.id.clone())).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), &products, &mut ProductWriter::for_export());
        let (again, _) = read_all(&path, 3);
        prop_assert_eq!(again, products);
    }

    #[test]
    fn never_panics_on_arbitrary_rows(body in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let dir = tempfile::tempdir().unwrap();
        let mut bytes = b"ID,Type,SKU,Name,Parent,Regular price,Attribute 1 name,Attribute 1 value(s)\n".to_vec();
        bytes.extend_from_slice(&body);
        let path = dir.path().join("p.csv");
        std::fs::write(&path, &bytes).unwrap();
        if let Ok(table) = TableFile::open(&path, None) {
            if let Ok(mut reader) = ProductReader::new(table, "USD") {
                let mut cursor: Option<Cursor> = None;
                for _ in 0..2000 {
                    match reader.read_page(cursor.as_ref(), 3) {
                        Ok(page) => match page.next { Some(n) => cursor = Some(n), None => break },
                        Err(_) => break,
                    }
                }
            }
        }
    }
}

/// What does not depend on the order of rows: each product's variants, sorted.
fn order_free(products: &[Product]) -> BTreeMap<String, (String, Vec<String>)> {
    products
        .iter()
        .map(|p| {
            let mut variants: Vec<String> = p
                .variants
                .iter()
                .map(|v| {
                    format!(
                        "{:?} {:?} {:?} {:?}",
                        v.source_id, v.sku, v.option_values, v.price
                    )
                })
                .collect();
            variants.sort();
            (p.source.id.clone(), (p.title.clone(), variants))
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Variations may sit anywhere in the file (before their parent, among other products'
    /// rows): whatever the order of the rows, the same products come back with the same
    /// variants, at any page size.
    #[test]
    fn row_order_does_not_change_what_is_read(
        products in proptest::collection::vec(product_strategy(), 1..6),
        seed in any::<u64>(),
        limit in 1usize..4,
    ) {
        let mut seen = HashSet::new();
        let products: Vec<Product> = products.into_iter().filter(|p| seen.insert(p.source.id.clone())).collect();
        let dir = tempfile::tempdir().unwrap();
        let path = write_file(dir.path(), &products, &mut ProductWriter::for_export());
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_path(&path).unwrap();
        let mut rows: Vec<csv::ByteRecord> = reader.byte_records().map(|r| r.unwrap()).collect();
        let header = rows.remove(0);
        // A deterministic shuffle from the seed (Fisher–Yates with a xorshift).
        let mut x = seed | 1;
        for i in (1..rows.len()).rev() {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            rows.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut w = csv::Writer::from_path(&path).unwrap();
        w.write_byte_record(&header).unwrap();
        for r in &rows {
            w.write_byte_record(r).unwrap();
        }
        w.flush().unwrap();
        drop(w);
        let (again, findings) = read_all(&path, limit);
        prop_assert!(findings.iter().all(|f| f.code != "orphan_variation"), "{:?}", findings);
        prop_assert_eq!(order_free(&again), order_free(&products));
    }
}

#[test]
fn attribute_names_match_whatever_their_case_in_any_script() {
    assert!(same_name("Color", "color"));
    assert!(same_name("BEDEN ÖLÇÜSÜ", "beden ölçüsü"));
    assert!(same_name("Größe", "GRÖẞE".to_lowercase().as_str()));
    assert!(!same_name("Größe", "Grösse"));
    assert!(!same_name("Renk", "Renkler"));
    assert!(!same_name("Ölçü", "Olcu"));
}

/// WooCommerce's exporter can be told to export only the "variable" type: the parents come
/// without their variation rows, so nothing in the file has a price or a variant. Reading
/// must say so, or a target gets products with no price at all.
#[test]
fn a_variable_product_without_variation_rows_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "ID,Type,SKU,Name,Published,Regular price,Parent,Attribute 1 name,Attribute 1 value(s),Attribute 1 visible,Attribute 1 global\n\
               41,variable,,\"Jar (Large)\",1,,,Weight,\"1 oz, 14g, 7g\",1,1\n\
               42,simple,LID,Lid,1,4,,,,,\n";
    let path = dir.path().join("wc-product-export.csv");
    std::fs::write(&path, csv).unwrap();
    let (products, findings) = read_all(&path, 10);
    assert_eq!(products.len(), 2);
    assert!(products[0].variants.is_empty());
    // The attribute is kept, so a later export with variations can be matched to it.
    assert_eq!(
        products[0]
            .attributes
            .get("woo:attribute:Weight")
            .map(String::as_str),
        Some("1 oz, 14g, 7g")
    );
    let f = findings
        .iter()
        .find(|f| f.code == "variable_without_variations")
        .unwrap_or_else(|| panic!("{findings:?}"));
    assert_eq!(f.severity, Severity::Warning);
    let loc = f.location.as_ref().unwrap();
    assert_eq!((loc.line, loc.column.as_deref()), (2, Some("Type")));
    assert!(f.message.contains("Jar (Large)"), "{}", f.message);
    assert_eq!(
        findings
            .iter()
            .filter(|f| f.code == "variable_without_variations")
            .count(),
        1
    );
}

#[test]
fn rows_the_exporter_wrote_before_it_met_a_meta_key_are_not_damaged_rows() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("wc-product-export.csv");
    // Line 2 ends before the meta and attribute columns added for later products; line 3 stops
    // before its name too, which the exporter never does.
    std::fs::write(
        &path,
        "Type,SKU,Name,Regular price,Meta: _color,Attribute 1 name,Attribute 1 value(s)\n\
         simple,A,Hat,10\n\
         simple,B\n\
         simple,C,Cap,12,red,Size,M\n",
    )
    .unwrap();
    let (products, findings) = read_all(&path, 10);
    assert_eq!(products.len(), 3);
    assert_eq!(products[0].title, "Hat");
    let ragged: Vec<u64> = findings
        .iter()
        .filter(|f| f.code == "ragged_row")
        .filter_map(|f| f.location.as_ref().map(|l| l.line))
        .collect();
    assert_eq!(ragged, [3], "{findings:?}");
}
