//! Who is asking, and what their role lets them do. Every application function that reads
//! or changes something checks here, so the command line, the API and the web app apply the
//! same rules.
//!
//! The rules fit the three teams: service (and admin) see the service queue and customers'
//! contact details; sales sees the sales queue and prospects; community sees the community
//! queue and everything public; every role reads public posts and search; only admin imports
//! customers, manages users and exports labels.

use std::fmt;

use hark_core::Queue;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Admin,
    Community,
    Sales,
    Service,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Community, Role::Sales, Role::Service];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Community => "community",
            Role::Sales => "sales",
            Role::Service => "service",
        }
    }

    pub fn parse(raw: &str) -> AppResult<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == raw.trim().to_lowercase()).ok_or_else(|| {
            AppError::invalid(
                "invalid_role",
                format!("unknown role {raw:?}: expected admin, community, sales or service"),
            )
        })
    }

    /// The queue a team works, `None` for admin (all of them).
    pub fn own_queue(self) -> Option<Queue> {
        match self {
            Role::Admin => None,
            Role::Community => Some(Queue::Community),
            Role::Sales => Some(Queue::Sales),
            Role::Service => Some(Queue::Service),
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a caller may be asked permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Public posts, search, sources, statistics.
    ReadPublic,
    /// One queue's items: list, show, act on.
    Queue(Queue),
    /// Prospects (authors who are not customers) and their export.
    Prospects,
    /// Customer records (names, companies, tiers).
    Customers,
    /// Customers' emails, handles and CRM owners.
    ContactDetails,
    /// Customer matches: list, confirm, reject, link.
    Matches,
    /// Import customers, manage users and tokens, webhooks, labels export.
    Admin,
}

/// The person (or tool) behind a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Caller {
    pub name: String,
    pub role: Role,
}

impl Caller {
    pub fn new(name: impl Into<String>, role: Role) -> Self {
        Self { name: name.into(), role }
    }

    /// Someone at the machine's command line: the operating-system user, as admin (they can
    /// read the data directory anyway).
    pub fn local() -> Self {
        let name =
            std::env::var("USER").ok().filter(|name| !name.trim().is_empty()).unwrap_or_else(|| "cli".to_owned());
        Self { name, role: Role::Admin }
    }

    pub fn may(&self, permission: Permission) -> bool {
        use Permission::*;
        match (self.role, permission) {
            (Role::Admin, _) | (_, ReadPublic) => true,
            (role, Queue(queue)) => role.own_queue() == Some(queue),
            (Role::Sales, Prospects) => true,
            (Role::Service | Role::Sales, Customers) => true,
            (Role::Service, ContactDetails) => true,
            (Role::Service | Role::Community, Matches) => true,
            _ => false,
        }
    }

    /// `Ok` when the caller may, else a `forbidden` error that says who may.
    pub fn require(&self, permission: Permission) -> AppResult<()> {
        if self.may(permission) {
            return Ok(());
        }
        let what = match permission {
            Permission::ReadPublic => "read public posts".to_owned(),
            Permission::Queue(queue) => format!("work the {} queue", queue.as_str()),
            Permission::Prospects => "see prospects".to_owned(),
            Permission::Customers => "see customer records".to_owned(),
            Permission::ContactDetails => "see customers' contact details".to_owned(),
            Permission::Matches => "review customer matches".to_owned(),
            Permission::Admin => "administer hark".to_owned(),
        };
        Err(AppError::forbidden(format!("the {} role may not {what}", self.role)))
    }

    /// The queues this caller may see.
    pub fn queues(&self) -> Vec<Queue> {
        Queue::ALL.into_iter().filter(|queue| self.may(Permission::Queue(*queue))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_team_sees_its_own_queue_and_admin_sees_all() {
        let check = |role: Role, expected: &[Queue]| assert_eq!(Caller::new("x", role).queues(), expected, "{role}");
        check(Role::Admin, &Queue::ALL);
        check(Role::Service, &[Queue::Service]);
        check(Role::Sales, &[Queue::Sales]);
        check(Role::Community, &[Queue::Community]);
    }

    #[test]
    fn contact_details_and_prospects_follow_the_teams() {
        let may = |role: Role, permission| Caller::new("x", role).may(permission);
        assert!(may(Role::Service, Permission::ContactDetails));
        assert!(!may(Role::Sales, Permission::ContactDetails));
        assert!(!may(Role::Community, Permission::ContactDetails));
        assert!(may(Role::Sales, Permission::Prospects));
        assert!(!may(Role::Service, Permission::Prospects));
        assert!(!may(Role::Sales, Permission::Admin));
        let refused = Caller::new("x", Role::Community).require(Permission::Customers).unwrap_err();
        assert_eq!(refused.code, "forbidden");
        assert_eq!(refused.message, "the community role may not see customer records");
    }
}
