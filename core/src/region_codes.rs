//! The short region codes ElastiCache writes into its endpoint names (`use1` for `us-east-1`,
//! `apse2` for `ap-southeast-2`): `master.my-rg.abc123.use1.cache.amazonaws.com`.
//!
//! The codes follow one rule — the area prefix, then the first letter of each direction word,
//! then the number, with `gov` shortened to `g` — but a name that does not fit the rule must not
//! turn into a made-up region, so the codes are a table. A code missing here is not guessed:
//! the caller gets `NoRegion` and passes `region`.

/// `(code, region)` for every region ElastiCache serves, sorted by code.
pub(crate) const REGION_CODES: &[(&str, &str)] = &[
    ("afs1", "af-south-1"),
    ("ape1", "ap-east-1"),
    ("ape2", "ap-east-2"),
    ("apne1", "ap-northeast-1"),
    ("apne2", "ap-northeast-2"),
    ("apne3", "ap-northeast-3"),
    ("aps1", "ap-south-1"),
    ("aps2", "ap-south-2"),
    ("apse1", "ap-southeast-1"),
    ("apse2", "ap-southeast-2"),
    ("apse3", "ap-southeast-3"),
    ("apse4", "ap-southeast-4"),
    ("apse5", "ap-southeast-5"),
    ("apse6", "ap-southeast-6"),
    ("apse7", "ap-southeast-7"),
    ("cac1", "ca-central-1"),
    ("caw1", "ca-west-1"),
    ("cnn1", "cn-north-1"),
    ("cnnw1", "cn-northwest-1"),
    ("euc1", "eu-central-1"),
    ("euc2", "eu-central-2"),
    ("eun1", "eu-north-1"),
    ("eus1", "eu-south-1"),
    ("eus2", "eu-south-2"),
    ("euw1", "eu-west-1"),
    ("euw2", "eu-west-2"),
    ("euw3", "eu-west-3"),
    ("ilc1", "il-central-1"),
    ("mec1", "me-central-1"),
    ("mes1", "me-south-1"),
    ("mxc1", "mx-central-1"),
    ("sae1", "sa-east-1"),
    ("use1", "us-east-1"),
    ("use2", "us-east-2"),
    ("usge1", "us-gov-east-1"),
    ("usgw1", "us-gov-west-1"),
    ("usw1", "us-west-1"),
    ("usw2", "us-west-2"),
];

/// The region a short code names (`use1` → `us-east-1`), case-insensitively; `None` for a code
/// not in the table.
pub(crate) fn region_for_code(code: &str) -> Option<&'static str> {
    let code = code.to_ascii_lowercase();
    REGION_CODES
        .binary_search_by(|(c, _)| (*c).cmp(code.as_str()))
        .ok()
        .map(|i| REGION_CODES[i].1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::is_region;

    /// The rule the codes follow, written out independently of the table.
    fn code_by_rule(region: &str) -> String {
        let mut parts: Vec<&str> = region.split('-').collect();
        let number = parts.pop().unwrap();
        let mut code = parts.remove(0).to_owned();
        for word in parts {
            code.push_str(match word {
                "gov" => "g",
                "east" => "e",
                "west" => "w",
                "north" => "n",
                "south" => "s",
                "central" => "c",
                "northeast" => "ne",
                "northwest" => "nw",
                "southeast" => "se",
                "southwest" => "sw",
                other => panic!("no rule for `{other}` in {region}"),
            });
        }
        code + number
    }

    #[test]
    fn every_code_names_a_region_by_the_rule() {
        for (code, region) in REGION_CODES {
            assert!(is_region(region), "{region}");
            assert_eq!(code_by_rule(region), *code, "{region}");
            assert_eq!(region_for_code(code), Some(*region), "{code}");
            assert_eq!(
                region_for_code(&code.to_ascii_uppercase()),
                Some(*region),
                "{code}"
            );
        }
    }

    #[test]
    fn the_table_is_sorted_and_has_no_duplicates() {
        // binary_search needs the order; a duplicate code or region would be a typo.
        assert!(REGION_CODES.windows(2).all(|w| w[0].0 < w[1].0));
        let mut regions: Vec<&str> = REGION_CODES.iter().map(|(_, r)| *r).collect();
        regions.sort_unstable();
        regions.dedup();
        assert_eq!(regions.len(), REGION_CODES.len());
    }

    #[test]
    fn unknown_codes_are_not_guessed() {
        for code in ["", "us", "use", "use9", "xyz1", "us-east-1", "use1x"] {
            assert_eq!(region_for_code(code), None, "{code}");
        }
    }
}
