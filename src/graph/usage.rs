//! Rate-limit usage headers: `X-App-Usage`, `X-Page-Usage`, `X-Business-Use-Case-Usage` and
//! `X-Ad-Account-Usage`.
//!
//! Meta reports how much of each rate limit a caller has used as JSON in response headers.
//! Values are percentages (0–100; throttling starts at 100) sent as integers or floats;
//! `estimated_time_to_regain_access` is in **minutes**. Parsing is defensive: a missing or
//! malformed header is `None`, unknown keys are ignored, and one bad business entry does not hide
//! the others.

use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::Value;

use super::serde_util::string_enum;

/// The usage headers of one response.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct Usage {
    /// `X-App-Usage`: the app's platform rate limit (rolling hour).
    pub app: Option<AppUsage>,
    /// `X-Page-Usage`: a Page's platform rate limit.
    pub page: Option<AppUsage>,
    /// `X-Business-Use-Case-Usage`: one entry per business object id and use-case type.
    pub business_use_case: Vec<BusinessUseCaseUsage>,
    /// `X-Ad-Account-Usage`.
    pub ad_account: Option<AdAccountUsage>,
}

/// Percentages of a platform rate limit (`X-App-Usage`, `X-Page-Usage`).
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AppUsage {
    /// Share of calls used, in percent.
    pub call_count: f64,
    /// Share of total time used, in percent.
    pub total_time: f64,
    /// Share of total CPU time used, in percent.
    pub total_cputime: f64,
    /// How long until calls are accepted again, when Meta says so.
    pub estimated_time_to_regain_access: Option<Duration>,
}

impl AppUsage {
    /// The highest of the three percentages.
    pub fn max_percent(&self) -> f64 {
        self.call_count.max(self.total_time).max(self.total_cputime)
    }
}

string_enum! {
    /// The use case of a business rate limit.
    pub enum UseCaseType {
        /// WhatsApp Business Management API.
        WhatsAppBusinessManagement = "whatsapp_business_management",
        /// Messenger Platform.
        Messenger = "messenger",
        /// Pages API.
        Pages = "pages",
        /// Instagram API.
        Instagram = "instagram",
        /// Marketing API, ads management.
        AdsManagement = "ads_management",
        /// Marketing API, ads insights.
        AdsInsights = "ads_insights",
        /// Custom audiences.
        CustomAudience = "custom_audience",
    }
}

/// One entry of `X-Business-Use-Case-Usage`.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct BusinessUseCaseUsage {
    /// The business object the limit applies to (WABA, Page, ad account without `act_`).
    pub business_id: String,
    /// The use case.
    pub kind: UseCaseType,
    /// Share of calls used, in percent.
    pub call_count: f64,
    /// Share of total time used, in percent.
    pub total_time: f64,
    /// Share of total CPU time used, in percent.
    pub total_cputime: f64,
    /// How long until calls are accepted again (zero when not throttled).
    pub estimated_time_to_regain_access: Duration,
    /// The ads API access tier, when sent.
    pub ads_api_access_tier: Option<String>,
}

impl BusinessUseCaseUsage {
    /// The highest of the three percentages.
    pub fn max_percent(&self) -> f64 {
        self.call_count.max(self.total_time).max(self.total_cputime)
    }
}

/// `X-Ad-Account-Usage`.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct AdAccountUsage {
    /// Share of the ad account's limit used, in percent.
    pub acc_id_util_pct: f64,
    /// Seconds until the usage resets.
    pub reset_time_duration: Option<Duration>,
    /// The ads API access tier.
    pub ads_api_access_tier: Option<String>,
}

impl Usage {
    /// Reads the usage headers of a response; absent or malformed headers are `None` / empty.
    pub fn from_headers(headers: &HeaderMap) -> Self {
        // One pass over the response's dozen headers instead of four lookups by name, each of
        // which would hash the name (usage headers are not among http's standard names).
        let (mut app, mut page, mut buc, mut ad_account) = (None, None, None, None);
        for (name, value) in headers {
            let first = match name.as_str() {
                "x-app-usage" => &mut app,
                "x-page-usage" => &mut page,
                "x-business-use-case-usage" => &mut buc,
                "x-ad-account-usage" => &mut ad_account,
                _ => continue,
            };
            first.get_or_insert(value);
        }
        let json =
            |value: Option<&HeaderValue>| -> Option<Value> { serde_json::from_slice(value?.as_bytes()).ok() };
        Self {
            app: json(app).as_ref().and_then(parse_app),
            page: json(page).as_ref().and_then(parse_app),
            business_use_case: json(buc).as_ref().map(parse_buc).unwrap_or_default(),
            ad_account: json(ad_account).as_ref().and_then(parse_ad_account),
        }
    }

    /// Whether no usage header was present.
    pub fn is_empty(&self) -> bool {
        self.app.is_none()
            && self.page.is_none()
            && self.business_use_case.is_empty()
            && self.ad_account.is_none()
    }

    /// The highest percentage any header reports (0 when none does).
    pub fn max_percent(&self) -> f64 {
        let app = self.app.as_ref().map_or(0.0, AppUsage::max_percent);
        let page = self.page.as_ref().map_or(0.0, AppUsage::max_percent);
        let ads = self.ad_account.as_ref().map_or(0.0, |a| a.acc_id_util_pct);
        self.business_use_case
            .iter()
            .map(BusinessUseCaseUsage::max_percent)
            .fold(app.max(page).max(ads), f64::max)
    }

    /// The longest `estimated_time_to_regain_access` any header reports, when above zero.
    pub fn regain_access_after(&self) -> Option<Duration> {
        let platform =
            [&self.app, &self.page].into_iter().flatten().filter_map(|u| u.estimated_time_to_regain_access);
        let buc = self.business_use_case.iter().map(|b| b.estimated_time_to_regain_access);
        platform.chain(buc).filter(|d| !d.is_zero()).max()
    }
}

fn number(value: Option<&Value>) -> Option<f64> {
    match value? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn minutes(value: Option<&Value>) -> Option<Duration> {
    let minutes = number(value)?;
    (minutes.is_finite() && minutes >= 0.0).then(|| Duration::from_secs_f64(minutes.min(1e7) * 60.0))
}

fn parse_app(value: &Value) -> Option<AppUsage> {
    let obj = value.as_object()?;
    Some(AppUsage {
        call_count: number(obj.get("call_count")).unwrap_or(0.0),
        total_time: number(obj.get("total_time")).unwrap_or(0.0),
        total_cputime: number(obj.get("total_cputime")).unwrap_or(0.0),
        estimated_time_to_regain_access: minutes(obj.get("estimated_time_to_regain_access")),
    })
}

fn parse_buc(value: &Value) -> Vec<BusinessUseCaseUsage> {
    let Some(obj) = value.as_object() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (business_id, entries) in obj {
        let Some(entries) = entries.as_array() else {
            continue;
        };
        for entry in entries {
            let Some(entry) = entry.as_object() else {
                continue;
            };
            out.push(BusinessUseCaseUsage {
                business_id: business_id.clone(),
                kind: entry
                    .get("type")
                    .and_then(Value::as_str)
                    .map_or_else(|| UseCaseType::Unknown(String::new()), UseCaseType::from),
                call_count: number(entry.get("call_count")).unwrap_or(0.0),
                total_time: number(entry.get("total_time")).unwrap_or(0.0),
                total_cputime: number(entry.get("total_cputime")).unwrap_or(0.0),
                estimated_time_to_regain_access: minutes(entry.get("estimated_time_to_regain_access"))
                    .unwrap_or_default(),
                ads_api_access_tier: entry
                    .get("ads_api_access_tier")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            });
        }
    }
    out
}

fn parse_ad_account(value: &Value) -> Option<AdAccountUsage> {
    let obj = value.as_object()?;
    Some(AdAccountUsage {
        acc_id_util_pct: number(obj.get("acc_id_util_pct")).unwrap_or(0.0),
        reset_time_duration: number(obj.get("reset_time_duration"))
            .filter(|s| s.is_finite() && *s >= 0.0)
            .map(|s| Duration::from_secs_f64(s.min(1e9))),
        ads_api_access_tier: obj.get("ads_api_access_tier").and_then(Value::as_str).map(str::to_owned),
    })
}

#[cfg(test)]
mod tests {
    use reqwest::header::{CONTENT_TYPE, HeaderMap, HeaderValue};

    use super::*;

    #[test]
    fn headers_are_read_in_one_pass_and_the_first_of_a_repeated_name_counts() {
        let mut headers = HeaderMap::new();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        headers.append("x-page-usage", HeaderValue::from_static(r#"{"call_count":7}"#));
        headers.append("x-page-usage", HeaderValue::from_static(r#"{"call_count":99}"#));
        headers.insert("x-fb-trace-id", HeaderValue::from_static("Az8or2"));
        let usage = Usage::from_headers(&headers);
        assert_eq!(usage.page.as_ref().map(|p| p.call_count), Some(7.0));
        assert!(usage.app.is_none() && usage.ad_account.is_none() && usage.business_use_case.is_empty());
        assert!(Usage::from_headers(&HeaderMap::new()).is_empty());
    }
}
