use crate::files::testkit::{catalog, has_finding, products, read, write};
use crate::model::*;
use proptest::prelude::*;

const EXPORT: &str = "Ürün Grup ID,Varyant ID,İsim,Açıklama,Satış Fiyatı,İndirimli Fiyatı,Alış Fiyatı,Barkod Listesi,SKU,Silindi mi?,Marka,Kategoriler,Etiketler,Resim URL,Metadata Başlık,Metadata Açıklama,Slug,Stok:Ana Depo,Stok:Kadıköy,Tip,Varyant Tip 1,Varyant Değer 1,Varyant Tip 2,Varyant Değer 2,Satış Kanalı:Storefront,Varyant Aktiflik,Oluşturulma Tarihi
g1,v1,Kadın Örgü Kazak,<p>Yumuşak</p>,\"1.299,90\",\"999,90\",\"450,00\",8690000000001;8690000000002,KZK-S-SYH,false,Moda,Giyim>Kadın>Kazak;İndirim,yeni;kış,https://c.test/1.jpg;https://c.test/2.jpg,Kazak,Sıcak kazak,kadin-orgu-kazak,3,2,PHYSICAL,Beden,S,Renk,Siyah,VISIBLE,true,2024-01-05
g1,v2,Kadın Örgü Kazak,<p>Yumuşak</p>,\"1.299,90\",,,8690000000018,KZK-M-SYH,false,Moda,Giyim>Kadın>Kazak;İndirim,yeni;kış,https://c.test/3.jpg;https://c.test/1.jpg,Kazak,Sıcak kazak,kadin-orgu-kazak,1,,PHYSICAL,Beden,M,Renk,Siyah,VISIBLE,false,2024-01-05
g1,v3,Kadın Örgü Kazak,,12x,,,,KZK-L-SYH,true,,,,,,,,0,0,PHYSICAL,Beden,L,Renk,Siyah,VISIBLE,true,
g2,v9,Çay Bardağı,,45,,,8.69E+12,CAY,false,,Mutfak,,,,,kadin-orgu-kazak,10,,PHYSICAL,,,,,HIDDEN,true,
,v10,Orphan,,1,,,,X,false,,,,,,,,,,,,,,,,,
";

#[test]
fn export_groups_rows_sums_stock_and_reads_decimal_commas() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ikas.csv");
    let (bytes, _, _) = encoding_rs::WINDOWS_1254.encode(EXPORT);
    std::fs::write(&p, &bytes).unwrap();
    let (recs, f) = read(Platform::Ikas, &p, Entity::Products, 1).unwrap();
    let ps = products(&recs);
    assert_eq!(ps.len(), 2);
    let k = ps[0];
    assert_eq!(k.title, "Kadın Örgü Kazak");
    assert_eq!(k.handle, "kadin-orgu-kazak");
    assert_eq!(k.variants.len(), 2, "the deleted variant is not read");
    assert_eq!(
        k.variants[0].price.as_ref().unwrap().amount.to_string(),
        "999.90"
    );
    assert_eq!(
        k.variants[0]
            .compare_at_price
            .as_ref()
            .unwrap()
            .amount
            .to_string(),
        "1299.90"
    );
    assert_eq!(
        k.variants[0].cost.as_ref().unwrap().amount.to_string(),
        "450.00"
    );
    assert_eq!(k.variants[0].inventory, Some(5));
    assert_eq!(
        k.attributes.get("ikas.stock.Ana Depo").map(String::as_str),
        Some("3,1")
    );
    assert_eq!(
        k.attributes.get("ikas.stock.Kadıköy").map(String::as_str),
        Some("2,")
    );
    assert_eq!(k.variants[0].barcode.as_deref(), Some("8690000000001"));
    assert_eq!(
        k.options
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        ["Beden", "Renk"]
    );
    assert_eq!(
        k.categories,
        vec![vec!["Giyim", "Kadın", "Kazak"], vec!["İndirim"]]
    );
    assert_eq!(k.tags, ["yeni", "kış"]);
    assert_eq!(
        k.images.iter().map(|i| i.src.as_str()).collect::<Vec<_>>(),
        [
            "https://c.test/1.jpg",
            "https://c.test/2.jpg",
            "https://c.test/3.jpg"
        ]
    );
    assert_eq!(k.variants[1].image.as_deref(), Some("https://c.test/3.jpg"));
    assert_eq!(k.seo.description.as_deref(), Some("Sıcak kazak"));
    assert_eq!(ps[1].status, ProductStatus::Draft);
    assert!(
        has_finding(&f, "bad_number", 4, Some("Satış Fiyatı")),
        "{f:#?}"
    );
    assert!(has_finding(
        &f,
        "barcode_damaged",
        5,
        Some("Barkod Listesi")
    ));
    assert!(has_finding(&f, "duplicate_handle", 5, Some("Slug")));
    assert!(has_finding(&f, "missing_group", 6, Some("Ürün Grup ID")));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn products_round_trip_in_ikas_format(seed in any::<u64>(), n in 1usize..6) {
        let dir = tempfile::tempdir().unwrap();
        let recs: Vec<Record> = catalog(seed, n).into_iter().map(Record::Product).collect();
        prop_assert!(write(Platform::Ikas, dir.path(), Entity::Products, &recs).is_empty());
        let (first, f1) = read(Platform::Ikas, &dir.path().join("ikas_products.csv"), Entity::Products, 2).unwrap();
        prop_assert!(f1.is_empty(), "{:?}", f1);
        let again = tempfile::tempdir().unwrap();
        prop_assert!(write(Platform::Ikas, again.path(), Entity::Products, &first).is_empty());
        let (second, _) = read(Platform::Ikas, &again.path().join("ikas_products.csv"), Entity::Products, 5).unwrap();
        prop_assert_eq!(&first, &second);
        for (g, r) in recs.iter().zip(&first) {
            let (Record::Product(g), Record::Product(r)) = (g, r) else { unreachable!() };
            prop_assert_eq!(&g.title, &r.title);
            prop_assert_eq!(&g.categories, &r.categories);
            prop_assert_eq!(&g.options, &r.options);
            prop_assert_eq!(g.images.iter().map(|i| &i.src).collect::<Vec<_>>(), r.images.iter().map(|i| &i.src).collect::<Vec<_>>());
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..1500)) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.csv");
        let mut bytes = "Ürün Grup ID,İsim,Satış Fiyatı,Stok:A,Varyant Tip 1,Varyant Değer 1,Resim URL,Slug\n".as_bytes().to_vec();
        bytes.extend_from_slice(&body);
        std::fs::write(&p, &bytes).unwrap();
        let _ = read(Platform::Ikas, &p, Entity::Products, 3);
    }
}
