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

    pub(super) fn validate(&self) -> Result<(), ValidationError> {
        not_empty("contacts.name.formatted_name", &self.name.formatted_name)
    }
}
