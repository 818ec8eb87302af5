//! Location messages and contact cards.

use serde::{Deserialize, Serialize};

use crate::graph::validate::not_empty;
use crate::graph::{ValidationError, Violation};

/// A location to send.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[non_exhaustive]
pub struct Location {
    /// Latitude.
    pub latitude: f64,
    /// Longitude.
    pub longitude: f64,
    /// Place name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
}

impl Location {
    /// A pin.
    pub fn new(latitude: f64, longitude: f64) -> Self {
        Self { latitude, longitude, name: None, address: None }
    }

    /// A named place.
    #[must_use]
    pub fn named(mut self, name: impl Into<String>, address: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self.address = Some(address.into());
        self
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        if !(-90.0..=90.0).contains(&self.latitude) {
            return Err(ValidationError::new(
                "location.latitude",
                Violation::Invalid("must be within -90..=90".into()),
            ));
        }
        if !(-180.0..=180.0).contains(&self.longitude) {
            return Err(ValidationError::new(
                "location.longitude",
                Violation::Invalid("must be within -180..=180".into()),
            ));
        }
        Ok(())
    }
}

/// A contact card to send.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactCard {
    /// Names; `formatted_name` is required.
    pub name: ContactName,
    /// Birthday, `YYYY-MM-DD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthday: Option<String>,
    /// Phones.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub phones: Vec<ContactPhone>,
    /// Emails.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub emails: Vec<ContactEmail>,
    /// URLs.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub urls: Vec<ContactUrl>,
    /// Organization.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub org: Option<ContactOrg>,
    /// Addresses.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub addresses: Vec<ContactAddress>,
}

/// An address of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct ContactAddress {
    /// Street.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street: Option<String>,
    /// City.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// State.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    /// ZIP or postal code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip: Option<String>,
    /// Country name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// Two-letter country code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country_code: Option<String>,
    /// `HOME` or `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

impl ContactAddress {
    /// An empty address: set the parts you have.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the street.
    #[must_use]
    pub fn street(mut self, street: impl Into<String>) -> Self {
        self.street = Some(street.into());
        self
    }

    /// Sets the city.
    #[must_use]
    pub fn city(mut self, city: impl Into<String>) -> Self {
        self.city = Some(city.into());
        self
    }

    /// Sets the state.
    #[must_use]
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// Sets the ZIP or postal code.
    #[must_use]
    pub fn zip(mut self, zip: impl Into<String>) -> Self {
        self.zip = Some(zip.into());
        self
    }

    /// Sets the country name and its two-letter code.
    #[must_use]
    pub fn country(mut self, country: impl Into<String>, country_code: impl Into<String>) -> Self {
        self.country = Some(country.into());
        self.country_code = Some(country_code.into());
        self
    }

    /// Sets the type (`HOME`, `WORK`).
    #[must_use]
    pub fn kind(mut self, kind: impl Into<String>) -> Self {
        self.kind = Some(kind.into());
        self
    }
}

/// Names of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactName {
    /// The full name as displayed (required).
    pub formatted_name: String,
    /// First name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// Last name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    /// Middle name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// Name suffix (`Jr.`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suffix: Option<String>,
    /// Name prefix (`Dr.`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// A phone of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactPhone {
    /// The number.
    pub phone: String,
    /// `CELL`, `MAIN`, `IPHONE`, `HOME`, `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
    /// The WhatsApp id, to show a "message" button.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wa_id: Option<String>,
}

/// An email of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactEmail {
    /// The address.
    pub email: String,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// A URL of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactUrl {
    /// The URL.
    pub url: String,
    /// `HOME`, `WORK`.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

/// The organization of a contact card.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ContactOrg {
    /// Company.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company: Option<String>,
    /// Department.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department: Option<String>,
    /// Title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

impl ContactCard {
    /// A card with a display name.
    pub fn new(formatted_name: impl Into<String>) -> Self {
        Self {
            name: ContactName { formatted_name: formatted_name.into(), ..ContactName::default() },
            ..Self::default()
        }
    }

    /// Adds a phone.
    #[must_use]
    pub fn phone(mut self, phone: impl Into<String>, kind: Option<&str>, wa_id: Option<&str>) -> Self {
        self.phones.push(ContactPhone {
            phone: phone.into(),
            kind: kind.map(str::to_owned),
            wa_id: wa_id.map(str::to_owned),
        });
        self
    }

    /// Adds an email.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>, kind: Option<&str>) -> Self {
        self.emails.push(ContactEmail { email: email.into(), kind: kind.map(str::to_owned) });
        self
    }

    /// Adds a URL.
    #[must_use]
    pub fn url(mut self, url: impl Into<String>, kind: Option<&str>) -> Self {
        self.urls.push(ContactUrl { url: url.into(), kind: kind.map(str::to_owned) });
        self
    }

    /// Sets the organization.
    #[must_use]
    pub fn org(mut self, company: impl Into<String>, title: Option<&str>) -> Self {
        self.org = Some(ContactOrg {
            company: Some(company.into()),
            department: None,
            title: title.map(str::to_owned),
        });
        self
    }

    /// Sets the department (of the organization).
    #[must_use]
    pub fn department(mut self, department: impl Into<String>) -> Self {
        self.org.get_or_insert_with(ContactOrg::default).department = Some(department.into());
        self
    }

    /// Sets the first and last names.
    #[must_use]
    pub fn names(mut self, first_name: impl Into<String>, last_name: impl Into<String>) -> Self {
        self.name.first_name = Some(first_name.into());
        self.name.last_name = Some(last_name.into());
        self
    }

    /// Sets the middle name.
    #[must_use]
    pub fn middle_name(mut self, middle_name: impl Into<String>) -> Self {
        self.name.middle_name = Some(middle_name.into());
        self
    }

    /// Sets the name prefix (`Dr.`) and suffix (`Jr.`); empty strings are left out.
    #[must_use]
    pub fn affixes(mut self, prefix: impl Into<String>, suffix: impl Into<String>) -> Self {
        self.name.prefix = Some(prefix.into()).filter(|p| !p.is_empty());
        self.name.suffix = Some(suffix.into()).filter(|s| !s.is_empty());
        self
    }

    /// Sets the birthday, `YYYY-MM-DD`.
    #[must_use]
    pub fn birthday(mut self, birthday: impl Into<String>) -> Self {
        self.birthday = Some(birthday.into());
        self
    }

    /// Adds an address.
    #[must_use]
    pub fn address(mut self, address: ContactAddress) -> Self {
        self.addresses.push(address);
        self
    }

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        not_empty("contacts.name.formatted_name", &self.name.formatted_name)
    }
}
