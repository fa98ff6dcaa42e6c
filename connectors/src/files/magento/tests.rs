use crate::files::testkit::{catalog, has_finding, products, read, write};
use crate::model::*;
use proptest::prelude::*;
use std::path::PathBuf;

fn real(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real/magento")
        .join(name)
}

#[test]
fn real_sample_categories_and_pages_read_with_hand_counts() {
    // categories.csv: Gear, Gear/Bags, Gear/Fitness Equipment, Gear/Watches, Collections,
    // Collections/New Luma Yoga Collection.
    let (cats, f) = read(
        Platform::Magento,
        &real("categories.csv"),
        Entity::Categories,
        4,
    )
    .unwrap();
    assert_eq!(cats.len(), 6, "{f:?}");
    let paths: Vec<String> = cats
        .iter()
        .map(|r| {
            if let Record::Category(c) = r {
                c.path.join("/")
            } else {
                String::new()
            }
        })
        .collect();
    assert_eq!(
        paths,
        [
            "Gear",
            "Gear/Bags",
            "Gear/Fitness Equipment",
            "Gear/Watches",
            "Collections",
            "Collections/New Luma Yoga Collection"
        ]
    );
    let Record::Category(yoga) = &cats[5] else {
        panic!()
    };
    assert_eq!(yoga.handle, "yoga-new");
    assert_eq!(yoga.source.url_path.as_deref(), Some("/yoga-new.html"));

    // cms_pages.csv: About us, Privacy Policy, Customer Service, Home Page.
    let (pages, _) = read(Platform::Magento, &real("cms_pages.csv"), Entity::Pages, 3).unwrap();
    let titles: Vec<&str> = pages
        .iter()
        .map(|r| {
            if let Record::Page(p) = r {
                p.title.as_str()
            } else {
                ""
            }
        })
        .collect();
    assert_eq!(
        titles,
        [
            "About us",
            "Privacy Policy",
            "Customer Service",
            "Home Page"
        ]
    );
    let Record::Page(about) = &pages[0] else {
        panic!()
    };
    assert_eq!(about.handle, "about-us");
    assert!(about.body_html.contains("Luma is a nationally recognized"));
    assert!(about.published);
}

const PRODUCTS: &str = "sku,store_view_code,attribute_set_code,product_type,categories,product_websites,name,description,short_description,weight,product_online,tax_class_name,visibility,price,special_price,url_key,meta_title,meta_keywords,meta_description,base_image,base_image_label,additional_images,additional_image_labels,additional_attributes,qty,configurable_variations,configurable_variation_labels
MH01-XS-Black,,Top,simple,,base,Chaz Hoodie-XS-Black,,,1,1,Taxable Goods,Not Visible Individually,52,,mh01-xs-black,,,,/m/h/mh01-black.jpg,,,,\"color=Black,size=XS,ean=4006381333931\",100,,
MH01-XS-Gray,,Top,simple,,base,Chaz Hoodie-XS-Gray,,,1,1,Taxable Goods,Not Visible Individually,52,45.5,mh01-xs-gray,,,,,,,,\"color=Gray,size=XS\",7,,
MH01,,Top,configurable,\"Default Category/Men/Tops/Hoodies,Default Category/Sale\",base,Chaz Kangeroo Hoodie,<p>Ideal for cold-weather</p>,Short text,,1,Taxable Goods,\"Catalog, Search\",,,chaz-kangeroo-hoodie,Chaz Hoodie,hoodie,Warm hoodie,/m/h/mh01-main.jpg,Front,\"/m/h/mh01-main.jpg,/m/h/mh01-back.jpg\",\"Front,Back\",\"manufacturer=Luma,material=Cotton|Polyester\",,\"sku=MH01-XS-Black,size=XS,color=Black|sku=MH01-XS-Gray,size=XS,color=Gray|sku=MH01-XS-Lost,size=XS,color=Red\",\"size=Size,color=Colour\"
MH01,de,Top,configurable,,,Chaz Kapuzenpulli,<p>Warm</p>,,,,,,,,,,,,,,,,,,,
WB01,,Default,simple,Default Category/Gear,base,Water Bottle,,,0.5,2,None,\"Catalog, Search\",9.5,,water-bottle,,,,,,,,,12,,
BAD1,,Default,kit,,base,Kit,,,,1,,,abc,,kit,,,,,,,,,,,
DUP,,Default,simple,,base,Dup,,,,1,,,1,,water-bottle,,,,,,,,,x,,
GHOST,fr,Default,simple,,,Fantôme,,,,,,,,,,,,,,,,,,,,
";

#[test]
fn configurable_children_translations_and_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("catalog_product.csv");
    std::fs::write(&p, PRODUCTS).unwrap();
    let (recs, f) = read(Platform::Magento, &p, Entity::Products, 2).unwrap();
    let ps = products(&recs);
    assert_eq!(
        ps.len(),
        3,
        "configurable, water bottle, dup; children are variants: {ps:#?}"
    );
    let hoodie = ps[0];
    assert_eq!(hoodie.title, "Chaz Kangeroo Hoodie");
    assert_eq!(hoodie.handle, "chaz-kangeroo-hoodie");
    assert_eq!(hoodie.kind, ProductKind::Variable);
    assert_eq!(
        hoodie
            .options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["Size", "Colour"]
    );
    assert_eq!(hoodie.options[1].values, ["Black", "Gray", "Red"]);
    assert_eq!(hoodie.variants.len(), 3);
    assert_eq!(hoodie.variants[0].barcode.as_deref(), Some("4006381333931"));
    assert_eq!(hoodie.variants[0].inventory, Some(100));
    assert_eq!(
        hoodie.variants[1]
            .price
            .as_ref()
            .unwrap()
            .amount
            .to_string(),
        "45.5"
    );
    assert_eq!(
        hoodie.variants[1]
            .compare_at_price
            .as_ref()
            .unwrap()
            .amount
            .to_string(),
        "52"
    );
    assert_eq!(
        hoodie.categories,
        vec![vec!["Men", "Tops", "Hoodies"], vec!["Sale"]]
    );
    assert_eq!(
        hoodie
            .images
            .iter()
            .map(|i| i.src.as_str())
            .collect::<Vec<_>>(),
        ["/m/h/mh01-main.jpg", "/m/h/mh01-back.jpg"]
    );
    assert_eq!(hoodie.images[1].alt.as_deref(), Some("Back"));
    assert_eq!(hoodie.vendor.as_deref(), Some("Luma"));
    assert_eq!(
        hoodie
            .attributes
            .get("magento.attr.material")
            .map(String::as_str),
        Some("Cotton|Polyester")
    );
    assert_eq!(
        hoodie
            .attributes
            .get("translation.de.name")
            .map(String::as_str),
        Some("Chaz Kapuzenpulli")
    );
    assert_eq!(hoodie.seo.title.as_deref(), Some("Chaz Hoodie"));
    let bottle = ps[1];
    assert_eq!(bottle.status, ProductStatus::Draft);
    assert!(!bottle.variants[0].taxable);
    assert_eq!(bottle.variants[0].weight.unwrap().unit, WeightUnit::Lb);

    assert!(
        has_finding(
            &f,
            "variation_row_missing",
            4,
            Some("configurable_variations")
        ),
        "{f:#?}"
    );
    assert!(has_finding(&f, "unknown_type", 7, Some("product_type")));
    assert!(has_finding(&f, "bad_number", 8, Some("qty")));
    assert!(has_finding(&f, "duplicate_handle", 8, Some("url_key")));
    assert!(has_finding(
        &f,
        "translation_without_product",
        9,
        Some("sku")
    ));
    assert!(f.iter().all(|x| x
        .location
        .as_ref()
        .unwrap()
        .file
        .ends_with("catalog_product.csv")));
}

#[test]
fn missing_required_column_is_an_error_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("p.csv");
    std::fs::write(&p, "sku,name\nA,B\n").unwrap();
    let spec_err = read(Platform::Magento, &p, Entity::Products, 10)
        .unwrap_err()
        .to_string();
    assert!(
        spec_err.contains("p.csv:1") && spec_err.contains("product_type"),
        "{spec_err}"
    );
}

#[test]
fn customers_composite_with_extra_address_rows() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("customers.csv");
    std::fs::write(
        &p,
        "email,_website,_store,firstname,lastname,_address_firstname,_address_lastname,_address_street,_address_city,_address_country_id,_address_postcode,_address_telephone,_address_default_billing_\n\
         ayse@example.com,base,default,Ayşe,Yılmaz,Ayşe,Yılmaz,\"Bağdat Cd. 1\nKat 2\",İstanbul,TR,34000,+905551112233,1\n\
         ,,,,,Ayşe,Yılmaz,Ofis Sk. 5,Ankara,TR,06000,,0\n\
         bob@example.com,base,default,Bob,Stone,,,,,,,,\n\
         ,,,,,Lost,Row,Nowhere 1,X,US,1,,0\n",
    )
    .unwrap();
    let (recs, f) = read(Platform::Magento, &p, Entity::Customers, 1).unwrap();
    assert_eq!(recs.len(), 2);
    let Record::Customer(a) = &recs[0] else {
        panic!()
    };
    assert_eq!(a.addresses.len(), 2);
    assert_eq!(a.addresses[0].address1.as_deref(), Some("Bağdat Cd. 1"));
    assert_eq!(a.addresses[0].address2.as_deref(), Some("Kat 2"));
    assert_eq!(a.phone.as_deref(), Some("+905551112233"));
    let Record::Customer(b) = &recs[1] else {
        panic!()
    };
    assert_eq!(b.addresses.len(), 1, "the address row after bob is bob's");
    assert!(f.is_empty(), "{f:?}");

    // Written back as the main file and the address file, and read again: the same customers,
    // but as Magento's import takes addresses: Ayşe's second address, without a telephone of
    // its own, carries hers; Bob's, with no telephone anywhere, is not written.
    let out = tempfile::tempdir().unwrap();
    assert!(write(Platform::Magento, out.path(), Entity::Customers, &recs).is_empty());
    assert!(out.path().join("customer_address.csv").exists());
    let (again, _) = read_dir(out.path(), Entity::Customers);
    let mut want = recs.clone();
    if let Record::Customer(a) = &mut want[0] {
        a.addresses[1].phone = a.phone.clone();
    }
    if let Record::Customer(b) = &mut want[1] {
        b.addresses.clear();
    }
    assert_eq!(again, want);
}

/// Magento's ImportExport refuses a new address row without first and last name, street,
/// city, country, telephone and (outside its optional-zip countries) a postcode, and a refused
/// row fails the file's validation: the writer never writes one, and convert counts it by
/// design through the same rule.
#[test]
fn address_rows_magento_would_refuse_are_never_written() {
    let full = Address {
        address1: Some("Main St 1".into()),
        city: Some("Springfield".into()),
        country_code: Some("US".into()),
        zip: Some("12345".into()),
        phone: Some("+1 555 0100".into()),
        ..Address::default()
    };
    let cases: Vec<(&str, Address, bool)> = vec![
        ("complete", full.clone(), true),
        (
            "phone only",
            Address {
                phone: Some("+1 555 0101".into()),
                ..Address::default()
            },
            false,
        ),
        (
            "name only",
            Address {
                first_name: Some("Ann".into()),
                last_name: Some("Lee".into()),
                ..Address::default()
            },
            false,
        ),
        (
            "no city",
            Address {
                city: None,
                ..full.clone()
            },
            false,
        ),
        (
            "no postcode in the US",
            Address {
                zip: None,
                ..full.clone()
            },
            false,
        ),
        (
            "no postcode in Ireland",
            Address {
                zip: None,
                country_code: Some("IE".into()),
                ..full.clone()
            },
            true,
        ),
        (
            "no telephone of its own: the customer's",
            Address {
                phone: None,
                ..full.clone()
            },
            true,
        ),
    ];
    for (what, a, kept) in cases {
        let c = Customer {
            source: SourceRef::new("c1"),
            email: "ann@example.com".into(),
            first_name: Some("Ann".into()),
            last_name: Some("Lee".into()),
            phone: Some("+1 555 0199".into()),
            addresses: vec![a],
            ..Customer::default()
        };
        let mut fitted = Record::Customer(c.clone());
        let by_design = crate::platform::fit_file_record(Platform::Magento, &mut fitted);
        assert_eq!(by_design.is_empty(), kept, "{what}: {by_design:?}");
        let out = tempfile::tempdir().unwrap();
        let errors = write(
            Platform::Magento,
            out.path(),
            Entity::Customers,
            &[Record::Customer(c)],
        );
        assert!(errors.is_empty(), "{what}: {errors:?}");
        // With no row to write, the file is not written at all.
        let rows =
            std::fs::read_to_string(out.path().join("customer_address.csv")).unwrap_or_default();
        let rows = csv::Reader::from_reader(rows.as_bytes())
            .records()
            .map(|r| r.unwrap())
            .collect::<Vec<_>>();
        assert_eq!(rows.len(), usize::from(kept), "{what}: {rows:?}");
        for r in &rows {
            // street, city, country_id, firstname, lastname, telephone: never empty.
            for i in [3, 5, 6, 7, 10, 11] {
                assert!(!r[i].is_empty(), "{what}: column {i} of {r:?}");
            }
        }
    }
}

/// Reads every Magento file of `dir` as one source (companions joined to their main file).
fn read_dir(dir: &std::path::Path, entity: Entity) -> (Vec<Record>, Vec<crate::finding::Finding>) {
    crate::files::testkit::rt().block_on(async {
        let spec = crate::spec::EndpointSpec::files(Platform::Magento, dir.to_path_buf());
        let mut s = crate::files::open_source(&spec, std::path::Path::new(".")).unwrap();
        let (mut recs, mut finds) = (vec![], vec![]);
        let mut cursor = None;
        loop {
            let page = s.read_page(entity, cursor.as_ref(), 2).await.unwrap();
            recs.extend(page.records);
            finds.extend(page.findings);
            match page.next {
                Some(n) => cursor = Some(n),
                None => break,
            }
        }
        (recs, finds)
    })
}

fn copy_real(dir: &std::path::Path, names: &[&str]) {
    for n in names {
        std::fs::copy(real_repo(n), dir.join(n)).unwrap();
    }
}

/// A file of tests/data/real/magento (vendored from Magento's own repository).
fn real_repo(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data/real/magento")
        .join(name)
}

fn customer(r: &Record) -> &Customer {
    match r {
        Record::Customer(c) => c,
        other => panic!("{other:?}"),
    }
}

#[test]
fn real_address_files_read_alone_give_customers_known_by_email() {
    let (recs, f) = read(
        Platform::Magento,
        &real_repo("address_import_update.csv"),
        Entity::Customers,
        1,
    )
    .unwrap();
    assert_eq!(recs.len(), 1, "{f:?}");
    let betsy = customer(&recs[0]);
    assert_eq!(betsy.email, "BetsyParker@example.com");
    assert_eq!(betsy.first_name, None);
    assert_eq!(betsy.addresses.len(), 3);
    let cities: Vec<Option<&str>> = betsy.addresses.iter().map(|a| a.city.as_deref()).collect();
    assert_eq!(cities, [None, Some("Phoenix"), Some("Tallahassee")]);
    assert_eq!(betsy.addresses[1].province.as_deref(), Some("Arizona"));
    assert!(betsy.addresses[1].default, "_address_default_billing_ = 1");
    assert_eq!(
        betsy.phone.as_deref(),
        Some("928-707-1577"),
        "the default's phone"
    );
    assert_eq!(betsy.addresses[2].first_name.as_deref(), Some("William"));
    assert!(f.iter().any(|x| x.code == "addresses_without_customers"));

    let (recs, _) = read(
        Platform::Magento,
        &real_repo("import_uk_address.csv"),
        Entity::Customers,
        10,
    )
    .unwrap();
    let a = &customer(&recs[0]).addresses[0];
    assert_eq!(a.address1.as_deref(), Some("Moorfields, Vernon St"));
    assert_eq!(a.phone.as_deref(), Some("+443450507080"));
    assert_eq!(a.zip.as_deref(), Some("L2 2AY"));

    // Two customers on two websites.
    let (recs, _) = read(
        Platform::Magento,
        &real_repo("two_addresses_import_update.csv"),
        Entity::Customers,
        10,
    )
    .unwrap();
    assert_eq!(recs.len(), 2);
    assert_eq!(
        customer(&recs[1]).addresses[0].address1.as_deref(),
        Some("Calle de Méndez Álvaro, 72")
    );

    // The composite file: four customers, the first with two addresses.
    let (recs, _) = read(
        Platform::Magento,
        &real_repo("customer_composite_update.csv"),
        Entity::Customers,
        3,
    )
    .unwrap();
    assert_eq!(recs.len(), 4);
    assert_eq!(customer(&recs[0]).addresses.len(), 2);
    assert_eq!(customer(&recs[3]).addresses.len(), 0);
}

#[test]
fn address_files_join_the_main_file_by_email_and_website() {
    let dir = tempfile::tempdir().unwrap();
    copy_real(
        dir.path(),
        &["customers_to_import.csv", "two_addresses_import_update.csv"],
    );
    let (recs, f) = read_dir(dir.path(), Entity::Customers);
    // Six customers in the main file; the address of customer2@example.com (website "test")
    // names none of them and is kept as a seventh known by email.
    assert_eq!(recs.len(), 7, "{f:#?}");
    let joined = customer(&recs[3]);
    assert_eq!(joined.email, "customer@example.com");
    assert_eq!(joined.first_name.as_deref(), Some("Firstname"));
    assert_eq!(joined.addresses.len(), 1);
    assert_eq!(joined.addresses[0].city.as_deref(), Some("Montgivray"));
    assert_eq!(joined.phone.as_deref(), Some("33254060414"));
    assert_eq!(customer(&recs[6]).email, "customer2@example.com");
    assert!(
        has_finding(&f, "address_customer_unknown", 3, Some("_email")),
        "{f:#?}"
    );
    // The same email on another website is another customer: no join across websites.
    let main = dir.path().join("customers_to_import.csv");
    let text = std::fs::read_to_string(&main).unwrap();
    std::fs::write(
        &main,
        text.replace("customer@example.com,base", "customer@example.com,other"),
    )
    .unwrap();
    let (recs, _) = read_dir(dir.path(), Entity::Customers);
    assert_eq!(recs.len(), 8);
    assert!(customer(&recs[3]).addresses.is_empty());
}

#[test]
fn real_advanced_pricing_reads_tiers_alone_with_hand_counts() {
    let (recs, f) = read(
        Platform::Magento,
        &real_repo("import_advanced_pricing.csv"),
        Entity::Products,
        1,
    )
    .unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 2, "{f:?}");
    let one = &ps[0].variants[0];
    assert_eq!(one.sku.as_deref(), Some("AdvancedPricingSimple 1"));
    assert_eq!(one.price_tiers.len(), 3);
    let t = &one.price_tiers[0];
    assert_eq!(t.min_quantity.normalize().to_string(), "10");
    assert_eq!(t.customer_group, None);
    assert_eq!(t.website, None);
    assert_eq!(
        t.price,
        TierPrice::Fixed(Money::new(rust_decimal::Decimal::new(300, 0), "USD"))
    );
    assert_eq!(
        one.price_tiers[1].customer_group.as_deref(),
        Some("General")
    );
    assert!(ps[0]
        .attributes
        .contains_key(crate::platform::magento::PRICING_ONLY));
    assert!(f.iter().any(|x| x.code == "tier_prices_without_products"));

    let (recs, _) = read(
        Platform::Magento,
        &real_repo("import_advanced_pricing_for_additional_attributes_products.csv"),
        Entity::Products,
        10,
    )
    .unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 32);
    let tiers: usize = ps.iter().map(|p| p.variants[0].price_tiers.len()).sum();
    assert_eq!(tiers, 127);
    assert_eq!(
        ps[0].variants[0].price_tiers[1].price,
        TierPrice::PercentOff(rust_decimal::Decimal::new(1500, 2))
    );
}

const CATALOG_FOR_PRICING: &str = "sku,product_type,name,price,url_key,configurable_variations,configurable_variation_labels,additional_attributes
AdvancedPricingSimple 1,simple,Simple One,50,simple-one,,,
cfg-red,simple,Cfg Red,20,cfg-red,,,color=Red
cfg,configurable,Cfg,,cfg,\"sku=cfg-red,color=Red\",color=Color,
";

#[test]
fn tier_prices_join_their_variants_and_travel_magento_to_magento() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("catalog_product.csv"), CATALOG_FOR_PRICING).unwrap();
    std::fs::write(
        dir.path().join("advanced_pricing.csv"),
        "sku,tier_price_website,tier_price_customer_group,tier_price_qty,tier_price,tier_price_value_type\n\
         AdvancedPricingSimple 1,\"All Websites [USD]\",ALL GROUPS,10.0000,45.0000,Fixed\n\
         cfg-red,base,Wholesale,5,10,Discount\n\
         ghost,\"All Websites [USD]\",ALL GROUPS,2,1,Fixed\n\
         cfg-red,base,General,x,10,Fixed\n",
    )
    .unwrap();
    let (recs, f) = read_dir(dir.path(), Entity::Products);
    let ps = products(&recs);
    assert_eq!(ps.len(), 3, "two products and the unknown SKU: {f:#?}");
    assert_eq!(ps[0].variants[0].price_tiers.len(), 1);
    let red = &ps[1].variants[0];
    assert_eq!(red.sku.as_deref(), Some("cfg-red"));
    assert_eq!(
        red.price_tiers.0,
        vec![PriceTier {
            min_quantity: rust_decimal::Decimal::new(5, 0),
            customer_group: Some("Wholesale".into()),
            website: Some("base".into()),
            price: TierPrice::PercentOff(rust_decimal::Decimal::new(10, 0)),
        }]
    );
    assert_eq!(ps[2].source.id, "ghost");
    assert!(
        has_finding(&f, "tier_price_sku_unknown", 4, Some("sku")),
        "{f:#?}"
    );
    assert!(
        has_finding(&f, "bad_number", 5, Some("tier_price_qty")),
        "{f:#?}"
    );

    let out = tempfile::tempdir().unwrap();
    assert!(write(Platform::Magento, out.path(), Entity::Products, &recs).is_empty());
    let pricing = std::fs::read_to_string(out.path().join("advanced_pricing.csv")).unwrap();
    assert_eq!(pricing.lines().count(), 4, "{pricing}");
    assert!(
        pricing.contains("cfg-red,base,Wholesale,5,10,Discount"),
        "{pricing}"
    );
    let catalog = std::fs::read_to_string(out.path().join("catalog_product.csv")).unwrap();
    assert!(
        !catalog.contains("ghost"),
        "a pricing-only SKU gets no catalog row: {catalog}"
    );
    let (again, _) = read_dir(out.path(), Entity::Products);
    let strip = |rs: &[Record]| -> Vec<Vec<(Option<String>, Vec<PriceTier>)>> {
        products(rs)
            .iter()
            .map(|p| {
                p.variants
                    .iter()
                    .map(|v| (v.sku.clone(), v.price_tiers.0.clone()))
                    .collect()
            })
            .collect()
    };
    assert_eq!(strip(&again), strip(&recs));
}

#[test]
fn targets_without_tier_prices_report_them_and_refuse_pricing_only_skus() {
    use crate::files::convert::{convert, ConvertOptions};
    let dir = tempfile::tempdir().unwrap();
    let cat = dir.path().join("catalog_product.csv");
    let pricing = dir.path().join("advanced_pricing.csv");
    std::fs::write(&cat, CATALOG_FOR_PRICING).unwrap();
    std::fs::write(
        &pricing,
        "sku,tier_price_website,tier_price_customer_group,tier_price_qty,tier_price\n\
         AdvancedPricingSimple 1,All Websites [USD],ALL GROUPS,10,45\n",
    )
    .unwrap();
    let out = dir.path().join("shopify");
    let report = crate::files::testkit::rt()
        .block_on(convert(
            Platform::Magento,
            &[cat.clone(), pricing.clone()],
            Platform::Shopify,
            &out,
            &ConvertOptions::default(),
        ))
        .unwrap();
    assert!(report.refused.is_empty(), "{:?}", report.refused);
    let tiers = report
        .not_carried
        .get(&(Entity::Products, "variants[].price_tiers".to_string()));
    assert!(
        tiers.is_some_and(|t| t.records == 1),
        "the tier price is reported as not carried: {:#?}",
        report.not_carried
    );
    // Alone, the pricing file has only SKUs: another platform gets none of them as products.
    let out = dir.path().join("shopify-alone");
    let report = crate::files::testkit::rt()
        .block_on(convert(
            Platform::Magento,
            &[pricing],
            Platform::Shopify,
            &out,
            &ConvertOptions::default(),
        ))
        .unwrap();
    assert_eq!(report.counts[&Entity::Products], (1, 0, 1));
    assert!(report.refused[0].what[0].contains("catalog_product.csv"));
}

#[test]
fn order_grid_reads_totals_and_says_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("orders.csv");
    std::fs::write(
        &p,
        "ID,Purchase Point,Purchase Date,Bill-to Name,Ship-to Name,Grand Total (Base),Grand Total (Purchased),Status,Billing Address,Shipping Address,Customer Email,Subtotal,Shipping and Handling,Payment Method,Total Refunded\n\
         000000001,Main Website,\"Nov 1, 2025 10:00:00 AM\",Veronica Costello,Veronica Costello,$45.00,$45.00,complete,\"6146 Honey Bluff Parkway,Calder,Michigan,49628-7978\",\"6146 Honey Bluff Parkway\",roni_cost@example.com,$40.00,$5.00,Check / Money order,\n\
         000000002,Main Website,\"Nov 2, 2025\",A B,A B,€12,50,€12,50,canceled,,,a@b.test,€10,00,€2,50,,\n",
    )
    .unwrap();
    let (recs, f) = read(Platform::Magento, &p, Entity::Orders, 10).unwrap();
    assert_eq!(recs.len(), 2);
    let Record::Order(o) = &recs[0] else { panic!() };
    assert_eq!(o.totals.total.amount.to_string(), "45.00");
    assert_eq!(o.totals.tax.amount, rust_decimal::Decimal::ZERO);
    assert_eq!(o.fulfillment_status, FulfillmentStatus::Fulfilled);
    assert!(f.iter().any(|x| x.code == "orders_totals_only"));
    assert!(
        f.iter()
            .any(|x| x.code == "ragged_row" && x.location.as_ref().unwrap().line == 3),
        "{f:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn products_round_trip_in_magento_format(seed in any::<u64>(), n in 1usize..6) {
        let dir = tempfile::tempdir().unwrap();
        let recs: Vec<Record> = catalog(seed, n).into_iter().map(Record::Product).collect();
        prop_assert!(write(Platform::Magento, dir.path(), Entity::Products, &recs).is_empty());
        let file = dir.path().join("catalog_product.csv");
        let (first, f1) = read(Platform::Magento, &file, Entity::Products, 3).unwrap();
        prop_assert!(f1.is_empty(), "{:?}", f1);
        prop_assert_eq!(first.len(), n);
        let again = tempfile::tempdir().unwrap();
        prop_assert!(write(Platform::Magento, again.path(), Entity::Products, &first).is_empty());
        let (second, _) = read(Platform::Magento, &again.path().join("catalog_product.csv"), Entity::Products, 7).unwrap();
        prop_assert_eq!(&first, &second);
        for (g, r) in recs.iter().zip(&first) {
            let (Record::Product(g), Record::Product(r)) = (g, r) else { unreachable!() };
            prop_assert_eq!(&g.title, &r.title);
            prop_assert_eq!(&g.categories, &r.categories);
            prop_assert_eq!(g.skus().collect::<Vec<_>>(), r.skus().collect::<Vec<_>>());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1500), which in 0usize..4) {
        let headers = [
            "sku,store_view_code,product_type,name,price,configurable_variations,configurable_variation_labels,additional_attributes,categories\n",
            "email,_website,firstname,_address_street,_address_telephone\n",
            "name,url_key,path,position\n",
            "ID,Grand Total (Purchased),Subtotal,Status\n",
        ];
        let entity = [Entity::Products, Entity::Customers, Entity::Categories, Entity::Orders][which];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let mut bytes = headers[which].as_bytes().to_vec();
        bytes.extend_from_slice(&body);
        std::fs::write(&p, &bytes).unwrap();
        let _ = read(Platform::Magento, &p, entity, 3);
    }
}

/// What Magento's export writes for images: paths inside `pub/media/catalog/product`, never
/// URLs; and labels as Magento's importer reads them (the text after the first `=`, up to the
/// next one).
const EXPORTED: &str = "sku,store_view_code,attribute_set_code,product_type,name,price,url_key,base_image,base_image_label,additional_images,additional_image_labels,additional_attributes,qty,configurable_variations,configurable_variation_labels
cfg-opt-1,,Default,simple,cfg-opt-1,14.99,cfg-opt-1-key,/m/a/magento_image.jpg,Label 1,/m/a/magento_image.jpg,Label 1,test_configurable=Option 1,100,,
cfg-opt-2,,Default,simple,cfg-opt-2,14.99,cfg-opt-2-key,,,,,test_configurable=Option 2,100,,
cfg,,Default,configurable,Configurable,14.99,cfg-key,/m/a/magento_image.jpg,Front,\"/m/a/magento_image.jpg,/m/a/back.jpg\",\"Front,Back\",,,\"sku=cfg-opt-1,test_configurable=Option 1|sku=cfg-opt-2,test_configurable=Option 2\",test_configurable=Test Configurable=ignored
mug,,Default,simple,Mug,5,mug,https://cdn.example.test/mug.jpg,,,,,3,,
";

#[test]
fn exported_image_paths_are_reported_and_labels_read_as_magento_does() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("catalog_product.csv");
    std::fs::write(&p, EXPORTED).unwrap();
    let (recs, f) = read(Platform::Magento, &p, Entity::Products, 10).unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 2);
    assert_eq!(ps[0].options[0].name, "Test Configurable");
    // The paths are kept as found; the finding says what a target needs instead.
    assert_eq!(
        ps[0]
            .images
            .iter()
            .map(|i| i.src.as_str())
            .collect::<Vec<_>>(),
        ["/m/a/magento_image.jpg", "/m/a/back.jpg"]
    );
    let rel: Vec<_> = f
        .iter()
        .filter(|x| x.code == "image_path_not_url")
        .collect();
    assert_eq!(rel.len(), 1, "one finding per file, not per image: {f:#?}");
    assert!(
        has_finding(&f, "image_path_not_url", 4, Some("base_image")),
        "{f:#?}"
    );
    assert!(
        rel[0].message.contains("/m/a/magento_image.jpg") && rel[0].message.contains("2 distinct"),
        "{}",
        rel[0].message
    );
}

#[test]
fn a_media_url_turns_exported_image_paths_into_urls_a_target_can_fetch() {
    use crate::files::convert::{convert, ConvertOptions};
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("catalog_product.csv");
    std::fs::write(&p, EXPORTED).unwrap();
    let out = dir.path().join("shopify");
    let opts = ConvertOptions {
        media_url: Some("https://shop.example.test/media/catalog/product/".into()),
        ..ConvertOptions::default()
    };
    let report = crate::files::testkit::rt()
        .block_on(convert(
            Platform::Magento,
            &[p],
            Platform::Shopify,
            &out,
            &opts,
        ))
        .unwrap();
    assert!(
        !report
            .source_findings
            .iter()
            .any(|f| f.code == "image_path_not_url"),
        "{:#?}",
        report.source_findings
    );
    let file = report
        .files
        .iter()
        .find(|f| f.to_string_lossy().contains("product"))
        .unwrap_or_else(|| panic!("{:?}", report.files));
    let (recs, _) = read(Platform::Shopify, file, Entity::Products, 10).unwrap();
    let srcs: Vec<Vec<String>> = products(&recs)
        .iter()
        .map(|p| p.images.iter().map(|i| i.src.clone()).collect())
        .collect();
    assert_eq!(
        srcs,
        [
            vec![
                "https://shop.example.test/media/catalog/product/m/a/magento_image.jpg".to_string(),
                "https://shop.example.test/media/catalog/product/m/a/back.jpg".to_string(),
            ],
            // Already a URL: left alone.
            vec!["https://cdn.example.test/mug.jpg".to_string()],
        ]
    );
}
