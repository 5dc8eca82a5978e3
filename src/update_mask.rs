//! `update_mask` (AIP-134) for Update RPCs: the paths a request names, checked against the
//! paths the caller may change.

use prost_types::FieldMask;

use crate::error::Error;

/// The mask's paths; a VALIDATION_ERROR when it is missing, empty, or names a path outside
/// `allowed`.
pub fn paths(mask: Option<FieldMask>, allowed: &[&str]) -> Result<Vec<String>, Error> {
    let paths = mask.map(|m| m.paths).unwrap_or_default();
    if paths.is_empty() {
        return Err(Error::invalid(
            "update_mask",
            format!(
                "is required; it names the fields to change ({})",
                allowed.join(", ")
            ),
        ));
    }
    if let Some(path) = paths.iter().find(|p| !allowed.contains(&p.as_str())) {
        return Err(Error::invalid(
            "update_mask",
            format!(
                "\"{path}\" cannot be changed here; allowed: {}",
                allowed.join(", ")
            ),
        ));
    }
    Ok(paths)
}

#[cfg(test)]
mod tests {
    #![expect(clippy::unwrap_used, reason = "tests")]
    use super::*;

    #[test]
    fn masks_must_name_allowed_paths() {
        let mask = |p: &[&str]| {
            Some(FieldMask {
                paths: p.iter().map(|s| (*s).to_owned()).collect(),
            })
        };
        assert_eq!(paths(mask(&["name"]), &["name", "slug"]).unwrap(), ["name"]);
        assert!(paths(mask(&["id"]), &["name"]).is_err());
        assert!(paths(None, &["name"]).is_err());
        assert!(paths(mask(&[]), &["name"]).is_err());
    }
}
