use crate::files::testkit::{catalog, has_finding, products, read, write};
use crate::model::*;
use proptest::prelude::*;
use std::path::PathBuf;

fn real(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real/vendure")
        .join(name)
}

#[test]
fn real_import_files_read_with_hand_counts() {
    for (file, products_n, variants_n) in [
        ("mock-data-products.csv", 54, 88),
        ("e2e-products-full.csv", 20, 34),
        ("product-import.csv", 4, 11),
        ("product-import-option-values.csv", 1, 4),
        ("multiple-languages.csv", 1, 3),
        ("e2e-product-import-multi-languages.csv", 1, 3),
    ] {
        let (recs, f) = read(Platform::Vendure, &real(file), Entity::Products, 5).unwrap();
        let ps = products(&recs);
        assert_eq!(ps.len(), products_n, "{file}: {f:#?}");
        let variants: usize = ps.iter().map(|p| p.variants.len()).sum();
        assert_eq!(variants, variants_n, "{file}");
    }
}

#[test]
fn options_facets_assets_and_custom_fields_of_the_e2e_fixture() {
    let (recs, f) = read(
        Platform::Vendure,
        &real("product-import.csv"),
        Entity::Products,
        100,
    )
    .unwrap();
    let ps = products(&recs);
    let pps = ps[0];
    assert_eq!(pps.title, "Perfect Paper Stretcher");
    assert_eq!(pps.handle, "perfect-paper-stretcher");
    let srcs: Vec<&str> = pps.images.iter().map(|i| i.src.as_str()).collect();
    assert_eq!(srcs, ["pps1.jpg", "pps2.jpg"]);
    assert_eq!(pps.options[0].name, "size");
    assert_eq!(
        pps.options[0].values,
        ["Half Imperial", "Quarter Imperial", "Full Imperial"]
    );
    assert_eq!(
        pps.variants[0].price.as_ref().unwrap().amount.to_string(),
        "45.3"
    );
    // trackInventory false: stock is not tracked, whatever stockOnHand says.
    assert_eq!(pps.variants[2].inventory, None);
    assert_eq!(
        pps.attributes
            .get("vendure.variant.1.variantFacets")
            .map(String::as_str),
        Some("Brand:KB|Type:Accessory")
    );
    assert_eq!(
        pps.attributes
            .get("vendure.product:keywords")
            .map(String::as_str),
        Some("paper|stretching|watercolor")
    );
    // No slug: Vendure makes one from the name.
    assert_eq!(ps[1].handle, "mabef-m-02-studio-easel");
    let pencils = ps[2];
    assert_eq!(pencils.variants[0].image.as_deref(), Some("box-of-8.jpg"));
    assert_eq!(pencils.images.len(), 2);
    let smock = ps[3];
    assert_eq!(smock.tags, ["Material:Denim", "Collection:clothes"]);
    assert_eq!(
        smock
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["size", "colour"]
    );
    assert_eq!(smock.variants.len(), 5);
    assert_eq!(smock.variants[1].option_values, ["large", "beige"]);
    assert_eq!(
        smock
            .attributes
            .get("vendure.variant.1.taxCategory")
            .map(String::as_str),
        Some("reduced")
    );
    assert!(f.is_empty(), "{f:#?}");

    // Facets with their own meaning become canonical fields.
    let (recs, _) = read(
        Platform::Vendure,
        &real("mock-data-products.csv"),
        Entity::Products,
        100,
    )
    .unwrap();
    let laptop = products(&recs)[0];
    assert_eq!(laptop.vendor.as_deref(), Some("Apple"));
    assert_eq!(
        laptop.categories,
        vec![
            vec!["Electronics".to_string()],
            vec!["Computers".to_string()]
        ]
    );
}

#[test]
fn translation_columns_become_translations() {
    let (recs, f) = read(
        Platform::Vendure,
        &real("e2e-product-import-multi-languages.csv"),
        Entity::Products,
        10,
    )
    .unwrap();
    let p = products(&recs)[0];
    assert_eq!(p.title, "Fantastic Paper Stretcher", "{f:?}");
    assert_eq!(p.body_html, "A great device for stretching paper.");
    let zh = &p.translations["zh_Hans"];
    assert_eq!(zh.title.as_deref(), Some("奇妙的纸张拉伸器"));
    assert_eq!(zh.body_html.as_deref(), Some("一个用于拉伸纸张的伟大装置"));
    assert_eq!(zh.options[0].name, "size");
    assert_eq!(zh.options[0].values, ["半英制", "四分之一英制", "全英制"]);
    assert_eq!(p.tags, ["make:KB", "group:Accessory"]);
    assert_eq!(
        p.attributes
            .get("vendure.facets:zh_Hans")
            .map(String::as_str),
        Some("品牌:KB|类型:饰品")
    );

    // Written back, the languages come back the same.
    let dir = tempfile::tempdir().unwrap();
    assert!(write(Platform::Vendure, dir.path(), Entity::Products, &recs).is_empty());
    let text = std::fs::read_to_string(dir.path().join("products.csv")).unwrap();
    let header = text.lines().next().unwrap();
    assert!(
        header.starts_with("name:en,name:zh_Hans,slug:en,slug:zh_Hans"),
        "{header}"
    );
    let (again, f) = read(
        Platform::Vendure,
        &dir.path().join("products.csv"),
        Entity::Products,
        10,
    )
    .unwrap();
    assert!(f.is_empty(), "{f:?}");
    let q = products(&again)[0];
    assert_eq!(q.translations, p.translations);
    assert_eq!(q.options, p.options);
    assert_eq!(q.tags, p.tags);
}

#[test]
fn bad_input_names_file_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("v.csv");
    std::fs::write(
        &p,
        "name,sku,optionGroups,optionValues,taxCategory\nA,1,,,standard\n",
    )
    .unwrap();
    let err = read(Platform::Vendure, &p, Entity::Products, 10)
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("v.csv:1") && err.contains("\"price\"") && err.contains("\"assets\""),
        "{err}"
    );
    std::fs::write(
        &p,
        "name,slug,description,assets,facets,optionGroups,optionValues,sku,price,taxCategory,stockOnHand,trackInventory,variantAssets,variantFacets\n\
         ,,,,,,x,ORPHAN,1,standard,,,,\n\
         Hat,hat,,,,size|colour,S,H1,abc,standard,2,,,\n",
    )
    .unwrap();
    let (recs, f) = read(Platform::Vendure, &p, Entity::Products, 10).unwrap();
    assert_eq!(products(&recs).len(), 1);
    assert!(
        has_finding(&f, "variant_without_product", 2, Some("name")),
        "{f:#?}"
    );
    assert!(has_finding(
        &f,
        "option_values_count",
        3,
        Some("optionValues")
    ));
    assert!(has_finding(&f, "bad_number", 3, Some("price")));
}

/// A catalog with a German translation of every product, as the writer must carry it.
fn translated(seed: u64, n: usize) -> Vec<Product> {
    let mut cat = catalog(seed, n);
    for p in &mut cat {
        p.translations.insert(
            "de".into(),
            ProductTranslation {
                title: Some(format!("{} (de)", p.title)),
                handle: Some(format!("{}-de", p.handle)),
                body_html: Some("<p>Beschreibung</p>".into()),
                options: p
                    .options
                    .iter()
                    .map(|o| ProductOption {
                        name: format!("{}-de", o.name),
                        values: o.values.iter().map(|v| format!("{v}-de")).collect(),
                    })
                    .collect(),
            },
        );
    }
    cat
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn written_files_read_back_to_the_same_records(seed in any::<u64>(), n in 1usize..6) {
        let dir = tempfile::tempdir().unwrap();
        let cat = translated(seed, n);
        let recs: Vec<Record> = cat.iter().cloned().map(Record::Product).collect();
        prop_assert!(write(Platform::Vendure, dir.path(), Entity::Products, &recs).is_empty());
        let (first, f) = read(Platform::Vendure, &dir.path().join("products.csv"), Entity::Products, 3).unwrap();
        prop_assert!(f.is_empty(), "{:?}", f);
        prop_assert_eq!(first.len(), n);
        for (sent, got) in cat.iter().zip(products(&first)) {
            prop_assert_eq!(&sent.title, &got.title);
            prop_assert_eq!(&sent.handle, &got.handle);
            prop_assert_eq!(&sent.translations, &got.translations);
            prop_assert_eq!(&sent.options, &got.options);
            prop_assert_eq!(&sent.categories, &got.categories);
            prop_assert_eq!(
                sent.variants.iter().map(|v| (v.sku.clone(), v.price.clone(), v.inventory, v.option_values.clone())).collect::<Vec<_>>(),
                got.variants.iter().map(|v| (v.sku.clone(), v.price.clone(), v.inventory, v.option_values.clone())).collect::<Vec<_>>()
            );
        }
        let again = tempfile::tempdir().unwrap();
        prop_assert!(write(Platform::Vendure, again.path(), Entity::Products, &first).is_empty());
        let (second, _) = read(Platform::Vendure, &again.path().join("products.csv"), Entity::Products, 7).unwrap();
        prop_assert_eq!(&first, &second);
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1500), langs in any::<bool>()) {
        let header = if langs {
            "name:en,name:de,slug,description:en,description:de,assets,facets,optionGroups:en,optionGroups:de,optionValues:en,optionValues:de,sku,price,taxCategory,stockOnHand,trackInventory,variantAssets,variantFacets,product:x,variant:y:de\n"
        } else {
            "name,slug,description,assets,facets,optionGroups,optionValues,sku,price,taxCategory,stockOnHand,trackInventory,variantAssets,variantFacets\n"
        };
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let mut bytes = header.as_bytes().to_vec();
        bytes.extend_from_slice(&body);
        std::fs::write(&p, &bytes).unwrap();
        let _ = read(Platform::Vendure, &p, Entity::Products, 3);
    }
}

/// Every real file vendored for this issue, as `inspect` sees it: platform, entity and the
/// exact number of records.
#[test]
fn inspect_reads_every_vendored_real_file_with_exact_counts() {
    use crate::files::convert::{inspect, Detected};
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/real");
    let expect: &[(&str, Platform, Entity, usize)] = &[
        (
            "magento/customers_to_import.csv",
            Platform::Magento,
            Entity::Customers,
            6,
        ),
        (
            "magento/address_import_update.csv",
            Platform::Magento,
            Entity::Customers,
            1,
        ),
        (
            "magento/two_addresses_import_update.csv",
            Platform::Magento,
            Entity::Customers,
            2,
        ),
        (
            "magento/import_uk_address.csv",
            Platform::Magento,
            Entity::Customers,
            1,
        ),
        (
            "magento/customer_composite_update.csv",
            Platform::Magento,
            Entity::Customers,
            4,
        ),
        (
            "magento/import_advanced_pricing.csv",
            Platform::Magento,
            Entity::Products,
            2,
        ),
        (
            "magento/import_advanced_pricing_for_additional_attributes_products.csv",
            Platform::Magento,
            Entity::Products,
            32,
        ),
        (
            "medusa/exported-products-comma.csv",
            Platform::Medusa,
            Entity::Products,
            2,
        ),
        (
            "medusa/exported-products-semicolon.csv",
            Platform::Medusa,
            Entity::Products,
            2,
        ),
        (
            "medusa/exported-products-semicolon-2.csv",
            Platform::Medusa,
            Entity::Products,
            2,
        ),
        (
            "medusa/product-with-categories.csv",
            Platform::Medusa,
            Entity::Products,
            1,
        ),
        (
            "medusa/prices-with-region.csv",
            Platform::Medusa,
            Entity::Products,
            1,
        ),
        (
            "medusa/v1-template.csv",
            Platform::Medusa,
            Entity::Products,
            3,
        ),
        (
            "medusa/product-import-template.csv",
            Platform::Medusa,
            Entity::Products,
            2,
        ),
        (
            "medusa/product-import-template-semicolon.csv",
            Platform::Medusa,
            Entity::Products,
            2,
        ),
        (
            "vendure/product-import.csv",
            Platform::Vendure,
            Entity::Products,
            4,
        ),
        (
            "vendure/e2e-product-import-multi-languages.csv",
            Platform::Vendure,
            Entity::Products,
            1,
        ),
        (
            "vendure/product-import-option-values.csv",
            Platform::Vendure,
            Entity::Products,
            1,
        ),
        (
            "vendure/multiple-languages.csv",
            Platform::Vendure,
            Entity::Products,
            1,
        ),
        (
            "vendure/e2e-products-full.csv",
            Platform::Vendure,
            Entity::Products,
            20,
        ),
        (
            "vendure/mock-data-products.csv",
            Platform::Vendure,
            Entity::Products,
            54,
        ),
    ];
    let files: Vec<PathBuf> = expect.iter().map(|(f, ..)| root.join(f)).collect();
    let found = crate::files::testkit::rt().block_on(inspect(&files, None));
    for (ins, (file, platform, entity, n)) in found.iter().zip(expect) {
        assert_eq!(ins.error, None, "{file}");
        assert_eq!(
            ins.detected,
            Some(Detected {
                platform: *platform,
                entity: *entity
            }),
            "{file}"
        );
        assert_eq!(ins.records, *n, "{file}");
    }
}

#[test]
fn real_files_convert_between_medusa_and_vendure() {
    use crate::files::convert::{convert, ConvertOptions};
    let rt = crate::files::testkit::rt();
    // Vendure's demo catalog into Medusa's import file: every product written, and read back.
    let out = tempfile::tempdir().unwrap();
    let report = rt
        .block_on(convert(
            Platform::Vendure,
            &[real("mock-data-products.csv")],
            Platform::Medusa,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    assert_eq!(
        report.counts[&Entity::Products],
        (54, 54, 0),
        "{:?}",
        report.refused
    );
    let (back, _) = read(
        Platform::Medusa,
        &out.path().join("products.csv"),
        Entity::Products,
        100,
    )
    .unwrap();
    let variants: usize = products(&back).iter().map(|p| p.variants.len()).sum();
    assert_eq!(variants, 88);

    // Medusa's export into Vendure's import file, and the translated fixture back into Vendure.
    let medusa = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real/medusa/exported-products-semicolon.csv");
    let out = tempfile::tempdir().unwrap();
    let report = rt
        .block_on(convert(
            Platform::Medusa,
            &[medusa],
            Platform::Vendure,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    assert_eq!(report.counts[&Entity::Products], (2, 2, 0));
    let out = tempfile::tempdir().unwrap();
    let report = rt
        .block_on(convert(
            Platform::Vendure,
            &[real("e2e-product-import-multi-languages.csv")],
            Platform::Shopify,
            out.path(),
            &ConvertOptions::default(),
        ))
        .unwrap();
    let lost: Vec<String> = report.lossy.iter().flat_map(|l| l.what.clone()).collect();
    assert!(
        lost.iter()
            .any(|w| w.starts_with("translations not carried")),
        "Shopify's file has no translations: {lost:#?}"
    );
}
