//! Products and customers: `productSet` / `customerSet` with their identifiers, the input
//! fields they accept, and the lookups by custom id, handle, email and phone.

use super::{custom_key, now, slugify, str_of, user_error, ShopifyConfig, Store};
use crate::CreationLog;
use serde_json::{json, Value};

pub(super) const PRODUCT_SET_INPUT: &[&str] = &[
    "id",
    "handle",
    "title",
    "descriptionHtml",
    "vendor",
    "productType",
    "tags",
    "status",
    "seo",
    "productOptions",
    "variants",
    "files",
    "metafields",
    "collections",
    "templateSuffix",
    "giftCard",
    "requiresSellingPlan",
    "category",
    "combinedListingRole",
    "claimOwnership",
];
pub(super) const VARIANT_SET_INPUT: &[&str] = &[
    "id",
    "sku",
    "barcode",
    "price",
    "compareAtPrice",
    "optionValues",
    "inventoryPolicy",
    "inventoryItem",
    "inventoryQuantities",
    "taxable",
    "taxCode",
    "file",
    "position",
    "metafields",
    "requiresComponents",
    "showUnitPrice",
    "unitPriceMeasurement",
];
pub(super) const CUSTOMER_SET_INPUT: &[&str] = &[
    "id",
    "email",
    "firstName",
    "lastName",
    "locale",
    "note",
    "phone",
    "tags",
    "taxExempt",
    "taxExemptions",
    "addresses",
];
pub(super) const ADDRESS_INPUT: &[&str] = &[
    "address1",
    "address2",
    "city",
    "company",
    "countryCode",
    "firstName",
    "lastName",
    "phone",
    "provinceCode",
    "zip",
];

pub(super) fn find_product(s: &Store, ident: &Value) -> Option<u64> {
    if let Some(c) = ident.get("customId").filter(|c| c.is_object()) {
        return s
            .product_index
            .get(&custom_key(&c["namespace"], &c["key"], &c["value"]))
            .copied();
    }
    if let Some(h) = ident.get("handle").and_then(Value::as_str) {
        return s.product_index.get(&format!("h:{h}")).copied();
    }
    ident
        .get("id")
        .and_then(Value::as_str)
        .and_then(super::gid_number)
        .filter(|n| s.products.contains_key(n))
}

pub(super) fn find_customer(s: &Store, ident: &Value) -> Option<u64> {
    if let Some(e) = ident.get("email").and_then(Value::as_str) {
        let key = format!("e:{}", e.to_ascii_lowercase());
        return s.customer_index.get(&key).copied();
    }
    if let Some(p) = ident.get("phone").and_then(Value::as_str) {
        return s.customer_index.get(&format!("p:{p}")).copied();
    }
    ident
        .get("id")
        .and_then(Value::as_str)
        .and_then(super::gid_number)
        .filter(|n| s.customers.contains_key(n))
}

/// productSet: find by identifier (or create), then set every field the input gives.
pub(super) fn product_set(
    cfg: &ShopifyConfig,
    s: &mut Store,
    created: &CreationLog,
    ident: &Value,
    input: &Value,
) -> Result<Value, Vec<Value>> {
    const T: &str = "ProductSetUserError";
    let existing = if ident.is_object() {
        find_product(s, ident)
    } else {
        None
    };
    if ident.get("id").is_some() && existing.is_none() {
        return Err(vec![user_error(
            T,
            json!(["identifier", "id"]),
            "Product does not exist",
            "PRODUCT_DOES_NOT_EXIST",
        )]);
    }
    let mut errors = vec![];
    let title = str_of(input, "title");
    if existing.is_none() && title.as_deref().is_none_or(|t| t.trim().is_empty()) {
        errors.push(user_error(
            T,
            json!(["input", "title"]),
            "Title can't be blank",
            "BLANK",
        ));
    }
    let options = input
        .get("productOptions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if options.len() > 3 {
        errors.push(user_error(
            T,
            json!(["input", "productOptions"]),
            "Options count is over the allowed limit",
            "OPTIONS_OVER_LIMIT",
        ));
    }
    let variants_in = input
        .get("variants")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if variants_in.len() > 2048 {
        errors.push(user_error(
            T,
            json!(["input", "variants"]),
            "Exceeded the maximum number of variants allowed",
            "VARIANTS_OVER_LIMIT",
        ));
    }
    for (i, v) in variants_in.iter().enumerate() {
        let price = v.get("price").and_then(|p| {
            p.as_str()
                .map(str::to_string)
                .or_else(|| p.as_f64().map(|f| f.to_string()))
        });
        if let Some(p) = price {
            match p.parse::<f64>() {
                Ok(x) if x >= 0.0 => {}
                _ => errors.push(user_error(
                    T,
                    json!(["input", "variants", i, "price"]),
                    "Price must be greater than or equal to 0",
                    "INVALID_INPUT",
                )),
            }
        }
        let given = v
            .get("optionValues")
            .and_then(Value::as_array)
            .map(Vec::len)
            .unwrap_or(0);
        if !options.is_empty() && given != options.len() {
            errors.push(user_error(
                T,
                json!(["input", "variants", i, "optionValues"]),
                "The number of option values does not match the number of product options",
                "INVALID_INPUT",
            ));
        }
    }
    let handle = str_of(input, "handle")
        .filter(|h| !h.is_empty())
        .map(|h| slugify(&h));
    let handle = match (&handle, existing) {
        (Some(h), _) => Some(h.clone()),
        (None, None) => title.as_deref().map(slugify),
        (None, Some(_)) => None,
    };
    if let Some(h) = &handle {
        if s.product_index
            .get(&format!("h:{h}"))
            .is_some_and(|id| Some(*id) != existing)
        {
            errors.push(user_error(
                T,
                json!(["input", "handle"]),
                format!("Handle '{h}' already in use. Please provide a new handle."),
                "HANDLE_NOT_UNIQUE",
            ));
        }
    }
    let collection_ids: Option<Vec<u64>> =
        input.get("collections").and_then(Value::as_array).map(|l| {
            l.iter()
                .filter_map(|c| c.as_str()?.rsplit('/').next()?.parse().ok())
                .collect()
        });
    if let Some(list) = input.get("collections").and_then(Value::as_array) {
        for (i, c) in list.iter().enumerate() {
            let known = c
                .as_str()
                .and_then(|g| g.rsplit('/').next()?.parse::<u64>().ok())
                .is_some_and(|n| s.collections.contains_key(&n));
            if !known {
                errors.push(user_error(
                    T,
                    json!(["input", "collections", i]),
                    "Collection does not exist",
                    "COLLECTION_DOES_NOT_EXIST",
                ));
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let id = match existing {
        Some(id) => id,
        None => s.id(),
    };
    let gid = format!("gid://shopify/Product/{id}");
    let mut p = s.products.get(&id).cloned().unwrap_or_else(|| {
        json!({
            "__typename": "Product", "id": gid, "handle": "", "title": "", "descriptionHtml": "", "vendor": "",
            "productType": "", "tags": [], "status": "ACTIVE", "createdAt": now(), "updatedAt": now(),
            "seo": { "__typename": "SEO", "title": null, "description": null }, "onlineStoreUrl": null,
            "options": [], "variants": { "__connection": [], "__item": "ProductVariant" }, "__collections": [],
            "media": { "__connection": [], "__item": "Media" }, "__metafields": [], "totalInventory": 0,
        })
    });
    if let Some(h) = handle {
        p["handle"] = json!(h);
    }
    for k in [
        "title",
        "descriptionHtml",
        "vendor",
        "productType",
        "status",
    ] {
        if let Some(v) = input.get(k) {
            p[k] = v.clone();
        }
    }
    if let Some(tags) = input.get("tags") {
        p["tags"] = match tags {
            Value::String(s) => json!(s
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()),
            other => other.clone(),
        };
    }
    if let Some(seo) = input.get("seo") {
        p["seo"] = json!({ "__typename": "SEO", "title": seo.get("title").cloned().unwrap_or(Value::Null), "description": seo.get("description").cloned().unwrap_or(Value::Null) });
    }
    // Options and variants are set together: the input's list replaces what was there.
    let mut option_names: Vec<String> = vec![];
    if input.get("productOptions").is_some() || input.get("variants").is_some() {
        let mut opts = vec![];
        for (i, o) in options.iter().enumerate() {
            let name = str_of(o, "name").unwrap_or_default();
            let values: Vec<String> = o
                .get("values")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|v| str_of(v, "name"))
                .collect();
            option_names.push(name.clone());
            opts.push(json!({ "__typename": "ProductOption", "id": format!("gid://shopify/ProductOption/{id}{i}"), "name": name, "position": i + 1,
                              "values": values, "optionValues": values.iter().map(|v| json!({ "__typename": "ProductOptionValue", "name": v })).collect::<Vec<_>>() }));
        }
        if opts.is_empty() {
            opts.push(json!({ "__typename": "ProductOption", "id": format!("gid://shopify/ProductOption/{id}0"), "name": "Title", "position": 1,
                              "values": ["Default Title"], "optionValues": [{ "__typename": "ProductOptionValue", "name": "Default Title" }] }));
        }
        p["options"] = Value::Array(opts);
        let inputs = if variants_in.is_empty() {
            vec![json!({})]
        } else {
            variants_in.clone()
        };
        let mut variants = vec![];
        let mut total = 0i64;
        for (i, v) in inputs.iter().enumerate() {
            let vid = id * 10_000 + i as u64 + 1;
            let selected: Vec<Value> = match v.get("optionValues").and_then(Value::as_array) {
                Some(ov) if !ov.is_empty() => ov.iter().map(|o| json!({ "__typename": "SelectedOption", "name": o["optionName"], "value": o["name"] })).collect(),
                _ => vec![json!({ "__typename": "SelectedOption", "name": "Title", "value": "Default Title" })],
            };
            let title = selected
                .iter()
                .filter_map(|o| o["value"].as_str())
                .collect::<Vec<_>>()
                .join(" / ");
            let qty: i64 = v
                .get("inventoryQuantities")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|q| q["quantity"].as_i64())
                .sum();
            total += qty;
            let item = v.get("inventoryItem").cloned().unwrap_or(Value::Null);
            let weight = item
                .pointer("/measurement/weight")
                .filter(|w| w.is_object())
                .map(|w| json!({ "__typename": "Weight", "value": w["value"], "unit": w["unit"] }));
            let cost = item.get("cost").filter(|c| !c.is_null()).map(|c| json!({ "__typename": "MoneyV2", "amount": money_str(c), "currencyCode": cfg.currency }));
            let price = v
                .get("price")
                .map(money_str)
                .unwrap_or_else(|| "0.00".into());
            let sku = v
                .get("sku")
                .cloned()
                .or_else(|| item.get("sku").cloned())
                .unwrap_or(Value::Null);
            variants.push(json!({
                "__typename": "ProductVariant", "id": format!("gid://shopify/ProductVariant/{vid}"), "title": title,
                "sku": sku, "barcode": v.get("barcode").cloned().unwrap_or(Value::Null), "price": price,
                "compareAtPrice": v.get("compareAtPrice").filter(|c| !c.is_null()).map(|c| json!(money_str(c))).unwrap_or(Value::Null),
                "inventoryQuantity": qty, "inventoryPolicy": v.get("inventoryPolicy").cloned().unwrap_or(json!("DENY")),
                "taxable": v.get("taxable").cloned().unwrap_or(json!(true)), "selectedOptions": selected,
                "image": v.pointer("/file/originalSource").map(|u| json!({ "__typename": "Image", "url": u, "altText": null })).unwrap_or(Value::Null),
                "inventoryItem": {
                    "__typename": "InventoryItem", "id": format!("gid://shopify/InventoryItem/{vid}"),
                    "tracked": item.get("tracked").cloned().unwrap_or(json!(true)),
                    "requiresShipping": item.get("requiresShipping").cloned().unwrap_or(json!(true)),
                    "unitCost": cost.unwrap_or(Value::Null),
                    "measurement": { "__typename": "InventoryItemMeasurement", "weight": weight.unwrap_or(Value::Null) },
                },
            }));
        }
        p["variants"] = json!({ "__connection": variants, "__item": "ProductVariant" });
        p["totalInventory"] = json!(total);
    }
    // Membership is set as a whole, as productSet does with every list it is given.
    if let Some(ids) = collection_ids {
        p["__collections"] = json!(ids);
    }
    if let Some(files) = input.get("files").and_then(Value::as_array) {
        let media: Vec<Value> = files
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let url = str_of(f, "originalSource").unwrap_or_default();
                let alt = f.get("alt").cloned().unwrap_or(Value::Null);
                let mid = format!("gid://shopify/MediaImage/{}", id * 10_000 + i as u64 + 1);
                if url.contains(&cfg.failing_image_marker) || !(url.starts_with("http://") || url.starts_with("https://")) {
                    json!({ "__typename": "MediaImage", "id": mid, "alt": alt, "status": "FAILED", "mediaContentType": "IMAGE", "image": null,
                            "mediaErrors": [{ "__typename": "MediaError", "code": "IMAGE_DOWNLOAD_FAILURE", "message": format!("Image could not be downloaded from {url}"), "details": null }] })
                } else {
                    json!({ "__typename": "MediaImage", "id": mid, "alt": alt, "status": "READY", "mediaContentType": "IMAGE",
                            "image": { "__typename": "Image", "url": url, "altText": alt }, "mediaErrors": [] })
                }
            })
            .collect();
        p["media"] = json!({ "__connection": media, "__item": "Media" });
    }
    let mut metafields = p["__metafields"].as_array().cloned().unwrap_or_default();
    let mut set_mf = |ns: &Value, key: &Value, ty: &Value, value: &Value| {
        metafields.retain(|m| !(m["namespace"] == *ns && m["key"] == *key));
        metafields.push(json!({ "__typename": "Metafield", "namespace": ns, "key": key, "type": ty, "value": value }));
    };
    for m in input
        .get("metafields")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        set_mf(
            &m["namespace"],
            &m["key"],
            &m.get("type")
                .cloned()
                .unwrap_or(json!("single_line_text_field")),
            &m["value"],
        );
    }
    if let Some(c) = ident.get("customId").filter(|c| c.is_object()) {
        set_mf(&c["namespace"], &c["key"], &json!("id"), &c["value"]);
    }
    p["__metafields"] = Value::Array(metafields);
    p["updatedAt"] = json!(now());
    if p["status"] == "ACTIVE" {
        p["onlineStoreUrl"] = json!(format!(
            "https://sandbox.myshopify.com/products/{}",
            p["handle"].as_str().unwrap_or("")
        ));
    }
    if existing.is_none() {
        let key = ident
            .pointer("/customId/value")
            .and_then(Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| p["handle"].as_str().unwrap_or("").to_string());
        created.record("products", &key);
    }
    s.put_product(id, p.clone());
    Ok(p)
}

fn money_str(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        _ => "0.00".into(),
    }
}

pub(super) fn customer_set(
    s: &mut Store,
    created: &CreationLog,
    ident: &Value,
    input: &Value,
) -> Result<Value, Vec<Value>> {
    const T: &str = "CustomerSetUserError";
    let existing = if ident.is_object() {
        find_customer(s, ident)
    } else {
        None
    };
    if ident.get("id").is_some() && existing.is_none() {
        return Err(vec![user_error(
            T,
            json!(["identifier", "id"]),
            "Customer does not exist",
            "NOT_FOUND",
        )]);
    }
    let email = str_of(input, "email")
        .or_else(|| existing.and_then(|id| str_of(&s.customers[&id], "email")));
    let phone = str_of(input, "phone");
    let mut errors = vec![];
    if existing.is_none() && email.is_none() && phone.is_none() {
        errors.push(user_error(
            T,
            json!(["input"]),
            "A name, phone number, or email address must be present",
            "INVALID",
        ));
    }
    if let Some(e) = &email {
        let valid = e.split_once('@').is_some_and(|(a, d)| {
            !a.is_empty() && d.contains('.') && !d.starts_with('.') && !d.ends_with('.')
        }) && !e.contains(char::is_whitespace);
        if !valid {
            errors.push(user_error(
                T,
                json!(["input", "email"]),
                "Email is invalid",
                "INVALID",
            ));
        } else if find_customer(s, &json!({ "email": e })).is_some_and(|id| Some(id) != existing) {
            errors.push(user_error(
                T,
                json!(["input", "email"]),
                "Email has already been taken",
                "TAKEN",
            ));
        }
    }
    if let Some(ph) = &phone {
        if find_customer(s, &json!({ "phone": ph })).is_some_and(|id| Some(id) != existing) {
            errors.push(user_error(
                T,
                json!(["input", "phone"]),
                "Phone has already been taken",
                "TAKEN",
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let id = existing.unwrap_or_else(|| s.id());
    let mut c = s.customers.get(&id).cloned().unwrap_or_else(|| {
        json!({
            "__typename": "Customer", "id": format!("gid://shopify/Customer/{id}"), "email": null, "firstName": null,
            "lastName": null, "displayName": "", "phone": null, "note": null, "tags": [], "createdAt": now(), "updatedAt": now(),
            "addresses": [], "defaultAddress": null, "numberOfOrders": "0", "state": "DISABLED",
            "emailMarketingConsent": super::consent::initial(super::consent::Channel::Email),
            "smsMarketingConsent": null,
        })
    });
    for k in ["email", "firstName", "lastName", "phone", "note"] {
        if let Some(v) = input.get(k) {
            c[k] = v.clone();
        }
    }
    if let Some(tags) = input.get("tags") {
        c["tags"] = match tags {
            Value::String(s) => json!(s
                .split(',')
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()),
            other => other.clone(),
        };
    }
    if let Some(addrs) = input.get("addresses").and_then(Value::as_array) {
        let list: Vec<Value> = addrs
            .iter()
            .enumerate()
            .map(|(i, a)| {
                json!({
                    "__typename": "MailingAddress", "id": format!("gid://shopify/MailingAddress/{}", id * 100 + i as u64 + 1),
                    "address1": a.get("address1"), "address2": a.get("address2"), "city": a.get("city"), "company": a.get("company"),
                    "countryCodeV2": a.get("countryCode"), "country": a.get("countryCode"), "firstName": a.get("firstName"),
                    "lastName": a.get("lastName"), "phone": a.get("phone"), "province": a.get("provinceCode"),
                    "provinceCode": a.get("provinceCode"), "zip": a.get("zip"),
                })
            })
            .collect();
        c["defaultAddress"] = list.first().cloned().unwrap_or(Value::Null);
        c["addresses"] = Value::Array(list);
    }
    // SMS consent exists while the customer has a phone to send to.
    let has_phone = c["phone"].as_str().is_some_and(|p| !p.trim().is_empty());
    if !has_phone {
        c["smsMarketingConsent"] = Value::Null;
    } else if !c["smsMarketingConsent"].is_object() {
        c["smsMarketingConsent"] = super::consent::initial(super::consent::Channel::Sms);
    }
    let display = [c["firstName"].as_str(), c["lastName"].as_str()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(" ");
    c["displayName"] = json!(display);
    c["updatedAt"] = json!(now());
    if existing.is_none() {
        created.record("customers", &email.unwrap_or_default().to_ascii_lowercase());
    }
    s.put_customer(id, c.clone());
    Ok(c)
}
