use crate::files::testkit::{catalog, has_finding, products, read, write};
use crate::model::*;
use proptest::prelude::*;

const CURRENT: &str = "Item,ID,Name,Type,SKU,Options,Inventory Tracking,Current Stock,Price,Cost Price,Retail Price,Sale Price,Brand Name,Categories,Description,Page Title,Product URL,Meta Description,UPC/EAN,Weight,Is Visible,Variant Image URL,Image URL (Import),Image Description,Image is Thumbnail,Image Sort Order
Image,,,,,,,,,,,,,,,,,,,,,,https://x.test/orphan.jpg,,FALSE,0
Product,77,Orbit Terrarium,physical,OTS,,variant,,109.00,,,,Common Good,Shop All/Garden;Sale,<p>Glass</p>,Orbit,/orbit-terrarium/,A terrarium,,2,TRUE,,,,,
Variant,,,,OTS-S,Type=Rectangle List|Name=Size|Value=Small,,5,99.00,40,,89.00,,,,,,,4006381333931,,,https://x.test/s.jpg,,,,
Variant,,,,OTS-L,Type=Rectangle List|Name=Size|Value=Large,,3,119.00,,,,,,,,,,,abc,,,,,,
Image,,,,,,,,,,,,,,,,,,,,,,https://x.test/2.jpg,Side,FALSE,1
Image,,,,,,,,,,,,,,,,,,,,,,https://x.test/1.jpg,Front,TRUE,0
Gizmo,,,,,,,,,,,,,,,,,,,,,,,,,
Product,78,Mug,physical,MUG,,product,12,9.5,,,,,23;45,,,/orbit-terrarium/,,,,FALSE,,,,,
";

const LEGACY: &str = "Item Type,Product ID,Product Name,Product Type,Product Code/SKU,Brand Name,Product Description,Price,Sale Price,Product Weight,Category,Product Visible?,Track Inventory,Current Stock Level,Product UPC/EAN,Product Image URL - 1,Product Image Description - 1,Product Image Is Thumbnail - 1,Product Image URL - 2,Product Image Is Thumbnail - 2,Page Title,Meta Description,Product URL
Product,1,Tee,P,TEE,Acme,<p>Soft</p>,20.00,,1,Shop All/Clothing;Sale,Y,by option,,,https://x.test/b.jpg,Back,N,https://x.test/a.jpg,Y,Tee title,Tee desc,/tee/
SKU,,\"[S]Size=Large,[RB]Color=Red\",,TEE-L-R,,,[ADD]5,,,,,,4,,,,,,,,,
SKU,,\"[S]Size=Small,[RB]Color=Red\",,TEE-S-R,,,,,,,,,2,,,,,,,,,
Rule,,[S]Size=Small,,,,,[REMOVE]2,,,,,,,,,,,,,,,
Rule,,[S]Size=Huge,,,,,[ADD]1,,,,,,,,,,,,,,,
";

#[test]
fn current_layout_products_variants_images_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("products.csv");
    std::fs::write(&p, CURRENT).unwrap();
    let (recs, f) = read(Platform::BigCommerce, &p, Entity::Products, 1).unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 2);
    let t = ps[0];
    assert_eq!(
        (t.title.as_str(), t.handle.as_str()),
        ("Orbit Terrarium", "orbit-terrarium")
    );
    assert_eq!(t.categories, vec![vec!["Shop All", "Garden"], vec!["Sale"]]);
    assert_eq!(t.options[0].name, "Size");
    assert_eq!(t.options[0].values, ["Small", "Large"]);
    assert_eq!(t.variants.len(), 2);
    assert_eq!(
        t.variants[0].price.as_ref().unwrap().amount.to_string(),
        "89.00"
    );
    assert_eq!(
        t.variants[0]
            .compare_at_price
            .as_ref()
            .unwrap()
            .amount
            .to_string(),
        "99.00"
    );
    assert_eq!(t.variants[0].barcode.as_deref(), Some("4006381333931"));
    assert_eq!(t.variants[0].image.as_deref(), Some("https://x.test/s.jpg"));
    assert_eq!(
        t.images.iter().map(|i| i.src.as_str()).collect::<Vec<_>>(),
        ["https://x.test/1.jpg", "https://x.test/2.jpg"]
    );
    assert_eq!(t.vendor.as_deref(), Some("Common Good"));
    assert_eq!(t.seo.title.as_deref(), Some("Orbit"));
    let mug = ps[1];
    assert_eq!(mug.status, ProductStatus::Draft);
    assert_eq!(mug.variants[0].inventory, Some(12));
    assert_eq!(
        mug.attributes
            .get("bigcommerce.category_ids")
            .map(String::as_str),
        Some("23;45")
    );
    assert!(
        has_finding(&f, "variant_without_product", 2, Some("Item")),
        "{f:#?}"
    );
    assert!(has_finding(&f, "bad_number", 5, Some("Weight")));
    assert!(has_finding(&f, "unknown_type", 8, Some("Item")));
    assert!(has_finding(&f, "duplicate_handle", 9, Some("Product URL")));
}

#[test]
fn legacy_layout_skus_rules_and_image_columns() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("legacy.csv");
    std::fs::write(&p, LEGACY).unwrap();
    let (recs, f) = read(Platform::BigCommerce, &p, Entity::Products, 10).unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 1);
    let t = ps[0];
    assert_eq!(
        t.options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["Size", "Color"]
    );
    assert_eq!(t.variants.len(), 2);
    assert_eq!(t.variants[0].option_values, ["Large", "Red"]);
    assert_eq!(
        t.variants[0].price.as_ref().unwrap().amount.to_string(),
        "25.00",
        "[ADD]5 on 20.00"
    );
    assert_eq!(
        t.variants[1].price.as_ref().unwrap().amount.to_string(),
        "18.00",
        "rule [REMOVE]2 on 20.00"
    );
    assert_eq!(
        t.categories,
        vec![vec!["Shop All", "Clothing"], vec!["Sale"]]
    );
    assert_eq!(
        t.images[0].src, "https://x.test/a.jpg",
        "the thumbnail comes first"
    );
    assert_eq!(t.images[1].alt.as_deref(), Some("Back"));
    assert!(
        has_finding(&f, "rule_not_carried", 6, Some("Product Name")),
        "{f:#?}"
    );
}

#[test]
fn order_export_reads_line_items_from_product_details() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("orders.csv");
    std::fs::write(
        &p,
        "Order ID,Customer ID,Customer Email,Order Date,Order Status,Subtotal (ex tax),Tax Total,Shipping Cost (ex tax),Ship Method,Order Total (inc tax),Order Currency Code,Billing First Name,Billing Last Name,Billing Street 1,Billing Suburb,Billing Country,Billing Zip,Product Details\n\
         101,5,jo@example.com,2025-01-02,Shipped,30.00,3.00,5.00,Flat Rate,38.00,USD,Jo,Doe,1 Main St,Austin,US,78701,\"Product ID: 1, Product Qty: 2, Product SKU: A, Product Name: Hat, blue, Product Unit Price: 10.00, Product Total Price: 20.00|Product ID: 2, Product Qty: 1, Product SKU: B, Product Name: Mug, Product Unit Price: 10.00, Product Total Price: 10.00\"\n\
         102,0,g@example.com,2025-01-03,Pending,10.00,0,0,,99.00,USD,,,,,,,\"Product ID: 3, Product Qty: x\"\n",
    )
    .unwrap();
    let (recs, f) = read(Platform::BigCommerce, &p, Entity::Orders, 10).unwrap();
    assert_eq!(recs.len(), 2);
    let Record::Order(o) = &recs[0] else { panic!() };
    assert_eq!(o.line_items.len(), 2);
    assert_eq!(o.line_items[0].title, "Hat, blue");
    assert_eq!(o.line_items[0].quantity, 2);
    assert_eq!(o.computed_total(), o.totals.total.amount);
    assert_eq!(o.fulfillment_status, FulfillmentStatus::Fulfilled);
    assert!(
        has_finding(&f, "bad_line_item", 3, Some("Product Details")),
        "{f:#?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn products_round_trip_in_bigcommerce_format(seed in any::<u64>(), n in 1usize..6) {
        let dir = tempfile::tempdir().unwrap();
        let recs: Vec<Record> = catalog(seed, n).into_iter().map(Record::Product).collect();
        prop_assert!(write(Platform::BigCommerce, dir.path(), Entity::Products, &recs).is_empty());
        let (first, f1) = read(Platform::BigCommerce, &dir.path().join("products.csv"), Entity::Products, 2).unwrap();
        prop_assert!(f1.is_empty(), "{:?}", f1);
        let again = tempfile::tempdir().unwrap();
        prop_assert!(write(Platform::BigCommerce, again.path(), Entity::Products, &first).is_empty());
        let (second, _) = read(Platform::BigCommerce, &again.path().join("products.csv"), Entity::Products, 5).unwrap();
        prop_assert_eq!(&first, &second);
        for (g, r) in recs.iter().zip(&first) {
            let (Record::Product(g), Record::Product(r)) = (g, r) else { unreachable!() };
            prop_assert_eq!(&g.title, &r.title);
            prop_assert_eq!(&g.options, &r.options);
            prop_assert_eq!(g.skus().collect::<Vec<_>>(), r.skus().collect::<Vec<_>>());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1500), which in 0usize..3) {
        let headers = [
            "Item,Name,SKU,Options,Price,Sale Price,Categories,Image URL (Import),Image is Thumbnail,Product URL\n",
            "Item Type,Product Name,Product Code/SKU,Price,Category,Product Image URL - 1\n",
            "Order ID,Order Total (inc tax),Subtotal (ex tax),Product Details\n",
        ];
        let entity = [Entity::Products, Entity::Products, Entity::Orders][which];
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let mut bytes = headers[which].as_bytes().to_vec();
        bytes.extend_from_slice(&body);
        std::fs::write(&p, &bytes).unwrap();
        let _ = read(Platform::BigCommerce, &p, entity, 3);
    }
}

#[test]
fn variant_limit_comes_from_the_platform_facts() {
    let mut p = catalog(1, 1).remove(0);
    let v = p.variants[0].clone();
    p.options = vec![ProductOption {
        name: "N".into(),
        values: (0..601).map(|i| i.to_string()).collect(),
    }];
    p.variants = (0..601)
        .map(|i| Variant {
            sku: Some(format!("S{i}")),
            option_values: vec![i.to_string()],
            ..v.clone()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let refused = write(
        Platform::BigCommerce,
        dir.path(),
        Entity::Products,
        &[Record::Product(p)],
    );
    assert!(refused[0].contains("600"), "{refused:?}");
}

/// An export holds both image URL columns and fills only "Internal Image URL (Export)";
/// a variant with two options writes them one after the other ("...Value=BlackType=...").
const EXPORTED: &str = "Item,ID,Name,Type,SKU,Options,Inventory Tracking,Current Stock,Price,Categories,Product URL,Weight,Is Visible,Variant Image URL,Internal Image URL (Export),Image URL (Import),Image Description,Image is Thumbnail,Image Sort Order
Product,501,Field Tee,physical,FT,,variant,0,19.99,,/field-tee/,0.2,TRUE,,,,,,
Variant,601,,,FT-BLK-M,Type=Rectangle|Name=Color|Value=BlackType=Rectangle|Name=Size|Value=M,,4,19.99,,,,,,,,,,
Variant,602,,,FT-WHT-L,Type=Swatch|Name=Color|Value=White[#FFFFFF]Type=Rectangle|Name=Size|Value=L,,2,21.99,,,,,,,,,,
Image,701,,,,,,,,,,,,,https://cdn.test/products/501/front.jpg,,Front,TRUE,0
Image,702,,,,,,,,,,,,,https://cdn.test/products/501/back.jpg,,Back,FALSE,1
";

#[test]
fn exported_image_urls_and_back_to_back_options_are_read() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("products-export.csv");
    std::fs::write(&p, EXPORTED).unwrap();
    let (recs, f) = read(Platform::BigCommerce, &p, Entity::Products, 10).unwrap();
    assert!(!f.iter().any(|x| x.code == "missing_image_url"), "{f:#?}");
    let ps = products(&recs);
    assert_eq!(ps.len(), 1);
    let t = ps[0];
    assert_eq!(
        t.images
            .iter()
            .map(|i| (i.src.as_str(), i.alt.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("https://cdn.test/products/501/front.jpg", Some("Front")),
            ("https://cdn.test/products/501/back.jpg", Some("Back")),
        ]
    );
    let names: Vec<&str> = t.options.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["Color", "Size"]);
    assert_eq!(t.options[0].values, ["Black", "White"]);
    assert_eq!(t.options[1].values, ["M", "L"]);
    assert_eq!(t.variants[1].option_values, ["White", "L"]);
}

#[test]
fn options_parse_with_or_without_a_separator_between_options() {
    let want = vec![
        ("Color".to_string(), "Red".to_string()),
        ("Size".to_string(), "S".to_string()),
    ];
    for text in [
        "Type=Swatch|Name=Color|Value=Red[#FF0000]|Type=Rectangle List|Name=Size|Value=S",
        "Type=Swatch|Name=Color|Value=Red[#FF0000]Type=Rectangle List|Name=Size|Value=S",
        "Type=Swatch|Name=Color|Value=RedType=Rectangle List|Name=Size|Value=S",
    ] {
        assert_eq!(super::products::parse_options(text), want, "{text}");
    }
}
