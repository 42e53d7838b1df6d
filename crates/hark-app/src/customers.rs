//! The imported CRM records, and a customer with what they wrote.
//!
//! Contact details (emails, handles, the CRM owner, and the import's extra columns, which may
//! hold phone numbers and the like) are shown only to callers who may see them
//! ([`Permission::ContactDetails`]); showing them to one customer at a time is audited.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use hark_core::{Customer, MatchState, MentionId};
use serde::Serialize;
use utoipa::ToSchema;

use crate::App;
use crate::access::{Caller, Permission};
use crate::error::{AppError, AppResult, Context};
use crate::views::{MentionView, mention_views};

/// Mentions shown with a customer at most, newest first.
pub const MENTIONS_SHOWN: usize = 50;

/// A customer record as the data model has it, contact details left empty for callers who
/// may not see them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CustomerView {
    pub id: String,
    /// The record's id in the source CRM.
    pub crm_ref: String,
    pub name: String,
    pub emails: Vec<String>,
    pub company: Option<String>,
    pub domains: Vec<String>,
    /// Handle per source kind.
    pub handles: BTreeMap<String, String>,
    pub products: Vec<String>,
    pub tier: Option<String>,
    pub owner: Option<String>,
    /// Columns of the import that hark has no field for.
    pub extra: BTreeMap<String, String>,
    pub updated_at: DateTime<Utc>,
}

impl CustomerView {
    /// The record, with contact details only when `contact_details`.
    pub fn new(customer: Customer, contact_details: bool) -> Self {
        let Customer { id, crm_ref, name, emails, company, domains, handles, products, tier, owner, extra, updated_at } =
            customer;
        let mut view = Self {
            id: id.as_str().to_owned(),
            crm_ref,
            name,
            emails,
            company,
            domains,
            handles,
            products,
            tier,
            owner,
            extra,
            updated_at,
        };
        if !contact_details {
            view.emails.clear();
            view.handles.clear();
            view.owner = None;
            view.extra.clear();
        }
        view
    }
}

/// One customer, what they wrote (mentions linked to them automatically, by a person, or
/// proposed), and whether contact details are shown.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CustomerDetail {
    #[serde(flatten)]
    pub customer: CustomerView,
    /// Whether the caller may see (and was shown) the contact details.
    pub contact_details: bool,
    /// Their latest mentions, newest first.
    pub mentions: Vec<MentionView>,
    /// Open queue items on their mentions, in the queues the caller works.
    pub items: Vec<crate::queue::ItemView>,
}

/// Every customer, by name.
pub async fn list(app: &App, caller: &Caller) -> AppResult<Vec<CustomerView>> {
    caller.require(Permission::Customers)?;
    let contact_details = caller.may(Permission::ContactDetails);
    let store = app.store().await?;
    let customers = store.list_customers().await.internal("reading customers")?;
    Ok(customers.into_iter().map(|customer| CustomerView::new(customer, contact_details)).collect())
}

/// One customer by hark id (`c_...`), CRM id or email address, with their mentions. Showing
/// contact details is recorded in the audit log.
pub async fn show(app: &App, caller: &Caller, id: &str) -> AppResult<CustomerDetail> {
    caller.require(Permission::Customers)?;
    let contact_details = caller.may(Permission::ContactDetails);
    let store = app.store().await?;
    let Some(customer) = store.customer(id.trim()).await.internal("reading a customer")? else {
        return Err(AppError::new(
            crate::ErrorKind::NotFound,
            "not_found",
            format!("no customer with id, CRM id or email {id:?}; `hark customers list` shows them all"),
        ));
    };
    // The mentions linked to them (a full scan of the matches: fine at CRM sizes; the store
    // may index matches by customer later).
    let mut linked: Vec<MentionId> = store
        .all_matches()
        .await
        .internal("reading customer matches")?
        .into_iter()
        .filter(|found| found.customer_id == customer.id && found.state != MatchState::Rejected)
        .map(|found| found.mention_id)
        .collect();
    linked.sort_unstable_by(|a, b| a.as_str().cmp(b.as_str()));
    linked.dedup();
    let mut mentions = mention_views(store, &linked).await?;
    mentions.sort_by(|a, b| b.published_at.cmp(&a.published_at).then_with(|| a.id.cmp(&b.id)));
    mentions.truncate(MENTIONS_SHOWN);
    if contact_details {
        let subject = format!("customer:{}", customer.id.as_str());
        store
            .record_view(&caller.name, &subject, "contact details", app.clock().now())
            .await
            .internal("recording the view in the audit log")?;
    }
    let items = crate::queue::open_items_for_mentions(app, caller, &linked).await?;
    Ok(CustomerDetail { customer: CustomerView::new(customer, contact_details), contact_details, mentions, items })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_details_are_left_out_unless_allowed() {
        let customer = Customer {
            id: hark_core::CustomerId::from_raw("c_1"),
            crm_ref: "CRM-1".into(),
            name: "Jane Doe".into(),
            emails: vec!["jane@example.com".into()],
            company: Some("Example".into()),
            domains: vec!["example.com".into()],
            handles: BTreeMap::from([("reddit".into(), "jdoe".into())]),
            products: vec!["Acme Inbox".into()],
            tier: Some("gold".into()),
            owner: Some("sam".into()),
            extra: BTreeMap::from([("phone".into(), "+1 555".into())]),
            updated_at: Utc::now(),
        };
        let shown = CustomerView::new(customer.clone(), true);
        assert_eq!(shown.emails, ["jane@example.com"]);
        assert_eq!(shown.owner.as_deref(), Some("sam"));
        let hidden = CustomerView::new(customer, false);
        assert!(hidden.emails.is_empty() && hidden.handles.is_empty() && hidden.extra.is_empty());
        assert_eq!(hidden.owner, None);
        assert_eq!((hidden.name.as_str(), hidden.company.as_deref()), ("Jane Doe", Some("Example")));
    }
}
