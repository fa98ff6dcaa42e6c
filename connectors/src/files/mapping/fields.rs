//! The canonical fields a column can be mapped onto, with the names and synonyms exports give
//! them in the platforms' languages (English, Turkish, German, French, Spanish, Italian,
//! Portuguese, Dutch, Polish, Russian) and the shape their values have.
//!
//! Synonyms are written folded (lower case, ASCII, words separated by one space: see
//! [`fold`]), so "Ürün Adı", "urun_adi" and "ÜrünAdı" all meet "urun adi". WooCommerce's own
//! column names in each language come from its translation catalogues
//! ([`crate::files::woocommerce::l10n`]) and are added to these at run time.

use super::shape::Shape;
use crate::model::Entity;

macro_rules! fields {
    ($($variant:ident = $key:literal, $entity:ident, $shape:ident, $label:literal, [$($syn:literal),* $(,)?];)*) => {
        /// A canonical field a column can hold.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Field {
            $($variant,)*
        }

        impl Field {
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The name written in mapping files: `product.title`, `variant.sku`, ...
            pub fn key(self) -> &'static str {
                match self {
                    $(Field::$variant => $key,)*
                }
            }

            /// The entity a file holding this field is.
            pub fn entity(self) -> Entity {
                match self {
                    $(Field::$variant => Entity::$entity,)*
                }
            }

            /// What the field is, for people.
            pub fn label(self) -> &'static str {
                match self {
                    $(Field::$variant => $label,)*
                }
            }

            /// The shape values of this field have.
            pub fn shape(self) -> Shape {
                match self {
                    $(Field::$variant => Shape::$shape,)*
                }
            }

            /// Column names (folded) that mean this field, in the platforms' languages.
            pub fn synonyms(self) -> &'static [&'static str] {
                match self {
                    $(Field::$variant => &[$($syn,)*],)*
                }
            }
        }
    };
}

fields! {
    ProductId = "product.id", Products, Code, "the product's id in the old store",
        ["id", "product id", "post id", "item id", "urun id", "urun no", "produkt id", "artikel id",
         "id produit", "id producto", "id prodotto", "id produto", "product nummer", "id produktu",
         "id tovara", "entity id"];
    ProductHandle = "product.handle", Products, Slug, "URL handle (slug)",
        ["handle", "url handle", "slug", "post name", "url key", "permalink slug", "seo url",
         "url", "product url key", "kisa link", "seo link", "url adi", "url schlussel",
         "url schluessel", "slug produit", "url amigable", "url chiave", "slug do produto",
         "url produktu", "adres url", "yarlyk", "ssylka"];
    ProductTitle = "product.title", Products, Text, "product name",
        ["title", "name", "product name", "product title", "post title", "item name",
         "product", "urun adi", "urun ismi", "isim", "ad", "baslik", "urun", "produktname",
         "bezeichnung", "artikelname", "titel", "nom", "nom du produit", "titre", "nombre",
         "nombre del producto", "titulo", "nome", "nome do produto", "nome prodotto", "titolo",
         "naam", "productnaam", "nazwa", "nazwa produktu", "tytul", "nazvanie", "naimenovanie",
         "tovar", "imya"];
    ProductDescription = "product.description", Products, Html, "description (HTML)",
        ["description", "body", "body html", "content", "post content",
         "long description", "product description", "aciklama", "urun aciklamasi", "detay",
         "beschreibung", "produktbeschreibung", "description longue", "descripcion", "descrizione",
         "descricao", "omschrijving", "beschrijving", "opis", "opisanie"];
    ProductShortDescription = "product.short_description", Products, Html, "short description",
        ["short description", "excerpt", "post excerpt", "summary", "kisa aciklama", "ozet",
         "kurzbeschreibung", "description courte", "descripcion corta", "breve descrizione",
         "descricao curta", "korte omschrijving", "krotki opis", "kratkoe opisanie"];
    ProductVendor = "product.vendor", Products, Text, "vendor / brand",
        ["vendor", "brand", "brands", "manufacturer", "marka", "markalar", "uretici", "tedarikci",
         "marke", "hersteller", "marque", "fabricant", "marca", "fabricante", "produttore",
         "merk", "fabrikant", "producent", "marka produktu", "proizvoditel", "brend"];
    ProductType = "product.type", Products, Text, "product type (a merchant's own grouping)",
        ["product type", "type", "urun tipi", "urun turu", "produkttyp", "type de produit",
         "tipo de producto", "tipo di prodotto", "tipo de produto", "producttype", "typ produktu",
         "tip tovara"];
    ProductTags = "product.tags", Products, List, "tags",
        ["tags", "product tags", "etiketler", "etiket", "schlagworte", "schlagwoerter",
         "etiquettes", "etiquetas", "tag", "etichette", "tags do produto", "tagi", "metki"];
    ProductCategories = "product.categories", Products, Path, "categories (paths like A > B)",
        ["categories", "category", "product categories", "product category", "collection",
         "collections", "tax product cat", "kategori", "kategoriler", "kategorie", "kategorien",
         "categorie", "categoria", "categorias", "categorie prodotto", "categorieen", "kategorie produktu",
         "kategoria", "kategoriya", "kategorii", "razdel"];
    ProductStatus = "product.status", Products, Status, "status (active, draft, archived; publish)",
        ["status", "post status", "product status", "state", "durum", "yayin durumu", "statut",
         "estado", "stato", "situacao", "staat", "stan", "status produktu"];
    ProductPublished = "product.published", Products, Boolean, "published (yes / no)",
        ["published", "visible", "enabled", "active", "is active", "yayinda", "aktif",
         "veroffentlicht", "aktiv", "publie", "publicado", "activo", "pubblicato", "attivo",
         "gepubliceerd", "opublikowany", "aktywny", "opublikovan", "aktiven"];
    ProductImages = "product.images", Products, ImageUrl, "image URLs",
        ["images", "image", "image src", "image url", "image urls", "product image url",
         "featured image", "gallery", "picture", "photo", "gorsel", "gorseller", "resim",
         "resimler", "fotograf", "bild", "bilder", "bild url", "images du produit", "imagen",
         "imagenes", "immagine", "immagini", "imagem", "imagens", "afbeelding", "afbeeldingen",
         "zdjecie", "zdjecia", "obrazek", "izobrazhenie", "izobrazheniya", "foto", "kartinka"];
    ProductSeoTitle = "product.seo_title", Products, Text, "SEO title",
        ["seo title", "meta title", "page title", "yoast wpseo title", "seo baslik", "seo titel",
         "titre seo", "titulo seo", "titolo seo", "seo titel", "tytul seo", "seo zagolovok"];
    ProductSeoDescription = "product.seo_description", Products, Text, "SEO description",
        ["seo description", "meta description", "yoast wpseo metadesc", "seo aciklama",
         "meta aciklama", "seo beschreibung", "description seo", "descripcion seo",
         "descrizione seo", "meta opis", "seo opisanie"];
    ProductKind = "product.kind", Products, Kind, "row type (simple, variable, variation)",
        ["product type", "type", "tax product type", "post type", "row type", "item type"];
    ProductParent = "product.parent", Products, Reference, "parent product (SKU or id of the parent row)",
        ["parent", "parent sku", "parent id", "parent product", "parent product id",
         "post parent", "ust urun", "ana urun", "ana urun kodu", "elternprodukt", "produit parent",
         "producto padre", "prodotto padre", "produto pai", "ouderproduct", "produkt nadrzedny",
         "element nadrzedny", "roditel", "roditelskiy tovar"];
    VariantSku = "variant.sku", Products, Sku, "SKU",
        ["sku", "variant sku", "stock code", "product code", "item code", "article number",
         "code", "model", "mpn", "ref", "reference", "stok kodu", "urun kodu", "stok kodu sku",
         "artikelnummer", "art nr", "artikelnr", "ugs", "reference produit", "referencia",
         "codigo", "codice", "codigo do produto", "artikelcode", "kod produktu", "kod",
         "artykul", "artikul", "kod tovara"];
    VariantBarcode = "variant.barcode", Products, Barcode, "barcode (GTIN, EAN, UPC, ISBN)",
        ["barcode", "variant barcode", "gtin", "ean", "upc", "isbn", "gtin upc ean or isbn",
         "gtin upc ean isbn", "barkod", "strichcode", "code barre", "code barres",
         "codigo de barras", "codice a barre", "streepjescode", "kod kreskowy", "shtrikh kod",
         "shtrihkod"];
    VariantPrice = "variant.price", Products, Price, "price",
        ["price", "variant price", "regular price", "selling price", "retail price", "unit price",
         "fiyat", "satis fiyati", "normal fiyat", "liste fiyati", "preis", "verkaufspreis",
         "regularer preis", "normaler preis", "prix", "prix regulier", "prix de vente", "precio",
         "precio normal", "prezzo", "prezzo di listino", "preco", "preco normal", "preco regular",
         "prijs", "reguliere prijs", "cena", "cena regularna", "tsena", "bazovaya tsena",
         "obychnaya tsena"];
    VariantCompareAtPrice = "variant.compare_at_price", Products, Price, "compare-at price (the price before a discount)",
        ["compare at price", "variant compare at price", "old price",
         "was price", "list price", "msrp", "rrp", "original price", "eski fiyat",
         "piyasa fiyati", "alte preis", "uvp", "streichpreis", "ancien prix", "prix barre",
         "precio anterior", "prezzo barrato", "preco antigo", "oude prijs", "stara cena",
         "staraya tsena"];
    VariantSalePrice = "variant.sale_price", Products, Price, "sale price (replaces the price while it is set)",
        ["sale price", "special price", "discount price", "discounted price", "indirimli fiyat",
         "indirimli satis fiyati", "kampanyali fiyat", "angebotspreis", "sonderpreis",
         "prix promo", "prix de vente promotionnel", "precio rebajado", "precio de oferta",
         "prezzo in offerta", "prezzo scontato", "preco promocional", "preco de venda",
         "aanbiedingsprijs", "cena promocyjna", "tsena rasprodazhi", "tsena so skidkoy",
         "aktsionnaya tsena"];
    VariantCost = "variant.cost", Products, Price, "cost per item",
        ["cost", "cost per item", "cost price", "unit cost", "purchase price", "cost of goods",
         "maliyet", "alis fiyati", "einkaufspreis", "kosten", "cout", "prix d achat", "coste",
         "precio de compra", "costo", "custo", "inkoopprijs", "koszt", "cena zakupu",
         "sebestoimost", "zakupochnaya tsena"];
    VariantWeight = "variant.weight", Products, Decimal, "weight (the unit from the column name, else kg)",
        ["weight", "variant grams", "grams", "weight kg", "weight g", "weight lbs", "weight oz",
         "shipping weight", "agirlik", "desi", "gewicht", "poids", "peso", "gewicht kg",
         "waga", "ves", "massa"];
    VariantInventory = "variant.inventory", Products, Integer, "stock quantity",
        ["stock", "inventory", "quantity", "qty", "stock quantity", "inventory quantity",
         "variant inventory qty", "on hand", "available", "stok", "stok adedi", "stok miktari",
         "miktar", "adet", "bestand", "lagerbestand", "menge", "stock disponible", "quantite",
         "existencias", "cantidad", "scorte", "quantita", "giacenza", "estoque", "quantidade",
         "voorraad", "aantal", "stan magazynowy", "ilosc", "magazyn", "zapas", "ostatok",
         "kolichestvo", "nalichie"];
    VariantImage = "variant.image", Products, ImageUrl, "the variant's image URL",
        ["variant image", "variant image url", "variation image", "varyant gorseli", "variantenbild"];
    CustomerId = "customer.id", Customers, Integer, "the customer's id in the old store",
        ["customer id", "id", "user id", "customer number", "musteri id", "musteri no",
         "kunden id", "kundennummer", "id client", "id cliente", "klant id", "id klienta",
         "id klienta", "nomer klienta"];
    CustomerEmail = "customer.email", Customers, Email, "email",
        ["email", "e mail", "email address", "customer email", "user email", "billing email",
         "e posta", "eposta", "e posta adresi", "mail", "courriel", "correo", "correo electronico",
         "posta elettronica", "e mailadres", "adres e mail", "elektronnaya pochta", "pochta"];
    CustomerFirstName = "customer.first_name", Customers, Name, "first name",
        ["first name", "firstname", "given name", "billing first name", "forename", "ad", "adi",
         "isim", "vorname", "prenom", "nombre", "nome", "voornaam", "imie", "imya"];
    CustomerLastName = "customer.last_name", Customers, Name, "last name",
        ["last name", "lastname", "surname", "family name", "billing last name", "soyad",
         "soyadi", "nachname", "familienname", "nom de famille", "nom", "apellido", "apellidos",
         "cognome", "sobrenome", "achternaam", "nazwisko", "familiya"];
    CustomerName = "customer.name", Customers, Name, "full name (read as the first name)",
        ["name", "full name", "customer name", "customer", "client", "ad soyad", "adi soyadi",
         "musteri", "musteri adi", "kunde", "kundenname", "nom complet", "nombre completo",
         "nome completo", "volledige naam", "imie i nazwisko", "klient", "fio", "polnoe imya"];
    CustomerPhone = "customer.phone", Customers, Phone, "phone",
        ["phone", "telephone", "phone number", "mobile", "cell", "billing phone", "telefon",
         "cep", "cep telefonu", "gsm", "telefonnummer", "handy", "telephone portable",
         "telefono", "movil", "cellulare", "telefone", "celular", "telefoon", "mobiel",
         "numer telefonu", "telefon komorkowy", "mobilnyy"];
    CustomerTags = "customer.tags", Customers, List, "tags",
        ["tags", "customer tags", "groups", "segment", "etiketler", "grup", "kundengruppe",
         "groupe", "grupo", "gruppo", "groep", "grupa", "gruppa", "metki"];
    CustomerNote = "customer.note", Customers, Text, "note",
        ["note", "notes", "comment", "comments", "not", "notlar", "aciklama", "notiz", "bemerkung",
         "commentaire", "nota", "notas", "opmerking", "notatka", "uwagi", "primechanie",
         "kommentariy"];
    CustomerAcceptsMarketing = "customer.accepts_marketing", Customers, Boolean, "accepts email marketing",
        ["accepts marketing", "accepts email marketing", "newsletter", "subscribed",
         "marketing opt in", "opt in", "bulten", "e bulten", "izin", "ticari ileti izni",
         "newsletter abonniert", "abonne", "suscrito", "iscritto newsletter", "inscrito",
         "nieuwsbrief", "zgoda marketingowa", "podpiska", "rassylka"];
    CustomerCreatedAt = "customer.created_at", Customers, Date, "registration date",
        ["date registered", "registered", "created at", "created", "signup date", "user registered",
         "date created", "kayit tarihi", "uyelik tarihi", "registriert am", "date d inscription",
         "fecha de registro", "data di registrazione", "data de cadastro", "registratiedatum",
         "data rejestracji", "data registratsii"];
    AddressName = "address.name", Customers, Name, "billing name (whole)",
        ["billing name", "billing full name", "fatura adi", "rechnungsname"];
    AddressCompany = "address.company", Customers, Text, "company",
        ["company", "billing company", "default address company", "organization", "firma",
         "sirket", "sirket adi", "unternehmen", "societe", "entreprise", "empresa", "azienda",
         "societa", "bedrijf", "firma", "kompaniya", "organizatsiya"];
    AddressAddress1 = "address.address1", Customers, Text, "street address",
        ["address", "address1", "address 1", "street", "street address", "address line 1",
         "billing address 1", "billing address1", "billing street", "default address address1",
         "adres", "adres 1", "acik adres", "sokak", "strasse", "anschrift", "adresse",
         "adresse 1", "direccion", "calle", "indirizzo", "via", "endereco", "rua", "adres",
         "straat", "ulica", "adres", "ulitsa"];
    AddressAddress2 = "address.address2", Customers, Text, "address line 2",
        ["address2", "address 2", "address line 2", "billing address 2", "billing address2",
         "default address address2", "adres 2", "adresszusatz", "complement d adresse",
         "adresse 2", "direccion 2", "indirizzo 2", "complemento", "adres 2", "adres cd"];
    AddressCity = "address.city", Customers, Text, "city",
        ["city", "town", "billing city", "default address city", "sehir", "il", "ilce", "stadt",
         "ort", "ville", "ciudad", "localidad", "citta", "cidade", "plaats", "stad", "miasto",
         "miejscowosc", "gorod"];
    AddressProvince = "address.province", Customers, Text, "state / province",
        ["province", "state", "region", "county", "billing state", "province code",
         "default address province code", "il", "eyalet", "bundesland", "etat", "provincia",
         "estado", "regione", "provincie", "wojewodztwo", "oblast", "region"];
    AddressZip = "address.zip", Customers, Zip, "postal code",
        ["zip", "zip code", "postcode", "postal code", "billing postcode", "default address zip",
         "posta kodu", "plz", "postleitzahl", "code postal", "codigo postal", "cap",
         "codice postale", "cep", "postcode", "kod pocztowy", "pochtovyy indeks", "indeks"];
    AddressCountry = "address.country", Customers, Country, "country (ISO code)",
        ["country", "country code", "billing country", "default address country code", "ulke",
         "land", "pays", "pais", "paese", "nazione", "pais", "kraj", "strana"];
    AddressPhone = "address.phone", Customers, Phone, "the address's phone",
        ["address phone", "default address phone", "billing phone", "fatura telefonu"];
    ShippingName = "shipping.name", Orders, Name, "shipping name (whole)",
        ["shipping name", "ship to", "recipient", "teslimat adi", "alici", "lieferung name",
         "empfanger"];
    ShippingAddress1 = "shipping.address1", Orders, Text, "shipping street address",
        ["shipping address", "shipping address 1", "shipping address1", "shipping street",
         "teslimat adresi", "lieferadresse", "adresse de livraison", "direccion de envio",
         "indirizzo di spedizione", "endereco de entrega", "verzendadres", "adres dostawy",
         "adres dostavki"];
    ShippingAddress2 = "shipping.address2", Orders, Text, "shipping address line 2",
        ["shipping address 2", "shipping address2"];
    ShippingCity = "shipping.city", Orders, Text, "shipping city",
        ["shipping city", "teslimat sehri", "lieferort"];
    ShippingProvince = "shipping.province", Orders, Text, "shipping state / province",
        ["shipping state", "shipping province", "shipping region"];
    ShippingZip = "shipping.zip", Orders, Zip, "shipping postal code",
        ["shipping zip", "shipping postcode", "shipping postal code"];
    ShippingCountry = "shipping.country", Orders, Country, "shipping country",
        ["shipping country", "shipping country code", "teslimat ulkesi"];
    ShippingPhone = "shipping.phone", Orders, Phone, "shipping phone",
        ["shipping phone", "teslimat telefonu"];
    OrderNumber = "order.number", Orders, Code, "order number",
        ["order number", "order", "order no", "order id", "order name", "name", "number",
         "siparis no", "siparis numarasi", "siparis", "siparis id", "bestellnummer", "bestellung",
         "numero de commande", "commande", "numero de pedido", "pedido", "numero ordine",
         "ordine", "numero do pedido", "bestelnummer", "numer zamowienia", "zamowienie",
         "nomer zakaza", "zakaz"];
    OrderId = "order.id", Orders, Integer, "the order's id in the old store",
        ["id", "order id", "post id", "siparis id"];
    OrderEmail = "order.email", Orders, Email, "customer email",
        ["email", "customer email", "billing email", "e posta", "musteri e posta", "kunden e mail",
         "email client", "correo del cliente", "email cliente", "klant e mail", "email klienta",
         "email pokupatelya"];
    OrderCreatedAt = "order.created_at", Orders, Date, "order date",
        ["created at", "order date", "date", "date created", "paid at", "processed at",
         "siparis tarihi", "tarih", "bestelldatum", "datum", "date de commande", "fecha",
         "fecha del pedido", "data ordine", "data", "data do pedido", "besteldatum",
         "data zamowienia", "data zakaza", "data"];
    OrderCurrency = "order.currency", Orders, Currency, "currency (ISO code)",
        ["currency", "order currency", "para birimi", "doviz", "wahrung", "devise", "moneda",
         "valuta", "moeda", "waluta", "valyuta"];
    OrderTotal = "order.total", Orders, Price, "order total",
        ["total", "order total", "grand total", "amount", "total price", "toplam", "genel toplam",
         "siparis tutari", "tutar", "gesamt", "gesamtbetrag", "summe", "montant total", "total ttc",
         "importe total", "totale", "totale ordine", "valor total", "totaal", "suma",
         "wartosc zamowienia", "itogo", "summa", "summa zakaza"];
    OrderSubtotal = "order.subtotal", Orders, Price, "subtotal",
        ["subtotal", "sub total", "ara toplam", "zwischensumme", "sous total", "subtotale",
         "subtotaal", "suma czesciowa", "podytog", "promezhutochnyy itog"];
    OrderShipping = "order.shipping", Orders, Price, "shipping cost",
        ["shipping", "shipping total", "shipping cost", "shipping price", "kargo", "kargo ucreti",
         "versandkosten", "versand", "frais de port", "livraison", "envio", "gastos de envio",
         "spedizione", "frete", "verzendkosten", "wysylka", "koszt wysylki", "dostavka",
         "stoimost dostavki"];
    OrderTax = "order.tax", Orders, Price, "tax",
        ["tax", "taxes", "tax total", "vat", "kdv", "vergi", "mwst", "steuer", "tva", "taxe",
         "iva", "impuesto", "imposta", "imposto", "btw", "podatek", "vat", "nds", "nalog"];
    OrderDiscount = "order.discount", Orders, Price, "discount amount",
        ["discount", "discount amount", "discount total", "cart discount", "indirim",
         "indirim tutari", "rabatt", "remise", "reduction", "descuento", "sconto", "desconto",
         "korting", "rabat", "znizka", "skidka"];
    OrderDiscountCode = "order.discount_code", Orders, Text, "discount code",
        ["discount code", "coupon", "coupon code", "coupons", "kupon", "kupon kodu",
         "gutscheincode", "code promo", "codigo de descuento", "codice sconto", "cupom",
         "kortingscode", "kod rabatowy", "promokod", "kupon"];
    OrderFinancialStatus = "order.financial_status", Orders, Text, "payment status",
        ["financial status", "payment status", "paid", "odeme durumu", "zahlungsstatus",
         "statut du paiement", "estado del pago", "stato pagamento", "status do pagamento",
         "betaalstatus", "status platnosci", "status oplaty"];
    OrderFulfillmentStatus = "order.fulfillment_status", Orders, Text, "fulfilment status",
        ["fulfillment status", "order status", "status", "shipping status", "siparis durumu",
         "durum", "kargo durumu", "bestellstatus", "status", "statut de la commande",
         "estado del pedido", "stato ordine", "status do pedido", "bestelstatus",
         "status zamowienia", "status zakaza"];
    OrderNote = "order.note", Orders, Text, "order note",
        ["note", "notes", "customer note", "order note", "siparis notu", "not", "anmerkung",
         "notiz", "note de commande", "nota", "notas", "opmerking", "uwagi", "kommentariy"];
    OrderShippingMethod = "order.shipping_method", Orders, Text, "shipping method",
        ["shipping method", "carrier", "kargo firmasi", "teslimat yontemi", "versandart",
         "mode de livraison", "metodo de envio", "metodo di spedizione", "metodo de envio",
         "verzendmethode", "metoda wysylki", "sposob dostavki"];
    OrderPaymentMethod = "order.payment_method", Orders, Text, "payment method",
        ["payment method", "payment gateway", "gateway", "odeme yontemi", "odeme tipi",
         "zahlungsart", "zahlungsmethode", "moyen de paiement", "metodo de pago",
         "metodo di pagamento", "forma de pagamento", "betaalmethode", "metoda platnosci",
         "sposob oplaty"];
    LineTitle = "line.title", Orders, Text, "line item: product name",
        ["lineitem name", "item name", "product name", "product", "item", "line item",
         "urun adi", "urun", "artikel", "produkt", "produit", "article", "producto", "prodotto",
         "produto", "product", "produkt", "tovar", "naimenovanie"];
    LineSku = "line.sku", Orders, Sku, "line item: SKU",
        ["lineitem sku", "sku", "item sku", "product sku", "stok kodu", "urun kodu",
         "artikelnummer", "reference", "referencia", "codice", "artikelcode", "kod produktu",
         "artikul"];
    LineQuantity = "line.quantity", Orders, Integer, "line item: quantity",
        ["lineitem quantity", "quantity", "qty", "item quantity", "adet", "miktar", "menge",
         "anzahl", "quantite", "cantidad", "quantita", "quantidade", "aantal", "ilosc",
         "kolichestvo"];
    LinePrice = "line.price", Orders, Price, "line item: unit price",
        ["lineitem price", "item price", "unit price", "item cost", "price", "birim fiyat",
         "fiyat", "einzelpreis", "preis", "prix unitaire", "prix", "precio unitario", "precio",
         "prezzo unitario", "prezzo", "preco unitario", "preco", "stukprijs", "prijs",
         "cena jednostkowa", "cena", "tsena"];
    LineDiscount = "line.discount", Orders, Price, "line item: discount",
        ["lineitem discount", "item discount", "line discount"];
}

impl Field {
    /// The field named `key` in a mapping file.
    pub fn parse(key: &str) -> Option<Field> {
        let k = key.trim().to_ascii_lowercase();
        Field::ALL.iter().copied().find(|f| f.key() == k)
    }

    /// Fields an address of an order is made of: the billing and the shipping side.
    pub fn is_address(self) -> bool {
        self.key().starts_with("address.") || self.key().starts_with("shipping.")
    }

    /// Whether a column of `entity` may hold this field: address fields belong to customers
    /// and orders alike, line items and shipping addresses to orders.
    pub fn fits(self, entity: Entity) -> bool {
        if self.is_address() {
            return matches!(entity, Entity::Customers | Entity::Orders);
        }
        match self.entity() {
            e if e == entity => true,
            Entity::Customers => {
                entity == Entity::Orders
                    && (self.is_address()
                        || matches!(
                            self,
                            Field::CustomerEmail
                                | Field::CustomerPhone
                                | Field::CustomerFirstName
                                | Field::CustomerLastName
                                | Field::CustomerName
                        ))
            }
            _ => false,
        }
    }
}

/// Folds a column name for comparison: ASCII (transliterated), lower case, `_`, `-`, `:`
/// and camel case split into words, punctuation dropped, words joined by one space.
pub fn fold(name: &str) -> String {
    let ascii = deunicode::deunicode(name);
    let mut out = String::with_capacity(ascii.len());
    let mut prev_lower = false;
    let mut pending_space = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if c.is_ascii_uppercase() && prev_lower {
                pending_space = true;
            }
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            pending_space = false;
            out.push(c.to_ascii_lowercase());
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        } else {
            pending_space = true;
            prev_lower = false;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_unique_and_parse_back() {
        for f in Field::ALL {
            assert_eq!(Field::parse(f.key()), Some(*f), "{}", f.key());
            assert_eq!(
                Field::ALL.iter().filter(|g| g.key() == f.key()).count(),
                1,
                "{}",
                f.key()
            );
        }
        assert_eq!(Field::parse(" Variant.SKU "), Some(Field::VariantSku));
        assert_eq!(Field::parse("variant.skew"), None);
    }

    #[test]
    fn synonyms_are_written_folded() {
        for f in Field::ALL {
            for s in f.synonyms() {
                assert_eq!(&fold(s), s, "{}: {s:?} is not folded", f.key());
            }
        }
    }

    #[test]
    fn names_fold_across_scripts_and_cases() {
        assert_eq!(fold("Ürün Adı"), "urun adi");
        assert_eq!(fold("post_title"), "post title");
        assert_eq!(fold("regularPrice"), "regular price");
        assert_eq!(fold("Body (HTML)"), "body html");
        assert_eq!(fold("  E-Mail "), "e mail");
        assert_eq!(fold("Цена"), "tsena");
        assert_eq!(fold("SKU"), "sku");
    }
}
