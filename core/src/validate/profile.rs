//! OIDC profile claims: each at most 256 characters; updates are a shallow
//! merge (absent unchanged, null cleared, value set), and `address` merges
//! its own sub-fields the same way.

use super::text::text;
use crate::error::Result;
use crate::model::{Address, Profile};
use crate::service::{AddressInput, Patch, ProfileInput};

const CLAIM_MAX: usize = 256;

/// A profile after a merge, and the claims (camelCase) whose value changed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileChange {
    pub profile: Profile,
    pub changed: Vec<&'static str>,
}

fn claim(field: &str, patch: Patch<String>) -> Result<Patch<String>> {
    Ok(match patch {
        Patch::Value(raw) => Patch::Value(text(field, &raw, CLAIM_MAX)?),
        other => other,
    })
}

/// Validates and NFC-normalizes every claim given in `input`.
pub fn profile_input(input: ProfileInput) -> Result<ProfileInput> {
    Ok(ProfileInput {
        family_name: claim("profile.familyName", input.family_name)?,
        given_name: claim("profile.givenName", input.given_name)?,
        middle_name: claim("profile.middleName", input.middle_name)?,
        nickname: claim("profile.nickname", input.nickname)?,
        preferred_username: claim("profile.preferredUsername", input.preferred_username)?,
        profile: claim("profile.profile", input.profile)?,
        website: claim("profile.website", input.website)?,
        gender: claim("profile.gender", input.gender)?,
        birthdate: claim("profile.birthdate", input.birthdate)?,
        zoneinfo: claim("profile.zoneinfo", input.zoneinfo)?,
        locale: claim("profile.locale", input.locale)?,
        address: match input.address {
            Patch::Value(a) => Patch::Value(AddressInput {
                formatted: claim("profile.address.formatted", a.formatted)?,
                street_address: claim("profile.address.streetAddress", a.street_address)?,
                locality: claim("profile.address.locality", a.locality)?,
                region: claim("profile.address.region", a.region)?,
                postal_code: claim("profile.address.postalCode", a.postal_code)?,
                country: claim("profile.address.country", a.country)?,
            }),
            Patch::Null => Patch::Null,
            Patch::Absent => Patch::Absent,
        },
    })
}

fn merged(current: &Option<String>, patch: &Patch<String>) -> Option<String> {
    match patch {
        Patch::Absent => current.clone(),
        Patch::Null => None,
        Patch::Value(v) => Some(v.clone()),
    }
}

fn merge_address(current: Option<&Address>, patch: &Patch<AddressInput>) -> Option<Address> {
    let input = match patch {
        Patch::Absent => return current.cloned(),
        Patch::Null => return None,
        Patch::Value(input) => input,
    };
    let base = current.cloned().unwrap_or_default();
    let address = Address {
        formatted: merged(&base.formatted, &input.formatted),
        street_address: merged(&base.street_address, &input.street_address),
        locality: merged(&base.locality, &input.locality),
        region: merged(&base.region, &input.region),
        postal_code: merged(&base.postal_code, &input.postal_code),
        country: merged(&base.country, &input.country),
    };
    // An address with every sub-field cleared is no address at all.
    (address != Address::default()).then_some(address)
}

/// Merges a validated input (see [`profile_input`]) into `current`.
pub fn apply_profile(current: &Profile, input: &ProfileInput) -> ProfileChange {
    let profile = Profile {
        family_name: merged(&current.family_name, &input.family_name),
        given_name: merged(&current.given_name, &input.given_name),
        middle_name: merged(&current.middle_name, &input.middle_name),
        nickname: merged(&current.nickname, &input.nickname),
        preferred_username: merged(&current.preferred_username, &input.preferred_username),
        profile: merged(&current.profile, &input.profile),
        website: merged(&current.website, &input.website),
        gender: merged(&current.gender, &input.gender),
        birthdate: merged(&current.birthdate, &input.birthdate),
        zoneinfo: merged(&current.zoneinfo, &input.zoneinfo),
        locale: merged(&current.locale, &input.locale),
        address: merge_address(current.address.as_ref(), &input.address),
    };
    let pairs: [(&'static str, bool); 12] = [
        ("familyName", current.family_name != profile.family_name),
        ("givenName", current.given_name != profile.given_name),
        ("middleName", current.middle_name != profile.middle_name),
        ("nickname", current.nickname != profile.nickname),
        (
            "preferredUsername",
            current.preferred_username != profile.preferred_username,
        ),
        ("profile", current.profile != profile.profile),
        ("website", current.website != profile.website),
        ("gender", current.gender != profile.gender),
        ("birthdate", current.birthdate != profile.birthdate),
        ("zoneinfo", current.zoneinfo != profile.zoneinfo),
        ("locale", current.locale != profile.locale),
        ("address", current.address != profile.address),
    ];
    let changed = pairs
        .into_iter()
        .filter_map(|(name, differs)| differs.then_some(name))
        .collect();
    ProfileChange { profile, changed }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn value(s: &str) -> Patch<String> {
        Patch::Value(s.to_owned())
    }

    fn stored() -> Profile {
        Profile {
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            address: Some(Address {
                locality: Some("London".into()),
                country: Some("UK".into()),
                ..Address::default()
            }),
            ..Profile::default()
        }
    }

    #[test]
    fn absent_keeps_null_clears_value_sets() {
        let input = profile_input(ProfileInput {
            given_name: value("Augusta"),
            family_name: Patch::Null,
            locale: value("en-GB"),
            ..ProfileInput::default()
        })
        .unwrap();
        let change = apply_profile(&stored(), &input);
        assert_eq!(change.profile.given_name.as_deref(), Some("Augusta"));
        assert_eq!(change.profile.family_name, None);
        assert_eq!(change.profile.locale.as_deref(), Some("en-GB"));
        assert_eq!(change.profile.address, stored().address);
        assert_eq!(change.changed, vec!["familyName", "givenName", "locale"]);
    }

    #[test]
    fn address_merges_its_sub_fields_and_null_clears_it() {
        let input = ProfileInput {
            address: Patch::Value(AddressInput {
                locality: value("Cambridge"),
                ..AddressInput::default()
            }),
            ..ProfileInput::default()
        };
        let change = apply_profile(&stored(), &profile_input(input).unwrap());
        let address = change.profile.address.unwrap();
        assert_eq!(address.locality.as_deref(), Some("Cambridge"));
        assert_eq!(address.country.as_deref(), Some("UK"));
        assert_eq!(change.changed, vec!["address"]);

        let cleared = apply_profile(
            &stored(),
            &ProfileInput {
                address: Patch::Null,
                ..ProfileInput::default()
            },
        );
        assert_eq!(cleared.profile.address, None);
    }

    #[test]
    fn setting_equal_values_changes_nothing() {
        let input = profile_input(ProfileInput {
            given_name: value("Ada"),
            ..ProfileInput::default()
        })
        .unwrap();
        assert!(apply_profile(&stored(), &input).changed.is_empty());
    }

    #[test]
    fn claims_are_checked_with_their_path() {
        let err = profile_input(ProfileInput {
            given_name: value(&"x".repeat(257)),
            ..ProfileInput::default()
        })
        .unwrap_err();
        assert_eq!(err.field(), Some("profile.givenName"));
        let err = profile_input(ProfileInput {
            address: Patch::Value(AddressInput {
                street_address: value("1\u{200B} Main St"),
                ..AddressInput::default()
            }),
            ..ProfileInput::default()
        })
        .unwrap_err();
        assert_eq!(err.field(), Some("profile.address.streetAddress"));
    }
}
