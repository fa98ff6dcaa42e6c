//! Which column of WooCommerce's files holds each canonical field: what a column mapping
//! renames a file's columns to when it reads the file as a WooCommerce export.
//!
//! The product table gives the plain case; the column mapper adjusts three fields by what else
//! a file has, as WooCommerce's exporter does: with a compare-at price the price goes to `Sale
//! price` and the compare-at price to `Regular price`; a weight column takes its unit into the
//! name (`Weight (g)`); a parent written as a bare number becomes `id:N`.

use crate::files::mapping::fields::Field;

pub const PRODUCTS: &[(Field, &str)] = &[
    (Field::ProductId, "ID"),
    (Field::ProductKind, "Type"),
    (Field::VariantSku, "SKU"),
    (Field::VariantBarcode, "GTIN, UPC, EAN, or ISBN"),
    (Field::ProductTitle, "Name"),
    (Field::ProductHandle, "Slug"),
    (Field::ProductStatus, "Published"),
    (Field::ProductPublished, "Published"),
    (Field::ProductShortDescription, "Short description"),
    (Field::ProductDescription, "Description"),
    (Field::VariantInventory, "Stock"),
    (Field::VariantWeight, "Weight (kg)"),
    (Field::VariantSalePrice, "Sale price"),
    (Field::VariantPrice, "Regular price"),
    (Field::VariantCompareAtPrice, "Regular price"),
    (Field::ProductCategories, "Categories"),
    (Field::ProductTags, "Tags"),
    (Field::ProductImages, "Images"),
    (Field::VariantImage, "Images"),
    (Field::ProductParent, "Parent"),
    (Field::ProductVendor, "Brands"),
    (Field::ProductSeoTitle, "Meta: _yoast_wpseo_title"),
    (Field::ProductSeoDescription, "Meta: _yoast_wpseo_metadesc"),
];

pub const CUSTOMERS: &[(Field, &str)] = &[
    (Field::CustomerId, "customer_id"),
    (Field::CustomerFirstName, "first_name"),
    (Field::CustomerLastName, "last_name"),
    (Field::CustomerName, "first_name"),
    (Field::CustomerEmail, "email"),
    (Field::CustomerCreatedAt, "date_registered"),
    (Field::AddressName, "billing_first_name"),
    (Field::AddressCompany, "billing_company"),
    (Field::CustomerPhone, "billing_phone"),
    (Field::AddressPhone, "billing_phone"),
    (Field::AddressAddress1, "billing_address_1"),
    (Field::AddressAddress2, "billing_address_2"),
    (Field::AddressZip, "billing_postcode"),
    (Field::AddressCity, "billing_city"),
    (Field::AddressProvince, "billing_state"),
    (Field::AddressCountry, "billing_country"),
    (Field::ShippingName, "shipping_first_name"),
    (Field::ShippingAddress1, "shipping_address_1"),
    (Field::ShippingAddress2, "shipping_address_2"),
    (Field::ShippingZip, "shipping_postcode"),
    (Field::ShippingCity, "shipping_city"),
    (Field::ShippingProvince, "shipping_state"),
    (Field::ShippingCountry, "shipping_country"),
    (Field::ShippingPhone, "shipping_phone"),
    (Field::CustomerAcceptsMarketing, "accepts_marketing"),
    (Field::CustomerTags, "tags"),
    (Field::CustomerNote, "note"),
];
