//! Template administration beyond create, edit and delete: archiving, migration between a
//! business's WABAs, and template groups with their analytics, per Meta's "Template archival",
//! "Template migration", "Template groups" and analytics pages.

use std::collections::BTreeMap;

use reqwest::Method;
use serde::Deserialize;
use serde_json::json;

use super::{TemplateId, WabaId, WhatsAppBusinessAccount, request};
use crate::graph::serde_util::{null_as_default, opt_integer_or_string, opt_string_or_integer};
use crate::graph::validate::{max_chars, not_empty};
use crate::graph::{GraphRequest, Page, RequestSpec, ValidationError, Violation};

/// Template ids per archive or unarchive request.
const ARCHIVE_MAX: usize = 100;
/// Templates per migration page.
const MIGRATE_PAGE: u32 = 500;

/// What an archive, unarchive or migration did: the templates it moved, and why the others
/// failed (template id → Meta's reason).
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateBatch {
    /// Archived (`archived_templates`), unarchived (`unarchived_templates`) or migrated
    /// (`migrated_templates`) template ids.
    #[serde(alias = "archived_templates", alias = "unarchived_templates", alias = "migrated_templates")]
    #[serde(deserialize_with = "null_as_default")]
    pub done: Vec<String>,
    /// The templates that failed, with Meta's reason.
    #[serde(deserialize_with = "null_as_default")]
    pub failed_templates: BTreeMap<String, String>,
}

/// A template group, as [`WhatsAppBusinessAccount::template_group`] reads it.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateGroup {
    /// The group's id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
    /// Its unique name.
    pub name: Option<String>,
    /// Its description.
    pub description: Option<String>,
    /// When it was created.
    pub creation_time: Option<String>,
    /// When it last changed.
    pub update_time: Option<String>,
    /// Its templates.
    pub whatsapp_business_templates: Option<Page<serde_json::Value>>,
}

/// One day of a template group's analytics.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateGroupPoint {
    /// The group.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub template_group_id: Option<String>,
    /// Start (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub start: Option<i64>,
    /// End (Unix seconds).
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub end: Option<i64>,
    /// Sent.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub sent: Option<i64>,
    /// Delivered.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub delivered: Option<i64>,
    /// Read.
    #[serde(deserialize_with = "opt_integer_or_string")]
    pub read: Option<i64>,
    /// Button clicks, as Meta sends them.
    #[serde(deserialize_with = "null_as_default")]
    pub clicked: Vec<serde_json::Value>,
    /// Costs, as Meta sends them.
    #[serde(deserialize_with = "null_as_default")]
    pub cost: Vec<serde_json::Value>,
}

/// A template group's analytics points.
#[derive(Clone, Debug, Default, PartialEq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct TemplateGroupAnalytics {
    /// The granularity.
    pub granularity: Option<String>,
    /// The points.
    #[serde(deserialize_with = "null_as_default")]
    pub data_points: Vec<TemplateGroupPoint>,
}

/// The answer of [`WhatsAppBusinessAccount::create_template_group`].
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(default)]
#[non_exhaustive]
pub struct CreatedGroup {
    /// The new group's id.
    #[serde(deserialize_with = "opt_string_or_integer")]
    pub id: Option<String>,
}

fn ids(template_ids: impl IntoIterator<Item = impl Into<TemplateId>>) -> Vec<String> {
    template_ids.into_iter().map(|id| id.into().into_string()).collect()
}

fn count_of(field: &'static str, count: usize, min: usize, max: usize) -> Result<(), ValidationError> {
    if (min..=max).contains(&count) {
        Ok(())
    } else {
        Err(ValidationError::new(field, Violation::Invalid(format!("{min} to {max} ids").into())))
    }
}

impl WhatsAppBusinessAccount {
    fn batch(&self, edge: &str, template_ids: &[String]) -> GraphRequest<TemplateBatch> {
        let mut spec = self.spec(Method::POST, edge);
        if let Err(invalid) = count_of("hsm_ids", template_ids.len(), 1, ARCHIVE_MAX) {
            spec.fail(invalid.into());
        }
        spec.set_json(&json!({ "hsm_ids": template_ids }));
        request(&self.client, spec)
    }

    /// Archives up to 100 approved or rejected templates
    /// (`POST /{waba-id}/message_templates/archive`): out of lists and sends, kept for a year.
    /// Templates unused for a year are archived by Meta (`ARCHIVED` in
    /// `message_template_status_update`).
    pub fn archive_templates(
        &self,
        template_ids: impl IntoIterator<Item = impl Into<TemplateId>>,
    ) -> GraphRequest<TemplateBatch> {
        self.batch("message_templates/archive", &ids(template_ids))
    }

    /// Restores up to 100 archived templates to their earlier status
    /// (`POST /{waba-id}/message_templates/unarchive`).
    pub fn unarchive_templates(
        &self,
        template_ids: impl IntoIterator<Item = impl Into<TemplateId>>,
    ) -> GraphRequest<TemplateBatch> {
        self.batch("message_templates/unarchive", &ids(template_ids))
    }

    /// Copies approved templates from another WABA of the same business into this one
    /// (`POST /{waba-id}/migrate_message_templates`), 500 per page: `page_number` 0 for the
    /// first 500.
    pub fn migrate_templates(&self, source: &WabaId, page_number: u32) -> GraphRequest<TemplateBatch> {
        let mut spec = self.spec(Method::POST, "migrate_message_templates");
        spec.set_json(
            &json!({"source_waba_id": source.as_str(), "page_number": page_number, "count": MIGRATE_PAGE}),
        );
        request(&self.client, spec)
    }

    /// Retries the migration of some templates (up to 500) that failed.
    pub fn migrate_templates_by_id(
        &self,
        source: &WabaId,
        template_ids: impl IntoIterator<Item = impl Into<TemplateId>>,
    ) -> GraphRequest<TemplateBatch> {
        let template_ids = ids(template_ids);
        let mut spec = self.spec(Method::POST, "migrate_message_templates");
        if let Err(invalid) = count_of("template_ids", template_ids.len(), 1, MIGRATE_PAGE as usize) {
            spec.fail(invalid.into());
        }
        spec.set_json(&json!({"source_waba_id": source.as_str(), "template_ids": template_ids}));
        request(&self.client, spec)
    }

    /// Groups templates (`POST /{waba-id}/template_groups`) to read their analytics together;
    /// a template belongs to one group at most.
    pub fn create_template_group(
        &self,
        name: impl Into<String>,
        description: Option<String>,
        template_ids: impl IntoIterator<Item = impl Into<TemplateId>>,
    ) -> GraphRequest<CreatedGroup> {
        let (name, template_ids) = (name.into(), ids(template_ids));
        let mut spec = self.spec(Method::POST, "template_groups");
        let check = not_empty("name", &name)
            .and_then(|()| max_chars("name", &name, 256))
            .and_then(|()| description.as_deref().map_or(Ok(()), |d| max_chars("description", d, 512)))
            .and_then(|()| count_of("whatsapp_business_templates", template_ids.len(), 1, usize::MAX));
        if let Err(invalid) = check {
            spec.fail(invalid.into());
        }
        // Meta takes the template ids as numbers.
        let numbers: Vec<serde_json::Value> = template_ids
            .iter()
            .map(|id| id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n)))
            .collect();
        let mut body = json!({"name": name, "whatsapp_business_templates": numbers});
        if let Some(description) = description {
            body["description"] = description.into();
        }
        spec.set_json(&body);
        request(&self.client, spec)
    }

    /// A template group with its templates (`GET /{template-group-id}`).
    pub fn template_group(&self, group_id: impl Into<String>) -> GraphRequest<TemplateGroup> {
        let mut spec = RequestSpec::node(Method::GET, &group_id.into(), None);
        spec.query.push((
            "fields".into(),
            "id,name,description,creation_time,update_time,whatsapp_business_templates".to_owned(),
        ));
        request(&self.client, spec)
    }

    /// Daily analytics of up to 10 template groups over 90 days at most
    /// (`GET /{waba-id}/template_group_analytics`; template insights must be on).
    pub fn template_group_analytics(
        &self,
        group_ids: impl IntoIterator<Item = impl Into<String>>,
        start: i64,
        end: i64,
    ) -> GraphRequest<Page<TemplateGroupAnalytics>> {
        let group_ids: Vec<String> = group_ids.into_iter().map(Into::into).collect();
        let mut spec = self.spec(Method::GET, "template_group_analytics");
        spec.query.push(("granularity".into(), "daily".to_owned()));
        spec.query.push(("start".into(), start.to_string()));
        spec.query.push(("end".into(), end.to_string()));
        spec.query.push(("metric_types".into(), "sent,delivered,read,clicked,cost".to_owned()));
        spec.query.push(("template_group_ids".into(), format!("[{}]", group_ids.join(","))));
        if let Err(invalid) = count_of("template_group_ids", group_ids.len(), 1, 10) {
            spec.fail(invalid.into());
        }
        request(&self.client, spec)
    }
}
