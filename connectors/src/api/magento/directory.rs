//! The store's directory of countries and their regions (`GET /V1/directory/countries`, read
//! once per run). Magento requires a `region_id` from this list for every country that has
//! one: its installer marks each such country "state required" (Directory's `DataInstaller`),
//! and the address validator refuses an address without it.

use super::reply::{Country, DirectoryRegion};
use crate::connector::{ConnectorError, Result};
use crate::platform::magento as facts;
use std::collections::HashMap;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ListedRegion {
    pub id: u64,
    pub code: String,
    pub name: String,
}

/// What an address's region is in this store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Resolved {
    /// The country has no region list: the region is text (or there is none).
    Text(Option<String>),
    /// A region of the country's list.
    Listed(ListedRegion),
    /// The country has a list and the address names none of its regions; the closest ones
    /// first.
    Unknown(Vec<ListedRegion>),
    /// The store does not sell to this country: it is not in the directory.
    UnknownCountry,
}

pub(crate) struct Directory {
    /// Country id (upper case) → its regions; empty when regions are typed as text.
    countries: HashMap<String, Vec<ListedRegion>>,
    names: HashMap<String, String>,
}

/// How many near matches an unknown region offers to choose from.
const CANDIDATES: usize = 5;

fn fold(s: &str) -> String {
    deunicode::deunicode(s.trim())
        .to_ascii_lowercase()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect()
}

impl Directory {
    pub fn new(countries: Vec<Country>) -> Result<Self> {
        let mut map = HashMap::new();
        let mut names = HashMap::new();
        for (i, c) in countries.into_iter().enumerate() {
            let mut regions = vec![];
            for (j, r) in c
                .available_regions
                .unwrap_or_default()
                .into_iter()
                .enumerate()
            {
                regions.push(listed(r).map_err(|what| {
                    ConnectorError::Remote(format!(
                        "Magento GET /directory/countries: the reply does not follow Magento's schema at `[{i}].available_regions[{j}].id`: {what}"
                    ))
                })?);
            }
            let id = c.id.to_ascii_uppercase();
            if let Some(n) = c.full_name_english.filter(|n| !n.trim().is_empty()) {
                names.insert(id.clone(), n);
            }
            map.insert(id, regions);
        }
        Ok(Directory {
            countries: map,
            names,
        })
    }

    /// The country's English name as the store gives it, else its code.
    pub fn name(&self, country: &str) -> String {
        let id = country.trim().to_ascii_uppercase();
        self.names.get(&id).cloned().unwrap_or(id)
    }

    pub fn region_by_id(&self, country: &str, id: u64) -> Option<&ListedRegion> {
        self.countries
            .get(&country.trim().to_ascii_uppercase())?
            .iter()
            .find(|r| r.id == id)
    }

    /// The region `province` names in `country`: by code, by name (accents and punctuation
    /// aside), by a code written with its country (`US-NY`), or by the other code a region is
    /// known by (Germany's ISO codes and Magento's older ones).
    pub fn resolve(&self, country: &str, province: Option<&str>) -> Resolved {
        let country = country.trim().to_ascii_uppercase();
        let Some(regions) = self.countries.get(&country) else {
            return Resolved::UnknownCountry;
        };
        let province = province.map(str::trim).filter(|p| !p.is_empty());
        if regions.is_empty() {
            return Resolved::Text(province.map(str::to_string));
        }
        let Some(p) = province else {
            return Resolved::Unknown(vec![]);
        };
        let by_code = |code: &str| regions.iter().find(|r| r.code.eq_ignore_ascii_case(code));
        let bare = p
            .strip_prefix(country.as_str())
            .or_else(|| p.strip_prefix(country.to_ascii_lowercase().as_str()))
            .map(|rest| rest.trim_start_matches(['-', '_', ' ']))
            .filter(|rest| !rest.is_empty())
            .unwrap_or(p);
        let found = by_code(p)
            .or_else(|| regions.iter().find(|r| fold(&r.name) == fold(p)))
            .or_else(|| by_code(bare))
            .or_else(|| {
                [p, bare]
                    .into_iter()
                    .find_map(|c| facts::region_code_alias(&country, c))
                    .and_then(by_code)
            });
        match found {
            Some(r) => Resolved::Listed(r.clone()),
            None => Resolved::Unknown(nearest(regions, p)),
        }
    }
}

fn listed(r: DirectoryRegion) -> std::result::Result<ListedRegion, String> {
    let id =
        r.id.trim()
            .parse::<u64>()
            .map_err(|_| format!("region id {:?} is not a number", r.id))?;
    Ok(ListedRegion {
        id,
        code: r.code,
        name: r.name,
    })
}

/// Regions whose name or code begins most like `p`, best first.
fn nearest(regions: &[ListedRegion], p: &str) -> Vec<ListedRegion> {
    let p = fold(p);
    let common = |a: &str| a.chars().zip(p.chars()).take_while(|(x, y)| x == y).count();
    let mut scored: Vec<(usize, &ListedRegion)> = regions
        .iter()
        .map(|r| (common(&fold(&r.name)).max(common(&fold(&r.code))), r))
        .filter(|(s, _)| *s > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.name.cmp(&b.1.name)));
    scored
        .into_iter()
        .take(CANDIDATES)
        .map(|(_, r)| r.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> Directory {
        let region = |id: &str, code: &str, name: &str| DirectoryRegion {
            id: id.into(),
            code: code.into(),
            name: name.into(),
        };
        Directory::new(vec![
            Country {
                id: "US".into(),
                full_name_english: Some("United States".into()),
                available_regions: Some(vec![
                    region("43", "NY", "New York"),
                    region("57", "TX", "Texas"),
                    region("49", "OR", "Oregon"),
                ]),
            },
            Country {
                id: "DE".into(),
                full_name_english: Some("Germany".into()),
                available_regions: Some(vec![
                    region("81", "BAY", "Bayern"),
                    region("82", "BER", "Berlin"),
                    region("84", "BRE", "Bremen"),
                    region("94", "THE", "Thüringen"),
                ]),
            },
            Country {
                id: "TR".into(),
                full_name_english: Some("Türkiye".into()),
                available_regions: None,
            },
        ])
        .expect("directory")
    }

    fn id(r: Resolved) -> Option<u64> {
        match r {
            Resolved::Listed(l) => Some(l.id),
            _ => None,
        }
    }

    #[test]
    fn regions_resolve_by_code_name_prefixed_code_and_alias() {
        let d = dir();
        assert_eq!(id(d.resolve("US", Some("ny"))), Some(43));
        assert_eq!(id(d.resolve("us", Some("Texas"))), Some(57));
        assert_eq!(id(d.resolve("US", Some("US-OR"))), Some(49));
        assert_eq!(
            id(d.resolve("DE", Some("BE"))),
            Some(82),
            "ISO code, 2.4.8 codes"
        );
        assert_eq!(id(d.resolve("DE", Some("Thuringen"))), Some(94));
        assert_eq!(id(d.resolve("DE", Some("DE-BY"))), Some(81));
    }

    #[test]
    fn countries_without_a_list_take_text_and_unknown_ones_are_said_so() {
        let d = dir();
        assert_eq!(
            d.resolve("TR", Some(" İstanbul ")),
            Resolved::Text(Some("İstanbul".into()))
        );
        assert_eq!(d.resolve("TR", None), Resolved::Text(None));
        assert_eq!(d.resolve("FR", Some("Paris")), Resolved::UnknownCountry);
        assert_eq!(d.resolve("US", None), Resolved::Unknown(vec![]));
        match d.resolve("DE", Some("Brandenburg")) {
            Resolved::Unknown(c) => {
                let names: Vec<&str> = c.iter().map(|r| r.name.as_str()).collect();
                assert_eq!(names, ["Bremen", "Bayern", "Berlin"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_region_id_that_is_not_a_number_names_the_field() {
        let e = Directory::new(vec![Country {
            id: "US".into(),
            full_name_english: None,
            available_regions: Some(vec![DirectoryRegion {
                id: "x".into(),
                code: "NY".into(),
                name: "New York".into(),
            }]),
        }])
        .err()
        .expect("refused");
        assert!(e.to_string().contains("[0].available_regions[0].id"), "{e}");
    }
}
